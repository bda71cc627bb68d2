import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadCatalog, nodeFiles } from "./catalog.ts";
import { nodeTypesOf } from "../core/flow-file.ts";

describe("loadCatalog", () => {
  it("loads only the node types asked for (what a headless flow uses)", async () => {
    const catalog = await loadCatalog([], { types: ["map", "threshold"] });
    assert.deepEqual([...catalog.keys()].sort(), ["map", "threshold"]);
  });

  it("loads everything when a type has no file, so validation can still suggest the meant one", async () => {
    const catalog = await loadCatalog([], { types: ["map", "mapp"] });
    assert.equal(catalog.size, nodeFiles().length);
    assert.ok(catalog.has("threshold"));
  });
});

describe("nodeFiles", () => {
  it("lists <type>.ts and <type>/index.ts in each family, never a node's parts or nodes/lib", () => {
    const root = mkdtempSync(join(tmpdir(), "node-files-"));
    const put = (path: string) => {
      mkdirSync(join(root, path, ".."), { recursive: true });
      writeFileSync(join(root, path), "export default {};\n");
    };
    for (const path of ["util/scale.ts", "util/scale.test.ts", "inference/model/index.ts", "inference/model/part.ts", "lib/windows/stats.ts"]) put(path);
    assert.deepEqual(nodeFiles(root).map((n) => n.type), ["model", "scale"]);
    rmSync(root, { recursive: true, force: true });
  });

  it("refuses a node folder without index.ts instead of leaving the node out silently", () => {
    const root = mkdtempSync(join(tmpdir(), "node-files-"));
    mkdirSync(join(root, "util", "foo"), { recursive: true });
    writeFileSync(join(root, "util", "foo", "main.ts"), "export default {};\n");
    assert.throws(() => nodeFiles(root), (error: Error & { code?: string }) => error.code === "CATALOG_INVALID" && /util\/foo/.test(error.message) && /index/.test(error.message));
    rmSync(root, { recursive: true, force: true });
  });

  it("refuses a helper module sitting among the node files, naming the file and where it belongs", async () => {
    const root = mkdtempSync(join(tmpdir(), "node-files-"));
    mkdirSync(join(root, "util"));
    writeFileSync(join(root, "util", "helper.ts"), "export const x = 1;\n");
    await assert.rejects(loadCatalog([], { root }), (error: Error) => /CATALOG_INVALID/.test(String((error as { code?: string }).code)) && /helper\.ts/.test(error.message) && /nodes\/lib/.test(error.message));
    rmSync(root, { recursive: true, force: true });
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
