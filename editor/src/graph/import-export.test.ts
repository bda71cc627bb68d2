import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { FlowDocument } from "../../../runtime/contract/flow-format.ts";
import type { Catalog } from "./catalog.ts";
import { demoFlow, realCatalog } from "../../../test/support/editor-fixtures.ts";
import { exportFile, importedGraph, readImport } from "./import-export.ts";
import { flowToGraph } from "./mapping.ts";

const NODE_RED_EXPORT = [
  { id: "f1", type: "tab", label: "Flow 1" },
  { id: "n1", type: "inject", z: "f1", wires: [["n2"]] },
  { id: "n2", type: "debug", z: "f1", wires: [] },
];

describe("import and export of flow documents", () => {
  let catalog: Catalog;
  before(async () => ({ catalog } = await realCatalog()));

  it("hands an aiotflow document on for the server to validate", () => {
    const read = readImport(JSON.stringify(demoFlow()));
    assert.equal(read.kind, "flow");
    assert.deepEqual(read.kind === "flow" && read.document, demoFlow());
  });

  it("refuses a Node-RED export by name, as an array or as /flows v2", () => {
    for (const text of [JSON.stringify(NODE_RED_EXPORT), JSON.stringify({ rev: "abc", flows: NODE_RED_EXPORT })]) {
      const read = readImport(text);
      assert.equal(read.kind, "refused");
      const problem = read.kind === "refused" ? read.problems[0] : undefined;
      assert.equal(problem?.code, "IMPORT_NODE_RED_UNAVAILABLE");
      assert.match(problem?.message ?? "", /Node-RED export \(3 nodes\): Node-RED import is not available yet/);
    }
  });

  it("refuses text that is not JSON or not an object, saying what it got", () => {
    const cases: Array<[string, string, RegExp]> = [
      ["{ nodes: [", "IMPORT_NOT_JSON", /not JSON/],
      ["", "IMPORT_NOT_JSON", /not JSON/],
      ["[1, 2]", "IMPORT_NOT_A_FLOW", /got an array/],
      ["[]", "IMPORT_NOT_A_FLOW", /got an array/],
      ['"flow"', "IMPORT_NOT_A_FLOW", /got string/],
      ["null", "IMPORT_NOT_A_FLOW", /got object/],
    ];
    for (const [text, code, message] of cases) {
      const read = readImport(text);
      assert.equal(read.kind, "refused", text);
      if (read.kind !== "refused") continue;
      assert.equal(read.problems[0]?.code, code, text);
      assert.match(read.problems[0]?.message ?? "", message, text);
      assert.equal(read.problems[0]?.path, "$");
    }
  });

  it("lays out an imported flow whose nodes have no positions and keeps the positions of one that has them", () => {
    const document = demoFlow();
    const kept = importedGraph(document, catalog);
    assert.equal(kept.laidOut, false);
    assert.deepEqual(kept.graph.nodes.map((n) => n.position), document.nodes.map((n) => n.position));

    const unplaced = { ...document, nodes: document.nodes.map(({ position: _p, ...n }) => n) } as unknown as FlowDocument;
    const laid = importedGraph(unplaced, catalog);
    assert.equal(laid.laidOut, true);
    assert.equal(new Set(laid.graph.nodes.map((n) => `${n.position.x},${n.position.y}`)).size, document.nodes.length, "every node has a place of its own");
    assert.deepEqual(laid.graph.edges, kept.graph.edges);
  });

  it("exports the same document a save stores, named after the flow", () => {
    const document = demoFlow();
    const { fileName, text } = exportFile(flowToGraph(document));
    assert.equal(fileName, "pump-monitoring.json");
    const { $schema: _s, ...exported } = JSON.parse(text) as FlowDocument;
    const { $schema: _t, ...original } = document;
    assert.deepEqual(exported, { ...original, connections: original.connections ?? {} });
  });
});
