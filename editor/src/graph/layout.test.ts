import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { Catalog } from "./catalog.ts";
import { demoFlow, realCatalog } from "../../../test/support/editor-fixtures.ts";
import { lacksPositions, layoutGraph } from "./layout.ts";
import { flowToGraph, type AiotNode } from "./mapping.ts";

describe("auto-layout", () => {
  let catalog: Catalog;
  before(async () => ({ catalog } = await realCatalog()));

  it("knows a flow without positions from one that has them", () => {
    assert.ok(lacksPositions([{}, { position: undefined }]));
    assert.ok(lacksPositions([{ position: { x: 0, y: 0 } }, {}]));
    assert.ok(!lacksPositions([{ position: { x: 0, y: 0 } }, { position: { x: 5, y: 0 } }]));
    assert.ok(!lacksPositions(demoFlow().nodes));
    assert.ok(!lacksPositions([]), "an empty flow has nothing to lay out");
  });

  it("places every node downstream to the right of what feeds it, without overlaps", () => {
    const graph = flowToGraph(demoFlow());
    const piled = graph.nodes.map((n) => ({ ...n, position: { x: 0, y: 0 } }));
    const laid = layoutGraph(piled, graph.edges, catalog);
    assert.deepEqual(laid.map((n) => n.id), graph.nodes.map((n) => n.id), "same nodes in the same order");
    assert.deepEqual(laid.map((n) => n.data), graph.nodes.map((n) => n.data));
    const at = new Map(laid.map((n) => [n.id, n.position]));
    for (const e of graph.edges) assert.ok(at.get(e.source)!.x < at.get(e.target)!.x, `${e.source} left of ${e.target}`);
    const boxes = laid.map((n) => ({ ...n.position, id: n.id }));
    for (const a of boxes) for (const b of boxes) {
      if (a.id < b.id) assert.ok(Math.abs(a.x - b.x) >= 200 || Math.abs(a.y - b.y) >= 66, `${a.id} and ${b.id} do not overlap`);
    }
    assert.ok(!lacksPositions(laid));
  });

  it("lays out nodes of unknown type and ignores wires to missing nodes", () => {
    const nodes: AiotNode[] = [
      { id: "a", type: "aiot", position: { x: 0, y: 0 }, data: { nodeType: "no-such-type", config: {} } },
      { id: "b", type: "aiot", position: { x: 0, y: 0 }, data: { nodeType: "debug", config: {} } },
    ];
    const laid = layoutGraph(nodes, [{ id: "ab", source: "a", target: "b" }, { id: "ghost", source: "a", target: "gone" }], catalog);
    assert.ok(laid[0]!.position.x < laid[1]!.position.x);
  });
});
