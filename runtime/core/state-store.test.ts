import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { readSnapshot, writeSnapshot } from "./state-store.ts";

describe("state snapshots on disk", () => {
  const dir = mkdtempSync(join(tmpdir(), "state-store-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("reads back what it wrote, and starts empty when there is no file", () => {
    const file = join(dir, "ok.json");
    const snapshot = { flowId: "f", savedAt: "2026-01-01T00:00:00.000Z", nodes: { w: { type: "sliding-window", configHash: "h", entries: [["pump-1", 3]] as Array<[string, unknown]> } } };
    writeSnapshot(file, snapshot);
    assert.deepEqual(readSnapshot(file), { snapshot });
    assert.deepEqual(readSnapshot(join(dir, "missing.json")), {});
  });

  const damaged: Array<[string, string, RegExp]> = [
    ["not JSON", "{ nodes:", /JSON/],
    ["JSON without a nodes object", '{ "flowId": "f" }', /missing "nodes" object/],
    ["a node without its entries", '{ "nodes": { "w": { "configHash": "h" } } }', /node "w" has no entries\/configHash/],
  ];
  for (const [what, text, why] of damaged) {
    it(`reports ${what} as STATE_SNAPSHOT_INVALID and moves the file aside`, () => {
      const file = join(dir, "damaged.json");
      writeFileSync(file, text);
      const { snapshot, problem } = readSnapshot(file);
      assert.equal(snapshot, undefined);
      assert.throws(() => { throw problem; }, { code: "STATE_SNAPSHOT_INVALID", details: { file }, message: why });
      assert.ok(existsSync(`${file}.invalid`) && !existsSync(file), "kept as evidence under .invalid");
    });
  }
});
