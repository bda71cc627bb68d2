import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CLIPBOARD_FORMAT, copySelection, parseClipboard, pasteContent } from "./clipboard.ts";
import { demoFlow } from "../../../test/support/editor-fixtures.ts";
import { flowToGraph } from "./mapping.ts";

function demoWithSelection(ids: string[]) {
  const graph = flowToGraph(demoFlow());
  return { ...graph, nodes: graph.nodes.map((n) => ({ ...n, selected: ids.includes(n.id) })) };
}

describe("copy and paste of a selection", () => {
  it("copies the selected nodes and only the wires between them", () => {
    const { nodes, edges } = demoWithSelection(["pumps", "clean"]);
    const content = copySelection(nodes, edges) ?? assert.fail("something was selected");
    assert.deepEqual(content.nodes.map((n) => n.id), ["pumps", "clean"]);
    assert.ok(content.edges.length > 0);
    for (const e of content.edges) assert.ok(["pumps", "clean"].includes(e.from.node) && ["pumps", "clean"].includes(e.to.node), `${e.id} is internal`);
    assert.equal(copySelection(nodes.map((n) => ({ ...n, selected: false })), edges), undefined, "nothing selected, nothing copied");
  });

  it("pastes with fresh ids, internal wires renamed, positions shifted and the pasted nodes selected", () => {
    const { nodes, edges } = demoWithSelection(["pumps", "clean"]);
    const content = copySelection(nodes, edges)!;
    const pasted = pasteContent(content, nodes.map((n) => n.id), { x: 40, y: 40 });
    const ids = pasted.nodes.map((n) => n.id);
    assert.deepEqual(ids, ["pumps-2", "clean-2"]);
    assert.ok(pasted.nodes.every((n) => n.selected));
    const original = nodes.find((n) => n.id === "clean")!;
    const copy = pasted.nodes.find((n) => n.id === "clean-2")!;
    assert.deepEqual(copy.position, { x: original.position.x + 40, y: original.position.y + 40 });
    assert.deepEqual(copy.data, original.data);
    assert.equal(pasted.edges.length, content.edges.length);
    for (const e of pasted.edges) assert.ok(ids.includes(e.source) && ids.includes(e.target), `${e.id} joins pasted nodes`);
    assert.equal(new Set([...edges.map((e) => e.id), ...pasted.edges.map((e) => e.id)]).size, edges.length + pasted.edges.length, "no edge id collides");
  });

  it("pastes into another flow keeping ids that are free there, and twice without collisions", () => {
    const { nodes, edges } = demoWithSelection(["pumps", "clean"]);
    const content = copySelection(nodes, edges)!;
    assert.deepEqual(pasteContent(content, ["debug"], { x: 0, y: 0 }).nodes.map((n) => n.id), ["pumps", "clean"]);
    const first = pasteContent(content, [], { x: 0, y: 0 });
    const second = pasteContent(content, first.nodes.map((n) => n.id), { x: 40, y: 40 });
    assert.deepEqual(second.nodes.map((n) => n.id), ["pumps-2", "clean-2"]);
  });

  it("drops wires whose ends were not copied", () => {
    const pasted = pasteContent({
      format: CLIPBOARD_FORMAT,
      nodes: [{ id: "a", type: "debug", config: {}, position: { x: 0, y: 0 } }],
      edges: [{ id: "x", from: { node: "elsewhere", port: "out" }, to: { node: "a", port: "in" } }],
    }, [], { x: 0, y: 0 });
    assert.deepEqual(pasted.edges, []);
  });

  it("survives a round trip through text and refuses anything else", () => {
    const { nodes, edges } = demoWithSelection(["clean"]);
    const content = copySelection(nodes, edges)!;
    assert.deepEqual(parseClipboard(JSON.stringify(content)), content);
    const bad = [
      null, "", "not json {", "[]", JSON.stringify({ format: "other", nodes: [], edges: [] }),
      JSON.stringify({ format: CLIPBOARD_FORMAT, nodes: [{ id: 3, type: "debug" }], edges: [] }),
      JSON.stringify({ format: CLIPBOARD_FORMAT, nodes: [{ id: "a", type: "debug", position: { x: "1", y: 2 } }], edges: [] }),
      JSON.stringify({ format: CLIPBOARD_FORMAT, nodes: [], edges: [{ id: "e", from: "a", to: { node: "b", port: "in" } }] }),
      JSON.stringify({ format: CLIPBOARD_FORMAT, nodes: "a" }),
    ];
    for (const text of bad) assert.equal(parseClipboard(text), undefined, `refuses ${text}`);
  });
});
