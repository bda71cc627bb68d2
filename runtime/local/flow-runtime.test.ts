import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { flowOf, probeNodes, reading } from "../../test/support/test-nodes.ts";
import { VirtualClock } from "../sdk/clock.ts";
import { Config, defineNode } from "../sdk/index.ts";
import { FlowRuntime } from "./flow-runtime.ts";
import type { RuntimeEvent } from "./local-runtime.ts";

function setup() {
  const probe = probeNodes();
  const runtime = new FlowRuntime({ catalog: new Map(probe.definitions.map((d) => [d.type, d])) });
  const events: RuntimeEvent[] = [];
  runtime.subscribe((e) => events.push(e));
  return { probe, runtime, events };
}

const v1 = flowOf([["src", "test-source"], ["step", "test-step"], ["out", "test-sink"]], ["src.out->step.in", "step.out->out.in"], "line-1");
const broken = flowOf([["src", "test-source", { failStart: true }], ["out", "test-sink"]], ["src.out->out.in"], "line-1");

describe("local runtime", () => {
  it("deploys a flow, reports its state and publishes deploy progress", async () => {
    const { runtime, events } = setup();
    const outcome = await runtime.deploy("line-1", 1, v1);
    assert.equal(outcome.ok, true);
    assert.deepEqual(runtime.flows().map((f) => [f.flowId, f.version, f.state]), [["line-1", 1, "running"]]);
    assert.deepEqual(
      events.filter((e) => e.type === "deploy").map((e) => e.type === "deploy" && e.phase),
      ["validating", "starting", "running"],
    );
    await runtime.close();
    assert.deepEqual(runtime.flows(), []);
  });

  it("refuses deploys once the server is shutting down, and keeps the running flow until it is stopped", async () => {
    const { runtime, events } = setup();
    assert.equal((await runtime.deploy("line-1", 1, v1)).ok, true);
    runtime.refuseDeploys();
    const outcome = await runtime.deploy("line-2", 1, { ...v1, id: "line-2" });
    assert.equal(outcome.ok, false);
    assert.deepEqual(!outcome.ok && [outcome.error.code, outcome.error.message], ["DEPLOY_FAILED", "the server is shutting down: deploy again once it has restarted"]);
    assert.ok(events.some((e) => e.type === "deploy" && e.flowId === "line-2" && e.phase === "failed"));
    assert.deepEqual(runtime.flows().map((f) => [f.flowId, f.state]), [["line-1", "running"]]);
    await runtime.close();
    assert.deepEqual(runtime.flows(), []);
  });

  it("keeps the previous version running when the new one fails to start, and says so", async () => {
    const { runtime, probe, events } = setup();
    await runtime.deploy("line-1", 1, v1);
    const outcome = await runtime.deploy("line-1", 2, broken);
    assert.equal(outcome.ok, false);
    assert.equal(!outcome.ok && outcome.error.code, "NODE_START_FAILED");
    const failed = events.find((e) => e.type === "deploy" && e.phase === "failed");
    assert.match(failed?.type === "deploy" ? (failed.detail ?? "") : "", /device unreachable; version 1 keeps running/);
    assert.equal(runtime.flows()[0]!.version, 1);
    probe.sources.get("src")!(reading(1));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(probe.received.get("out")!.length, 1);
    await runtime.close();
  });

  it("refuses an invalid flow with every problem, and a document whose id is not the flow's", async () => {
    const { runtime } = setup();
    const invalid = await runtime.deploy("line-1", 1, flowOf([["x", "no-such-type"]], [], "line-1"));
    assert.equal(!invalid.ok && invalid.error.code, "FLOW_INVALID");
    assert.equal(!invalid.ok && (invalid.error.problems as Array<{ code: string }>)[0]!.code, "FLOW_UNKNOWN_NODE_TYPE");
    const mismatch = await runtime.deploy("line-2", 1, v1);
    assert.match(!mismatch.ok ? mismatch.error.message : "", /document's id "line-1" is not the flow's id "line-2"/);
    assert.deepEqual(runtime.flows(), []);
  });

  it("forwards debug, status and unhandled errors tagged with the flow id", async () => {
    const { runtime, probe, events } = setup();
    await runtime.deploy("line-1", 1, flowOf([["src", "test-source"], ["step", "test-step", { failOn: 3 }]], ["src.out->step.in"], "line-1"));
    probe.sources.get("src")!(reading(3));
    await new Promise((resolve) => setImmediate(resolve));
    const error = events.find((e) => e.type === "error");
    assert.deepEqual(error && [error.flowId, error.type === "error" && error.node, error.type === "error" && error.code], ["line-1", "step", "NODE_FAILED"]);
    await runtime.close();
  });

  it("stops a flow within its drain timeout, even with a call that never ends", async () => {
    const probe = probeNodes();
    const stuck = defineNode({
      type: "test-stuck", version: 1, family: "sinks", title: "Stuck", summary: "Never finishes a call.", config: Config({}),
      inputs: { in: { kind: "any", description: "x" } }, outputs: {}, examples: [], concurrency: 1,
      create: () => ({ onMessage: () => new Promise<void>(() => undefined) }),
    });
    const clock = new VirtualClock();
    const runtime = new FlowRuntime({ catalog: new Map([...probe.definitions, stuck].map((d) => [d.type, d])), clock, drainTimeoutMs: 2_000 });
    await runtime.deploy("line-1", 1, flowOf([["src", "test-source"], ["s", "test-stuck"]], ["src.out->s.in"], "line-1"));
    for (let i = 0; i < 3; i++) probe.sources.get("src")!(reading(i));
    const stopping = runtime.stop("line-1");
    await new Promise<void>((resolve) => setImmediate(resolve));
    clock.advance(2_000);
    assert.equal(await stopping, true);
    assert.deepEqual(runtime.flows(), []);
  });
});
