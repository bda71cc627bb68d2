import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadCatalog, nodeFiles } from "./catalog.ts";
import { nodeTypesOf } from "./flow-file.ts";

describe("loadCatalog", () => {
  it("loads only the node types asked for (what a headless flow uses)", async () => {
    const catalog = await loadCatalog([], { types: ["map", "threshold"] });
    assert.deepEqual([...catalog.keys()].sort(), ["map", "threshold"]);
  });

  it("loads everything when a type has no file, so validation can still suggest the meant one", async () => {
    const catalog = await loadCatalog([], { types: ["map", "mapp"] });
    assert.equal(catalog.size, nodeFiles().length - countHelperModules());
    assert.ok(catalog.has("threshold"));
  });
});

describe("nodeTypesOf", () => {
  const dir = mkdtempSync(join(tmpdir(), "node-types-"));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it("names each type a flow file uses once", () => {
    assert.deepEqual(nodeTypesOf(file("ok.json", JSON.stringify({ nodes: [{ type: "map" }, { type: "debug" }, { type: "map" }] }))), ["map", "debug"]);
  });

  it("cannot tell for bad input: not JSON, no nodes, a node without a type, a missing file", () => {
    assert.equal(nodeTypesOf(file("bad.json", "{ nodes: [")), undefined);
    assert.equal(nodeTypesOf(file("none.json", "{}")), undefined);
    assert.equal(nodeTypesOf(file("untyped.json", JSON.stringify({ nodes: [{ id: "a" }] }))), undefined);
    assert.equal(nodeTypesOf(join(dir, "missing.json")), undefined);
    rmSync(dir, { recursive: true, force: true });
  });
});

/** Files under nodes/ that hold helpers, not a node (topic-template.ts, model-slot.ts ...). */
function countHelperModules(): number {
  return nodeFiles().filter((f) => !/export default defineNode/.test(readFileSync(f, "utf8"))).length;
}
