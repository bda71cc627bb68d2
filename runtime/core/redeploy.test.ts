import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { flowOf, probeNodes } from "../../test/support/test-nodes.ts";
import type { FlowDocument } from "../contract/flow-format.ts";
import { enabled, hashOf } from "./graph.ts";
import { NodeStats } from "./metrics.ts";
import { planRedeploy } from "./redeploy.ts";
import { RuntimeNode } from "./runtime-node.ts";
import { validateFlow, type ValidFlow } from "./validate.ts";

const catalog = new Map(probeNodes().definitions.map((d) => [d.type, d]));

function valid(flow: FlowDocument): ValidFlow {
  const result = validateFlow(flow, catalog);
  assert.ok(result.ok);
  return result.value;
}

/** The running nodes of `flow`, as the engine would have built them. */
function running(flow: FlowDocument): Map<string, RuntimeNode> {
  return new Map(
    enabled(valid(flow)).map((entry) => [entry.node.id, new RuntimeNode(entry.node.id, undefined, entry.definition, entry.config, hashOf(entry), new Map(), new NodeStats(), 100)]),
  );
}

describe("planRedeploy", () => {
  it("keeps unchanged nodes as they run, rebuilds changed ones, adds new ids and removes missing ones", () => {
    const before = running(flowOf([["src", "test-source"], ["step", "test-step"], ["old", "test-sink"]], ["src.out->step.in", "step.out->old.in"]));
    const plan = planRedeploy(before, valid(flowOf([["src", "test-source"], ["step", "test-step", { add: 2 }], ["new", "test-sink"]], ["src.out->step.in", "step.out->new.in"])));
    assert.deepEqual(plan.report, { flowId: "test-flow", kept: ["src"], changed: ["step"], added: ["new"], removed: ["old"] });
    assert.equal(plan.next.get("src"), before.get("src"), "the same instance, with its keyed state");
    assert.deepEqual([...plan.next.keys()], ["src"], "new and rebuilt nodes are the swap's to build");
    assert.deepEqual(plan.retired.map((n) => n.id), ["step", "old"]);
  });

  it("counts a node disabled in the new version as removed", () => {
    const before = running(flowOf([["src", "test-source"], ["out", "test-sink"]], ["src.out->out.in"]));
    const next = flowOf([["src", "test-source"], ["out", "test-sink"]], ["src.out->out.in"]);
    const plan = planRedeploy(before, valid({ ...next, nodes: next.nodes.map((n) => (n.id === "out" ? { ...n, disabled: true } : n)) }));
    assert.deepEqual([plan.report.kept, plan.report.removed], [["src"], ["out"]]);
  });
});
