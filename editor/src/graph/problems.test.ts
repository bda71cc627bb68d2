import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { describePath, describeText, editorHint, namedNodesOf, problemNodeIds, RefusedNodes } from "./problems.ts";

const nodes = [{ id: "sensor-1", name: "Simulated sensor" }, { id: "range-1" }, { id: "t1", name: "Threshold" }];

describe("problems in the editor's words", () => {
  it("names the node and the field of a config path", () => {
    assert.equal(describePath("nodes[2].config.clear", nodes), "node “Threshold” (t1), field clear");
    assert.equal(describeText("nodes[2].config.clear: must be <= raise (8)", nodes), "node “Threshold” (t1), field clear: must be <= raise (8)");
    assert.equal(describeText("nodes[1].config.rules[0].field: required", nodes), "node “range-1”, field rules[0].field: required");
    assert.equal(describeText("nodes[0]: unknown type", nodes), "node “Simulated sensor” (sensor-1): unknown type");
  });

  it("keeps paths whose node index does not exist, and says nothing for the whole document", () => {
    assert.equal(describeText("nodes[9].config.x: bad", nodes), "nodes[9].config.x: bad");
    assert.equal(describePath("$", nodes), "");
    assert.equal(describePath(undefined, nodes), "");
    assert.equal(describePath("edges[0].from", nodes), "edges[0].from");
  });

  it("reads node names from an unchecked document, whatever its shape", () => {
    assert.deepEqual(namedNodesOf({ nodes: [{ id: "a", name: "A" }, { id: 3 }, null, { id: "b" }] }), [{ id: "a", name: "A" }, { id: "" }, { id: "" }, { id: "b" }]);
    assert.deepEqual(namedNodesOf([1, 2]), []);
    assert.deepEqual(namedNodesOf(null), []);
    assert.equal(describeText("nodes[1].config.x: bad", namedNodesOf({ nodes: [{ id: "a" }, { id: 3 }] })), "nodes[1].config.x: bad");
  });

  it("finds the nodes problems point at", () => {
    assert.deepEqual(problemNodeIds([{ path: "nodes[2].config.clear" }, { path: "$" }, {}, { path: "nodes[2].config.raise" }, { path: "nodes[7]" }], nodes), ["t1"]);
  });

  it("replaces command-line hints for known codes only", () => {
    assert.match(editorHint("FLOW_UNKNOWN_NODE_TYPE", "Use a type listed by `aiotflow nodes`.") ?? "", /palette/);
    assert.equal(editorHint("OTHER", "keep me"), "keep me");
    assert.equal(editorHint(undefined, undefined), undefined);
  });

  it("keeps the refused nodes until cleared, telling subscribers of each change", () => {
    const store = new RefusedNodes();
    let calls = 0;
    const stop = store.subscribe(() => calls++);
    store.set(problemNodeIds([{ path: "nodes[2].config.clear" }], nodes));
    assert.deepEqual([...store.snapshot()], ["t1"]);
    store.set([]);
    assert.equal(store.snapshot().size, 0);
    store.set([]);
    assert.equal(calls, 2, "clearing an empty store tells no one");
    stop();
    store.set(["x"]);
    assert.equal(calls, 2);
  });
});
