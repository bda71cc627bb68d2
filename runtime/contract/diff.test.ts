import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { FlowDocument, FlowNode } from "./flow-format.ts";
import { diffFlows } from "./diff.ts";
import type { FlowDiff } from "./flow-records.ts";

const node = (id: string, config: Record<string, unknown> = {}, extra: Partial<FlowNode> = {}): FlowNode => ({
  id,
  type: "window-sliding",
  config,
  position: { x: 0, y: 0 },
  ...extra,
});

const base: FlowDocument = {
  format: "aiotflow/flow@1",
  id: "pump",
  name: "Pump",
  nodes: [node("src", { rateHz: 10 }), node("avg", { window: { sizeMs: 1000, slideMs: 500 }, fields: ["a", "b"] }), node("out")],
  edges: [
    { id: "e1", from: { node: "src", port: "out" }, to: { node: "avg", port: "in" } },
    { id: "e2", from: { node: "avg", port: "out" }, to: { node: "out", port: "in" } },
  ],
  connections: { plant: { type: "mqtt-broker", config: { url: "mqtt://a" } } },
};

const NOTHING: FlowDiff = {
  nodes: { added: [], removed: [], changed: [] },
  edges: { added: [], removed: [], changed: [] },
  connections: { added: [], removed: [], changed: [] },
  flow: [],
};

function edit(change: (flow: FlowDocument) => void): FlowDocument {
  const copy = structuredClone(base);
  change(copy);
  return copy;
}

const cases: Array<{ name: string; after: FlowDocument; expected: Partial<FlowDiff> }> = [
  { name: "reports nothing for the same flow with keys in another order", after: edit((f) => (f.nodes[1]!.config = { fields: ["a", "b"], window: { slideMs: 500, sizeMs: 1000 } })), expected: {} },
  {
    name: "names the leaf path of a nested config change",
    after: edit((f) => ((f.nodes[1]!.config["window"] as { sizeMs: number }).sizeMs = 2000)),
    expected: { nodes: { added: [], removed: [], changed: [{ id: "avg", paths: ["config.window.sizeMs"] }] } },
  },
  {
    name: "names array elements by index, including ones added at the end",
    after: edit((f) => (f.nodes[1]!.config["fields"] = ["a", "c", "d"])),
    expected: { nodes: { added: [], removed: [], changed: [{ id: "avg", paths: ["config.fields[1]", "config.fields[2]"] }] } },
  },
  {
    name: "names a config key that is not an identifier in brackets",
    after: edit((f) => (f.nodes[0]!.config["rate.hz"] = 1)),
    expected: { nodes: { added: [], removed: [], changed: [{ id: "src", paths: ['config["rate.hz"]'] }] } },
  },
  {
    name: "reports a moved, renamed, retyped and disabled node by field",
    after: edit((f) => (f.nodes[2] = { ...node("out"), type: "debug", name: "Sink", position: { x: 5, y: 0 }, disabled: true })),
    expected: { nodes: { added: [], removed: [], changed: [{ id: "out", paths: ["disabled", "name", "position", "type"] }] } },
  },
  {
    name: "reports added and removed nodes and edges by id",
    after: edit((f) => {
      f.nodes = f.nodes.filter((n) => n.id !== "out");
      f.nodes.push(node("alarm"));
      f.edges[1] = { id: "e3", from: { node: "avg", port: "out" }, to: { node: "alarm", port: "in" } };
    }),
    expected: { nodes: { added: ["alarm"], removed: ["out"], changed: [] }, edges: { added: ["e3"], removed: ["e2"], changed: [] } },
  },
  {
    name: "reports a rewired edge as changed",
    after: edit((f) => (f.edges[0]!.to = { node: "out", port: "in" })),
    expected: { edges: { added: [], removed: [], changed: ["e1"] } },
  },
  {
    name: "reports connections added, removed and changed by name",
    after: edit((f) => {
      f.connections = { plant: { type: "mqtt-broker", config: { url: "mqtt://b" } }, historian: { type: "postgres", config: {} } };
    }),
    expected: { connections: { added: ["historian"], removed: [], changed: ["plant"] } },
  },
  {
    name: "reports a removed connection",
    after: edit((f) => (f.connections = {})),
    expected: { connections: { added: [], removed: ["plant"], changed: [] } },
  },
  {
    name: "reports changed top-level fields, including one added",
    after: edit((f) => {
      f.name = "Pump 2";
      f.description = "second line";
    }),
    expected: { flow: ["description", "name"] },
  },
];

describe("diffFlows", () => {
  for (const { name, after, expected } of cases) {
    it(name, () => assert.deepEqual(diffFlows(base, after), { ...NOTHING, ...expected }));
  }

  it("is symmetric: swapping the arguments swaps added and removed", () => {
    const after = cases[5]!.after;
    const forward = diffFlows(base, after);
    const backward = diffFlows(after, base);
    assert.deepEqual(backward.nodes.added, forward.nodes.removed);
    assert.deepEqual(backward.nodes.removed, forward.nodes.added);
  });

  it("does not mutate its inputs", () => {
    const before = structuredClone(base);
    const after = cases[1]!.after;
    const afterCopy = structuredClone(after);
    diffFlows(base, after);
    assert.deepEqual(base, before);
    assert.deepEqual(after, afterCopy);
  });

  it("treats a config key named __proto__ as data", () => {
    const after = edit((f) => (f.nodes[0]!.config = JSON.parse('{"rateHz":10,"__proto__":{"x":1}}') as Record<string, unknown>));
    assert.deepEqual(diffFlows(base, after).nodes.changed, [{ id: "src", paths: ["config.__proto__"] }]);
  });
});
