import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { AiotError } from "../sdk/errors.ts";
import { contentHash } from "./canonical.ts";
import { JsonlAuditLog, type AuditEntry } from "./audit-log.ts";

const entry = (n: number): AuditEntry => ({ actor: "ana", action: "flow.save", target: `flow-${n}`, outcome: "ok", after: `hash-${n}` });

async function logWith(count: number) {
  const dir = mkdtempSync(join(tmpdir(), "aiotflow-store-"));
  let now = Date.parse("2025-03-01T08:00:00Z");
  const audit = await JsonlAuditLog.open(dir, { clock: { now: () => (now += 1000) } });
  for (let n = 1; n <= count; n++) await audit.append(entry(n));
  const file = join(dir, "audit.jsonl");
  const lines = () => readFileSync(file, "utf8").trimEnd().split("\n");
  const rewrite = (change: (lines: string[]) => string[]) => writeFileSync(file, `${change(lines()).join("\n")}\n`);
  return { dir, file, audit, lines, rewrite };
}

describe("audit log: appending", () => {
  it("chains each record to the one before by hash", async () => {
    const { audit, lines, file } = await logWith(3);
    const records = lines().map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(records.map((r) => r["seq"]), [1, 2, 3]);
    assert.equal(records[0]!["prev"], "");
    assert.equal(records[1]!["prev"], records[0]!["hash"]);
    const { hash, ...body } = records[2]!;
    assert.equal(hash, contentHash(body));
    assert.deepEqual(records[0], { seq: 1, at: "2025-03-01T08:00:01.000Z", actor: "ana", action: "flow.save", target: "flow-1", outcome: "ok", after: "hash-1", prev: "", hash: records[0]!["hash"] });
    assert.deepEqual(audit.list(), records);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(audit.verify(), { ok: true, records: 3 });
  });

  it("keeps order and loses nothing when many appends run at once", async () => {
    const { audit, lines } = await logWith(0);
    const written = await Promise.all(Array.from({ length: 50 }, (_, n) => audit.append(entry(n + 1))));
    assert.deepEqual(written.map((r) => r.seq), Array.from({ length: 50 }, (_, n) => n + 1));
    assert.equal(lines().length, 50);
    assert.deepEqual(audit.verify(), { ok: true, records: 50 });
  });

  it("continues the chain after a restart", async () => {
    const { dir, audit } = await logWith(2);
    const reopened = await JsonlAuditLog.open(dir);
    const third = await reopened.append(entry(3));
    assert.equal(third.seq, 3);
    assert.equal(third.prev, audit.list()[1]!.hash);
    assert.deepEqual(reopened.verify(), { ok: true, records: 3 });
  });

  it("stores details as JSON would read them back, so they verify", async () => {
    const { audit } = await logWith(0);
    const record = await audit.append({ ...entry(1), detail: { when: new Date(0), missing: undefined, nested: { n: 1 } } });
    assert.deepEqual(record.detail, { when: "1970-01-01T00:00:00.000Z", nested: { n: 1 } });
    assert.equal(audit.verify().ok, true);
  });

  it("refuses an entry that is not a valid record, writing nothing and using no seq", async () => {
    const { audit, lines } = await logWith(1);
    const bad = { ...entry(2), outcome: "maybe" } as unknown as AuditEntry;
    await assert.rejects(audit.append(bad), (e: unknown) => e instanceof AiotError && e.code === "STORE_WRITE_FAILED");
    assert.equal(lines().length, 1);
    assert.equal((await audit.append(entry(2))).seq, 2);
    assert.equal(audit.verify().ok, true);
  });

  it("reports a failed append as STORE_WRITE_FAILED and keeps its state", async () => {
    const { audit, file } = await logWith(1);
    rmSync(file);
    mkdirSync(file);
    await assert.rejects(audit.append(entry(2)), (e: unknown) => e instanceof AiotError && e.code === "STORE_WRITE_FAILED" && e.details.file === file);
    assert.equal(audit.list().length, 1);
  });

  it("lists the latest records, or those after a seq already seen", async () => {
    const { audit } = await logWith(5);
    const seqs = (options: { since?: number; limit?: number }) => audit.list(options).map((r) => r.seq);
    assert.deepEqual(seqs({}), [1, 2, 3, 4, 5]);
    assert.deepEqual(seqs({ limit: 2 }), [4, 5]);
    assert.deepEqual(seqs({ since: 2 }), [3, 4, 5]);
    assert.deepEqual(seqs({ since: 2, limit: 2 }), [3, 4]);
    assert.deepEqual(seqs({ since: 5 }), []);
    assert.deepEqual(seqs({ limit: 0 }), []);
    assert.deepEqual(seqs({ limit: -3 }), []);
  });
});

describe("audit log: verify", () => {
  const tampering: Array<[string, (lines: string[]) => string[], number, RegExp]> = [
    ["an edited line", (l) => l.map((line, i) => (i === 2 ? line.replace('"actor":"ana"', '"actor":"eve"') : line)), 3, /seq 3 does not match its hash/],
    ["a deleted line", (l) => l.filter((_, i) => i !== 1), 2, /seq 3 where 2 was expected/],
    ["a deleted first line", (l) => l.slice(1), 1, /seq 2 where 1 was expected/],
    ["two swapped lines", (l) => [l[0]!, l[2]!, l[1]!, l[3]!], 2, /seq 3 where 2 was expected/],
    ["a line that is not JSON", (l) => l.map((line, i) => (i === 3 ? line.slice(0, 20) : line)), 4, /not JSON/],
    ["an inserted empty line", (l) => [l[0]!, "", ...l.slice(1)], 2, /empty line/],
    ["a JSON line of the wrong shape", (l) => [l[0]!, '{"seq":2}', ...l.slice(2)], 2, /not an audit record/],
    [
      "an edited line whose own hash was recomputed",
      (l) =>
        l.map((line, i) => {
          if (i !== 1) return line;
          const { hash: _hash, ...body } = JSON.parse(line) as Record<string, unknown>;
          const forged = { ...body, actor: "eve" };
          return JSON.stringify({ ...forged, hash: contentHash(forged) });
        }),
      3,
      /seq 3 does not follow the record before it/,
    ],
  ];
  for (const [name, change, brokenAt, reason] of tampering) {
    it(`finds ${name} at line ${brokenAt}`, async () => {
      const { dir, rewrite } = await logWith(4);
      rewrite(change);
      const result = (await JsonlAuditLog.open(dir)).verify();
      assert.equal(result.ok, false);
      assert.ok(!result.ok);
      assert.equal(result.brokenAt, brokenAt);
      assert.equal(result.records, brokenAt - 1);
      // The line is in brokenAt; the reason does not say it again ("line 7: line 7: ...").
      assert.doesNotMatch(result.reason, /^line \d+: /);
      assert.match(result.reason, reason);
    });
  }

  it("finds records cut off the end while the server runs", async () => {
    const { audit, rewrite } = await logWith(4);
    rewrite((l) => l.slice(0, 3));
    const result = audit.verify();
    assert.ok(!result.ok);
    assert.match(result.reason, /ends at line 3 without the last record this server wrote \(seq 4\)/);
  });

  it("finds the log deleted while the server runs", async () => {
    const { audit, file } = await logWith(2);
    rmSync(file);
    assert.equal(audit.verify().ok, false);
  });

  it("opens a broken log (never a reset), lists what it can read and chains new records on", async () => {
    const { dir, rewrite, lines } = await logWith(4);
    rewrite((l) => l.filter((_, i) => i !== 1));
    const audit = await JsonlAuditLog.open(dir);
    assert.deepEqual(audit.list().map((r) => r.seq), [1, 3, 4]);
    const next = await audit.append(entry(5));
    assert.equal(next.seq, 5);
    assert.equal(next.prev, audit.list()[2]!.hash);
    assert.equal(lines().length, 4);
    const result = audit.verify();
    assert.ok(!result.ok);
    assert.equal(result.brokenAt, 2);
  });

  it("starts a new line after a write cut short, and still reports the torn line", async () => {
    const { dir, file, lines } = await logWith(2);
    appendFileSync(file, '{"seq":3,"at":"2025-03');
    const audit = await JsonlAuditLog.open(dir);
    const next = await audit.append(entry(3));
    assert.equal(next.seq, 3);
    assert.deepEqual(JSON.parse(lines().at(-1)!), next);
    const result = audit.verify();
    assert.ok(!result.ok);
    assert.equal(result.brokenAt, 3);
    assert.match(result.reason, /not JSON/);
  });

  it("reports an empty or missing log as sound", async () => {
    const { audit } = await logWith(0);
    assert.deepEqual(audit.verify(), { ok: true, records: 0 });
  });

  it("keeps only the newest records in memory and reads older ones from the file when asked", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aiotflow-store-"));
    try {
      const audit = await JsonlAuditLog.open(dir, { memoryRecords: 5 });
      for (let n = 1; n <= 12; n++) await audit.append(entry(n));
      assert.ok((audit as unknown as { records: unknown[] }).records.length <= 6);
      assert.deepEqual(audit.list({ since: 0 }).map((r) => r.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      assert.deepEqual(audit.list({ since: 2, limit: 3 }).map((r) => r.seq), [3, 4, 5]);
      assert.deepEqual(audit.list({ since: 10 }).map((r) => r.seq), [11, 12]);
      assert.deepEqual(audit.list({ limit: 2 }).map((r) => r.seq), [11, 12]);
      assert.equal(audit.list().length, 12);
      assert.deepEqual(audit.verify(), { ok: true, records: 12 });
      const reopened = await JsonlAuditLog.open(dir, { memoryRecords: 3 });
      assert.equal((reopened as unknown as { records: unknown[] }).records.length, 3);
      assert.equal(reopened.list({ since: 0 }).length, 12);
      assert.equal((await reopened.append(entry(13))).seq, 13);
      assert.deepEqual(reopened.verify(), { ok: true, records: 13 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
