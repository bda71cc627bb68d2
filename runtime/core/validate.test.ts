import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { flowOf, probeNodes } from "../../test/support/test-nodes.ts";
import { Config, defineNode, Secret, type PortKind } from "../sdk/index.ts";
import { parseFlowText, validateFlow } from "./validate.ts";

const probe = probeNodes();
const secretive = defineNode({
  type: "test-secretive",
  version: 1,
  family: "sinks",
  title: "Secretive",
  summary: "Has a password field.",
  config: Config({ password: Secret("Broker password.") }),
  inputs: { in: { kind: "any", description: "x" } },
  outputs: {},
  examples: [],
  create: () => ({}),
});
const catalog = new Map([...probe.definitions, secretive].map((d) => [d.type, d]));

function problems(document: unknown): string[] {
  const result = validateFlow(document, catalog);
  return result.ok ? [] : result.errors.map((e) => e.toString());
}

describe("flow validation", () => {
  it("accepts a well-formed flow and fills defaults", () => {
    const result = validateFlow(flowOf([["src", "test-source"], ["a", "test-step"], ["out", "test-sink"]], ["src.out->a.in", "a.out->out.in"]), catalog);
    assert.equal(result.ok, true);
    assert.deepEqual(result.ok && result.value.nodes[1]!.config, { add: 1 });
  });

  it("reports every problem at once, each with a code and a JSON path", () => {
    const flow = flowOf(
      [
        ["src", "test-source"],
        ["a", "test-stpe"],
        ["b", "test-step", { add: "three", extra: 1 }],
        ["b", "test-sink"],
        ["d", "test-delay", { hops: 0 }],
      ],
      ["src.out->ghost.in", "src.nope->d.in", "src.out->b.out", "d.out->b.in"],
    );
    assert.deepEqual(problems(flow), [
      'nodes[1].type: unknown node type "test-stpe" (did you mean "test-step"?) [FLOW_UNKNOWN_NODE_TYPE]',
      'nodes[2].config: unknown field "extra" [NODE_CONFIG_INVALID]',
      "nodes[2].config.add: must be number [NODE_CONFIG_INVALID]",
      'nodes[3].id: duplicate node id "b" (also nodes[2]) [FLOW_DUPLICATE_ID]',
      "nodes[4].config.hops: must be >= 1 [NODE_CONFIG_INVALID]",
      'edges[0].to.node: no node with id "ghost" [FLOW_EDGE_UNKNOWN_NODE]',
      'edges[1].from.port: node "src" (test-source) has no output "nope"; its outputs: out, error [FLOW_EDGE_UNKNOWN_PORT]',
      'edges[2].to.port: node "b" (test-step) has no input "out"; its inputs: in [FLOW_EDGE_UNKNOWN_PORT]',
    ]);
  });

  it("refuses a wire between incompatible port kinds and says why", () => {
    const flow = flowOf([["src", "test-source"], ["s", "test-step"]], ["src.error->s.in"]);
    assert.deepEqual(problems(flow), [
      'edges[0]: cannot wire event output "src.error" to reading input "s.in" (raw or cleaned sensor values, one sample per message expected) [FLOW_EDGE_KIND_MISMATCH]',
    ]);
  });


  it("names the nodes that convert exactly between two kinds, and none when the catalog has none", () => {
    const node = (type: string, family: "util" | "windows", from: PortKind, to: PortKind) =>
      defineNode({ type, version: 1, family, title: type, summary: "x", config: Config({}), inputs: { in: { kind: from, description: "x" } }, outputs: { out: { kind: to, description: "x" } }, examples: [], create: () => ({}) });
    const withConverters = new Map([...probe.definitions, node("test-event-to-reading", "windows", "event", "reading"), node("test-any", "util", "any", "any")].map((d) => [d.type, d]));
    const flow = flowOf([["src", "test-source"], ["s", "test-step"]], ["src.error->s.in"]);
    const result = validateFlow(flow, withConverters);
    assert.match(result.ok ? "" : result.errors[0]!.message, /\(.* expected\); put a "test-event-to-reading" between them$/);
    assert.doesNotMatch(problems(flow)[0]!, /between them/, "the probe catalog has no converter, so none is named");
  });

  it("refuses a cycle unless a loop-safe node is on it", () => {
    const loop = flowOf([["a", "test-step"], ["b", "test-step"], ["c", "test-step"]], ["a.out->b.in", "b.out->c.in", "c.out->a.in"]);
    assert.deepEqual(problems(loop), ["edges[2]: cycle a -> b -> c -> a passes through no loop-safe node [FLOW_CYCLE]"]);
    const self = flowOf([["a", "test-step"]], ["a.out->a.in"]);
    assert.deepEqual(problems(self), ["edges[0]: cycle a -> a passes through no loop-safe node [FLOW_CYCLE]"]);
    const safe = flowOf([["a", "test-step"], ["d", "test-delay"]], ["a.out->d.in", "d.out->a.in"]);
    assert.deepEqual(problems(safe), []);
  });

  it("refuses the same edge twice (same output, same input), naming both", () => {
    const twice = flowOf([["src", "test-source"], ["out", "test-sink"], ["other", "test-sink"]], ["src.out->out.in", "src.out->other.in", "src.out->out.in"]);
    assert.deepEqual(problems(twice), ['edges[2]: edge "e2" repeats edge "e0" (src.out -> out.in): every message would arrive twice [FLOW_DUPLICATE_EDGE]']);
    const loopTwice = flowOf([["a", "test-step"], ["d", "test-delay"]], ["a.out->d.in", "d.out->a.in", "d.out->a.in"]);
    assert.deepEqual(problems(loopTwice), ['edges[2]: edge "e2" repeats edge "e1" (d.out -> a.in): every message would arrive twice [FLOW_DUPLICATE_EDGE]']);
  });

  it("reads the flow's settings: maxHops must be a whole number of at least 1", () => {
    const flow = flowOf([["src", "test-source"]], []);
    assert.deepEqual(problems({ ...flow, settings: { maxHops: 10 } }), []);
    assert.deepEqual(problems({ ...flow, settings: { maxHops: 0 } }), ["settings.maxHops: must be >= 1 [FLOW_FORMAT_INVALID]"]);
    assert.deepEqual(problems({ ...flow, settings: { maxHop: 10 } }), ['settings: unknown field "maxHop" (did you mean "maxHops"?) [FLOW_FORMAT_INVALID]']);
  });

  it("refuses a secret written in clear text", () => {
    const flow = flowOf([["s", "test-secretive", { password: "hunter2" }]], []);
    assert.deepEqual(problems(flow), ["nodes[0].config.password: holds a secret in clear text [FLOW_SECRET_INLINE]"]);
    assert.deepEqual(problems(flowOf([["s", "test-secretive", { password: { $secret: "mqtt-pass" } }]], [])), []);
  });

  it("reports structural problems with their paths", () => {
    assert.deepEqual(problems({ format: "aiotflow/flow@2", id: "x y", name: "n", nodes: [{ id: "a" }] }), [
      'format: must be "aiotflow/flow@1" [FLOW_FORMAT_INVALID]',
      'id: must match pattern "^[A-Za-z0-9_.:-]+$" [FLOW_FORMAT_INVALID]',
      'nodes[0]: missing required field "type" [FLOW_FORMAT_INVALID]',
    ]);
    assert.deepEqual(problems([1, 2]), ["$: a flow document must be a JSON object [FLOW_FORMAT_INVALID]"]);
  });

  it("names the line and column of malformed JSON", () => {
    const result = parseFlowText('{\n  "format": "aiotflow/flow@1",\n  "nodes": [,]\n}', "flows/bad.json");
    assert.equal(result.ok, false);
    const error = !result.ok ? result.errors[0]! : undefined;
    assert.equal(error?.code, "FLOW_JSON_MALFORMED");
    assert.equal(error?.details.file, "flows/bad.json:3:13");
    assert.equal(error?.message, 'invalid JSON: value expected at ","');
  });
});
