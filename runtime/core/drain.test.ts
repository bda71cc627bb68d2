import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { flowOf, probeNodes, reading } from "../../test/support/test-nodes.ts";
import { VirtualClock } from "../sdk/clock.ts";
import { Config, defineNode, Type } from "../sdk/index.ts";
import { describeUndrained, drainWithin } from "./drain.ts";
import { Engine, type EngineOptions } from "./engine.ts";

/** An async sink-like node: each call takes `ms` on the node's clock (0: never finishes), one at a time. */
const slow = defineNode({
  type: "test-slow",
  version: 1,
  family: "sinks",
  title: "Slow",
  summary: "Takes `ms` of clock time per message, one at a time.",
  config: Config({ ms: Type.Number({ default: 1000, description: "Clock time per message; 0 never finishes." }) }),
  inputs: { in: { kind: "any", description: "x" } },
  outputs: { out: { kind: "any", description: "x" } },
  examples: [],
  concurrency: 1,
  create: (config, ctx) => ({
    async onMessage(msg) {
      await new Promise<void>((resolve) => {
        if (config.ms > 0) ctx.clock.setTimeout(resolve, config.ms);
      });
      ctx.emit("out", msg);
    },
  }),
});

/** A turn of the event loop: lets promises and the run queue settle (no clock time passes). */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function backlog(count: number, ms: number, options: Partial<EngineOptions> = {}) {
  const probe = probeNodes();
  const clock = new VirtualClock();
  const engine = new Engine({ catalog: new Map([...probe.definitions, slow].map((d) => [d.type, d])), clock, ...options });
  await engine.deploy(flowOf([["src", "test-source"], ["slow", "test-slow", { ms }], ["out", "test-sink"]], ["src.out->slow.in", "slow.out->out.in"]));
  for (let i = 0; i < count; i++) probe.sources.get("src")!(reading(i));
  await turn();
  let stopped = false;
  const stopping = engine.stop().then((report) => {
    stopped = true;
    return report;
  });
  /** Moves the clock on `ms` in steps of 100 ms, letting the flow run between them. */
  const advance = async (total: number) => {
    for (let at = 0; at < total; at += 100) {
      clock.advance(100);
      await turn();
    }
  };
  return { engine, stopping, advance, isStopped: () => stopped, out: () => probe.received.get("out") ?? [] };
}

describe("stop with a drain timeout", () => {
  it("gives up draining after the timeout and counts what was still queued as dropped, per node", async () => {
    const run = await backlog(100, 1_000, { drainTimeoutMs: 10_000 });
    await run.advance(9_900);
    assert.equal(run.isStopped(), false, "still draining before the timeout");
    await run.advance(200);
    assert.equal(run.isStopped(), true, "stopped once the timeout passed");
    const report = await run.stopping;
    const delivered = run.out().length;
    assert.equal(report.drained, false);
    assert.equal(report.timeoutMs, 10_000);
    const [atSlow] = report.dropped;
    assert.equal(report.dropped.length, 1);
    assert.equal(atSlow!.node, "slow");
    assert.equal(delivered + atSlow!.queued + atSlow!.inFlight, 100, `${delivered} delivered, ${atSlow!.queued} queued, ${atSlow!.inFlight} in flight`);
    assert.ok(delivered >= 9 && atSlow!.queued >= 89, `${delivered} delivered in 10 s at 1 s each`);
    const metrics = run.engine.metrics().find((m) => m.node === "slow")!;
    assert.deepEqual([metrics.dropped, metrics.counters["dropped_at_stop"]], [atSlow!.queued, atSlow!.queued]);
  });

  it("waits 10 s by default", async () => {
    const run = await backlog(3, 0);
    await run.advance(9_900);
    assert.equal(run.isStopped(), false);
    await run.advance(200);
    const report = await run.stopping;
    assert.deepEqual(report.dropped.map((d) => [d.node, d.queued, d.inFlight]), [["slow", 2, 1]], "the call that never ends is reported in flight");
  });

  it("drains everything when the backlog finishes within the timeout, and says so", async () => {
    const run = await backlog(5, 1_000, { drainTimeoutMs: 10_000 });
    await run.advance(5_100);
    const report = await run.stopping;
    assert.deepEqual([report.drained, report.dropped, run.out().length], [true, [], 5]);
  });
});

describe("drainWithin", () => {
  it("is true when the flow goes idle in time and false when the clock passes the timeout first", async () => {
    const clock = new VirtualClock();
    let idle!: () => void;
    const inTime = drainWithin(new Promise<void>((resolve) => (idle = resolve)), clock, 1_000);
    clock.advance(999);
    idle();
    assert.equal(await inTime, true);
    assert.equal(clock.pending, 0, "its timer is cancelled");
    const late = drainWithin(new Promise<void>(() => undefined), clock, 1_000);
    clock.advance(1_000);
    assert.equal(await late, false);
  });

  it("describes what a timed-out drain left behind, per node", () => {
    assert.equal(
      describeUndrained([{ node: "slow", queued: 90, inFlight: 1 }, { node: "db", queued: 1, inFlight: 0 }]),
      "dropped 91 queued messages (slow 90, db 1); abandoned 1 call (slow 1) in flight",
    );
    assert.equal(describeUndrained([]), "");
  });
});
