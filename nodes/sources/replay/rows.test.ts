import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { readRows, type RowOrProblem } from "./rows.ts";

const dir = mkdtempSync(join(tmpdir(), "aiotflow-rows-"));
let files = 0;
function file(text: string, extension: string): string {
  const path = join(dir, `rows-${++files}.${extension}`);
  writeFileSync(path, text);
  return path;
}

async function all(path: string, format: "csv" | "jsonl", delimiter = ","): Promise<RowOrProblem[]> {
  const out: RowOrProblem[] = [];
  for await (const entry of readRows(path, format, delimiter)) out.push(entry);
  return out;
}

describe("readRows: JSONL", () => {
  it("reads one object per line with its line number, skipping blank lines", async () => {
    const path = file('{"ts":"2026-01-01T00:00:00Z","vib":1.5}\n\n   \n{"ts":"2026-01-01T00:00:01Z","vib":2}\n', "jsonl");
    assert.deepEqual(await all(path, "jsonl"), [
      { row: { line: 1, fields: { ts: "2026-01-01T00:00:00Z", vib: 1.5 } } },
      { row: { line: 4, fields: { ts: "2026-01-01T00:00:01Z", vib: 2 } } },
    ]);
  });

  it("reads Windows line endings and a last line without a newline", async () => {
    assert.deepEqual(await all(file('{"a":1}\r\n{"a":2}', "jsonl"), "jsonl"), [{ row: { line: 1, fields: { a: 1 } } }, { row: { line: 2, fields: { a: 2 } } }]);
  });

  const bad: Array<[string, string, RegExp]> = [
    ["text that is not JSON", "{not json", /^not JSON: /],
    ["a JSON array", "[1, 2]", /^not a JSON object$/],
    ["a JSON number", "42", /^not a JSON object$/],
    ["JSON null", "null", /^not a JSON object$/],
  ];
  for (const [name, line, reason] of bad) {
    it(`reports ${name} with its line and goes on reading`, async () => {
      const [first, problem, last] = await all(file(`{"a":1}\n${line}\n{"a":3}\n`, "jsonl"), "jsonl");
      assert.deepEqual(first, { row: { line: 1, fields: { a: 1 } } });
      assert.ok(problem && "bad" in problem, "the bad line is reported");
      assert.equal(problem.bad.line, 2);
      assert.match(problem.bad.reason, reason);
      assert.deepEqual(last, { row: { line: 3, fields: { a: 3 } } });
    });
  }

  it("reads an empty file as no rows", async () => assert.deepEqual(await all(file("", "jsonl"), "jsonl"), []));
});

describe("readRows: CSV", () => {
  it("names fields by the header row, trims them and keeps them as text", async () => {
    const path = file("ts, vib ,temp\n2026-01-01T00:00:00Z, 1.5 ,60\n2026-01-01T00:00:01Z,2,61\n", "csv");
    assert.deepEqual(await all(path, "csv"), [
      { row: { line: 2, fields: { ts: "2026-01-01T00:00:00Z", vib: "1.5", temp: "60" } } },
      { row: { line: 3, fields: { ts: "2026-01-01T00:00:01Z", vib: "2", temp: "61" } } },
    ]);
  });

  it("splits on the delimiter it is given", async () => {
    assert.deepEqual(await all(file("ts;vib\n1;0,5\n", "csv"), "csv", ";"), [{ row: { line: 2, fields: { ts: "1", vib: "0,5" } } }]);
  });

  it("skips empty lines, counting them in the line numbers", async () => {
    assert.deepEqual(await all(file("a,b\n\n1,2\n\n3,4\n", "csv"), "csv"), [{ row: { line: 3, fields: { a: "1", b: "2" } } }, { row: { line: 5, fields: { a: "3", b: "4" } } }]);
  });

  it("reports a row with the wrong number of fields where it stands, between the good rows around it", async () => {
    const entries = await all(file("a,b\n1,2\n3,4,5\n6,7\n", "csv"), "csv");
    assert.deepEqual(entries.map((e) => ("row" in e ? `row ${e.row.line}` : `bad ${e.bad.line}`)), ["row 2", "bad 3", "row 4"]);
    const problem = entries[1]!;
    assert.ok("bad" in problem);
    assert.match(problem.bad.reason, /Invalid Record Length/i);
  });

  it("reports a bad row at the end of the file after every good row", async () => {
    const entries = await all(file("a,b\n1,2\n3\n", "csv"), "csv");
    assert.deepEqual(entries.map((e) => ("row" in e ? `row ${e.row.line}` : `bad ${e.bad.line}`)), ["row 2", "bad 3"]);
  });

  it("reads a file with only a header as no rows", async () => assert.deepEqual(await all(file("a,b\n", "csv"), "csv"), []));
});

describe("readRows: files", () => {
  for (const format of ["csv", "jsonl"] as const) {
    it(`fails with ENOENT for a ${format} file that is not there`, async () => {
      await assert.rejects(all(join(dir, `missing.${format}`), format), { code: "ENOENT" });
    });

    it(`fails with EISDIR for a ${format} path that is a directory`, async () => {
      await assert.rejects(all(dir, format), { code: "EISDIR" });
    });

    it(`stops reading a ${format} file when the consumer stops asking`, async () => {
      const lines = Array.from({ length: 10_000 }, (_, i) => (format === "csv" ? `${i},${i}` : JSON.stringify({ a: i, b: i })));
      const path = file(`${format === "csv" ? "a,b\n" : ""}${lines.join("\n")}\n`, format);
      const taken: RowOrProblem[] = [];
      for await (const entry of readRows(path, format, ",")) {
        taken.push(entry);
        if (taken.length === 3) break;
      }
      assert.equal(taken.length, 3);
    });
  }
});
