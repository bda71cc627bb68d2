import { createHash } from "node:crypto";
import { canonicalJson } from "../contract/canonical.ts";

export { canonicalJson };

export function sha256Hex(text: string | Buffer): string {
  return createHash("sha256").update(text).digest("hex");
}

/** sha256 (hex) of the canonical JSON of `value`: the content hash of flow versions and audit records. */
export function contentHash(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
