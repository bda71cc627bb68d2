import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { Catalog, CatalogNode } from "./catalog.ts";
import { paletteGroups } from "./catalog.ts";
import { demoFlow, realCatalog } from "../../../test/support/editor-fixtures.ts";
import { edgeId, flowToGraph, freshId, graphToFlow, newNode, portHandles, scratchFlowId } from "./mapping.ts";

describe("flow document <-> React Flow graph", () => {
  let nodes: CatalogNode[];
  let catalog: Catalog;
  before(async () => ({ nodes, catalog } = await realCatalog()));

  it("keeps ids, positions, names, config and wires through a round trip", () => {
    const document = demoFlow();
    const graph = flowToGraph(document);
    assert.equal(graph.nodes.length, document.nodes.length);
    const clean = graph.nodes.find((n) => n.id === "clean");
    assert.deepEqual(clean?.position, document.nodes.find((n) => n.id === "clean")?.position);
    assert.ok(clean && (clean.position.x !== 0 || clean.position.y !== 0), "the demo places its nodes");
    assert.equal(clean?.data.name, "Sensor ranges");
    assert.deepEqual(graph.edges.find((e) => e.id === "clean-rejected"), {
      id: "clean-rejected", source: "clean", sourceHandle: "rejected", target: "show-rejected", targetHandle: "in",
    });
    const { $schema: _s, ...back } = graphToFlow(graph);
    const { $schema: _t, ...original } = document;
    assert.deepEqual(back, { ...original, connections: {} });
  });

  it("places nodes without a position at the origin and rounds dragged positions", () => {
    const graph = flowToGraph({ format: "aiotflow/flow@1", id: "f", name: "f", nodes: [{ id: "a", type: "debug", config: {}, position: { x: 0, y: 0 } }], edges: [], connections: {} });
    graph.nodes[0] = { ...graph.nodes[0]!, position: { x: 10.4, y: 20.6 } };
    assert.deepEqual(graphToFlow(graph).nodes[0]?.position, { x: 10, y: 21 });
  });

  it("gives a handle per declared port, the error output included", () => {
    const { inputs, outputs } = portHandles(catalog.get("range-check"));
    assert.deepEqual(inputs.map((p) => `${p.name}:${p.kind}`), ["in:reading"]);
    assert.deepEqual(outputs.map((p) => `${p.name}:${p.kind}`), ["out:reading", "rejected:reading", "error:event"]);
    assert.deepEqual(portHandles(catalog.get("simulated-sensor")).inputs, [], "a source has no input handle");
  });

  it("names dropped nodes after their type without reusing an id", () => {
    assert.equal(freshId("debug", []), "debug");
    assert.equal(freshId("debug", ["debug", "debug-2"]), "debug-3");
    const node = newNode(catalog.get("debug")!, { x: 5, y: 6 }, ["debug"]);
    assert.equal(node.id, "debug-2");
    assert.deepEqual(node.data, { nodeType: "debug", config: {} });
    assert.equal(edgeId({ source: "a", sourceHandle: "out", target: "b", targetHandle: "in" }), "a.out-b.in");
  });

  it("gives a never-saved canvas an id no stored flow has", () => {
    assert.equal(scratchFlowId([]), "new-flow");
    assert.equal(scratchFlowId(["pump-monitoring"]), "new-flow");
    assert.equal(scratchFlowId(["new-flow"]), "new-flow-2", "the second blank canvas does not collide with the first one saved");
    assert.equal(scratchFlowId(["new-flow", "new-flow-2", "new-flow-4"]), "new-flow-3");
    assert.equal(scratchFlowId(new Set(["new-flow", "new-flow-3"])), "new-flow-2");
  });

  it("groups the palette by family in the catalog's order and filters by search", () => {
    const groups = paletteGroups(nodes, "");
    assert.equal(groups[0]?.family, "sources");
    assert.ok(groups.findIndex((g) => g.family === "sinks") > groups.findIndex((g) => g.family === "windows"));
    const windows = paletteGroups(nodes, "WINDOW");
    assert.deepEqual(windows.map((g) => g.family), ["windows"]);
    assert.deepEqual(paletteGroups(nodes, "no such node"), []);
  });
});
