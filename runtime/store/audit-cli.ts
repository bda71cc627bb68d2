import { existsSync } from "node:fs";
import { ERROR_CATALOGUE, isAiotError, errorMessage } from "../sdk/errors.ts";
import { JsonlAuditLog } from "./audit-log.ts";

/**
 * `aiotflow audit verify [--data-dir d]`: checks the audit log's hash chain. Exit code 0 and
 * "audit log ok: N records" when sound; 1 with the first broken line and what to do otherwise.
 */
export async function auditVerify(dataDir: string): Promise<{ code: number; text: string }> {
  if (!existsSync(dataDir)) return { code: 1, text: `no data directory at ${dataDir}: pass the one the server uses with --data-dir` };
  let audit: JsonlAuditLog;
  try {
    audit = await JsonlAuditLog.open(dataDir);
  } catch (error) {
    return { code: 1, text: isAiotError(error) ? `${error.toString()}\n  ${error.hint}` : errorMessage(error) };
  }
  if (!existsSync(audit.file)) return { code: 0, text: `audit log ok: 0 records (${audit.file} does not exist yet)` };
  const result = audit.verify();
  if (result.ok) return { code: 0, text: `audit log ok: ${result.records} record${result.records === 1 ? "" : "s"} (${audit.file})` };
  const text = [
    `audit log broken at line ${result.brokenAt}: ${result.reason} [AUDIT_CHAIN_BROKEN]`,
    `  file: ${audit.file}`,
    result.records === 0
      ? "  no line verifies: the whole log cannot be trusted"
      : `  lines 1-${result.records} verify; from line ${result.brokenAt} on the log cannot be trusted`,
    `  what to do: ${ERROR_CATALOGUE.AUDIT_CHAIN_BROKEN}`,
  ];
  return { code: 1, text: text.join("\n") };
}
