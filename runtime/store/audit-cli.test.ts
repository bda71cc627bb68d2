import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { auditVerify } from "./audit-cli.ts";
import { JsonlAuditLog } from "./audit-log.ts";

async function dataDirWith(records: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "aiotflow-store-"));
  const audit = await JsonlAuditLog.open(dir);
  for (let n = 1; n <= records; n++) await audit.append({ actor: "ana", action: "flow.deploy", target: `f${n}`, outcome: "ok" });
  return dir;
}

describe("aiotflow audit verify", () => {
  it("says ok with the record count and exits 0", async () => {
    const dir = await dataDirWith(3);
    assert.deepEqual(await auditVerify(dir), { code: 0, text: `audit log ok: 3 records (${join(dir, "audit.jsonl")})` });
  });

  it("accepts a data directory with no audit log yet", async () => {
    const result = await auditVerify(await dataDirWith(0));
    assert.equal(result.code, 0);
    assert.match(result.text, /^audit log ok: 0 records/);
  });

  it("names the first broken line, the file and what to do, and exits 1", async () => {
    const dir = await dataDirWith(4);
    const file = join(dir, "audit.jsonl");
    const lines = readFileSync(file, "utf8").split("\n");
    writeFileSync(file, [lines[0], lines[2], lines[3], ""].join("\n"));
    const result = await auditVerify(dir);
    assert.equal(result.code, 1);
    assert.equal(
      result.text,
      [
        "audit log broken at line 2: seq 3 where 2 was expected (a record was deleted or inserted, or lines were reordered) [AUDIT_CHAIN_BROKEN]",
        `  file: ${file}`,
        "  lines 1-1 verify; from line 2 on the log cannot be trusted",
        "  what to do: The audit log was edited, truncated or reordered at the record named: keep the file as evidence and compare it with a backup; new records still chain on.",
      ].join("\n"),
    );
  });

  it("says the whole log cannot be trusted when its first line is bad", async () => {
    const dir = await dataDirWith(2);
    const file = join(dir, "audit.jsonl");
    writeFileSync(file, `{oops\n${readFileSync(file, "utf8")}`);
    const result = await auditVerify(dir);
    assert.equal(result.code, 1);
    assert.match(result.text, /^audit log broken at line 1: not JSON/);
    assert.match(result.text, /no line verifies/);
  });

  it("exits 1 for a data directory that does not exist", async () => {
    const result = await auditVerify(join(tmpdir(), "aiotflow-store-does-not-exist", "data"));
    assert.equal(result.code, 1);
    assert.match(result.text, /no data directory at .*--data-dir/);
  });
});
