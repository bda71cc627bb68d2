import { createHash } from "node:crypto";

/**
 * JSON with object keys sorted at every depth, so the same value always gives the same text (and
 * hash) whatever order its keys were written in. Array order is kept; `undefined` fields are
 * dropped, as `JSON.stringify` does.
 *
 * @example canonicalJson({ b: 1, a: [2, { d: 3, c: 4 }] }) // '{"a":[2,{"c":4,"d":3}],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (inner === null || typeof inner !== "object" || Array.isArray(inner)) return inner;
    // fromEntries defines own properties, so a "__proto__" key stays data instead of a prototype.
    return Object.fromEntries(Object.keys(inner).sort().map((key) => [key, (inner as Record<string, unknown>)[key]]));
  });
}

export function sha256Hex(text: string | Buffer): string {
  return createHash("sha256").update(text).digest("hex");
}

/** sha256 (hex) of the canonical JSON of `value`: the content hash of flow versions and audit records. */
export function contentHash(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
