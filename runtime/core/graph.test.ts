import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { FlowDocument } from "../contract/flow-format.ts";
import { flowOf, probeNodes } from "../../test/support/test-nodes.ts";
import { enabled, hashOf, wire } from "./graph.ts";
import { NodeStats } from "./metrics.ts";
import { RuntimeNode } from "./runtime-node.ts";
import { validateFlow, type ValidFlow, type ValidNode } from "./validate.ts";

const catalog = new Map(probeNodes().definitions.map((d) => [d.type, d]));

function valid(flow: FlowDocument): ValidFlow {
  const result = validateFlow(flow, catalog);
  if (!result.ok) throw new Error(result.errors.map(String).join("\n"));
  return result.value;
}

/** The one valid node of a one-node flow of `test-step` with `config`. */
const stepWith = (config: Record<string, unknown>): ValidNode => valid(flowOf([["s", "test-step", config]], [])).nodes[0]!;

function runtimeNode(entry: ValidNode): RuntimeNode {
  return new RuntimeNode(entry.node.id, entry.node.name, entry.definition, entry.config, hashOf(entry), new Map(), new NodeStats(), 100);
}

/** Each node's output table as "port -> node.port" strings, for comparing wiring at a glance. */
function wiring(nodes: Map<string, RuntimeNode>): Record<string, string[]> {
  return Object.fromEntries(
    [...nodes].map(([id, node]) => [id, Object.entries(node.outputs).flatMap(([port, targets]) => targets.map((t) => `${port} -> ${t.node.id}.${t.port}`))]),
  );
}

describe("enabled", () => {
  it("keeps every valid node but those marked disabled, in flow order", () => {
    const flow = flowOf([["a", "test-source"], ["b", "test-step"], ["c", "test-sink"]], ["a.out->b.in", "b.out->c.in"]);
    const withDisabled: FlowDocument = { ...flow, nodes: flow.nodes.map((n) => (n.id === "b" ? { ...n, disabled: true } : n.id === "c" ? { ...n, disabled: false } : n)) };
    assert.deepEqual(enabled(valid(withDisabled)).map((n) => n.node.id), ["a", "c"]);
  });
});

describe("hashOf", () => {
  it("is the same for the same type, version and config, whatever the order of the config's keys", () => {
    assert.equal(hashOf(stepWith({ add: 2, failOn: 7 })), hashOf(stepWith({ failOn: 7, add: 2 })));
    assert.match(hashOf(stepWith({})), /^[0-9a-f]{64}$/);
  });

  it("changes with the config, the node type's version and the connections the node uses", () => {
    const base = stepWith({ add: 2 });
    const variants: Array<[string, ValidNode]> = [
      ["another config value", stepWith({ add: 3 })],
      ["a config key more", stepWith({ add: 2, failOn: 1 })],
      ["version 2 of the type", { ...base, definition: { ...base.definition, version: 2 } }],
      ["a connection", { ...base, connections: { plant: { type: "mqtt-broker", config: { url: "mqtt://a" } } } }],
    ];
    for (const [what, changed] of variants) assert.notEqual(hashOf(changed), hashOf(base), what);
    const plant = (url: string) => ({ ...base, connections: { plant: { type: "mqtt-broker", config: { url } } } });
    assert.notEqual(hashOf(plant("mqtt://a")), hashOf(plant("mqtt://b")), "a changed connection rebuilds the node");
  });

  it("ignores where the node sits on the canvas and what it is called", () => {
    const flow = flowOf([["s", "test-step", { add: 2 }]], []);
    const moved: FlowDocument = { ...flow, nodes: flow.nodes.map((n) => ({ ...n, name: "renamed", position: { x: 999, y: 1 } })) };
    assert.equal(hashOf(valid(moved).nodes[0]!), hashOf(valid(flow).nodes[0]!));
  });
});

describe("wire", () => {
  const flow = flowOf(
    [["src", "test-source"], ["step", "test-step"], ["a", "test-sink"], ["b", "test-sink"]],
    ["src.out->step.in", "step.out->a.in", "step.out->b.in", "step.error->a.in"],
  );
  const build = (document: FlowDocument) => new Map(enabled(valid(document)).map((entry) => [entry.node.id, runtimeNode(entry)]));

  it("gives each node an output table: every target of each port, in edge order", () => {
    const nodes = build(flow);
    wire(nodes, flow);
    assert.deepEqual(wiring(nodes), { src: ["out -> step.in"], step: ["out -> a.in", "out -> b.in", "error -> a.in"], a: [], b: [] });
  });

  it("lets edges to or from a node that is not built (disabled) carry nothing", () => {
    const nodes = build(flow);
    nodes.delete("step");
    wire(nodes, flow);
    assert.deepEqual(wiring(nodes), { src: [], a: [], b: [] });
  });

  it("rebuilds the tables on a redeploy: a removed edge is gone, not left over from the last wiring", () => {
    const nodes = build(flow);
    wire(nodes, flow);
    wire(nodes, { ...flow, edges: flow.edges.filter((e) => e.to.node !== "b") });
    assert.deepEqual(wiring(nodes).step, ["out -> a.in", "error -> a.in"]);
  });

  it("builds tables without a prototype, so a port named like an Object method is just a port", () => {
    const nodes = build(flow);
    const odd: FlowDocument = { ...flow, edges: [{ id: "e", from: { node: "src", port: "constructor" }, to: { node: "a", port: "in" } }] };
    wire(nodes, odd);
    assert.deepEqual(wiring(nodes).src, ["constructor -> a.in"]);
    assert.equal(nodes.get("step")!.outputs["toString"], undefined);
  });
});
