import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { flowOf, probeNodes, reading } from "../../test/support/test-nodes.ts";
import { VirtualClock } from "../sdk/clock.ts";
import { Config, defineNode, type Message } from "../sdk/index.ts";
import { Engine, type EngineOptions } from "./engine.ts";
import { approxBytes } from "./parking.ts";

/** An async node whose calls wait until the test opens it; open, it passes messages straight on. */
function gateNode() {
  let opened = false;
  const waiting: Array<() => void> = [];
  const definition = defineNode({
    type: "test-gate",
    version: 1,
    family: "util",
    title: "Gate",
    summary: "Holds every call until opened.",
    config: Config({}),
    inputs: { in: { kind: "any", description: "x" } },
    outputs: { out: { kind: "any", description: "x" } },
    examples: [],
    concurrency: 1,
    create: (_c, ctx) => ({
      async onMessage(msg) {
        if (!opened) await new Promise<void>((resolve) => waiting.push(resolve));
        ctx.emit("out", msg);
      },
    }),
  });
  const open = () => {
    opened = true;
    for (const resolve of waiting.splice(0)) resolve();
  };
  return { definition, open };
}

const valueOf = (msg: Message) => (msg.payload as { value: number }).value;

/**
 * Runs a redeploy (a tap added) while the gate holds one message in flight, so the swap waits; during
 * it a source that ignores backpressure sends `during` messages, made by `make`.
 */
async function redeployUnderLoad(
  options: Partial<EngineOptions>,
  during: number,
  make: (i: number) => Message = (i) => reading(i),
  afterSwap: (send: (msg: Message) => boolean, sent: number) => number = () => 0,
) {
  const probe = probeNodes();
  const gate = gateNode();
  const engine = new Engine({ catalog: new Map([...probe.definitions, gate.definition].map((d) => [d.type, d])), clock: new VirtualClock(), ...options });
  const flow = (tap: boolean) =>
    flowOf(
      [["src", "test-source"], ["gate", "test-gate"], ["out", "test-sink"], ...(tap ? [["tap", "test-sink"] as [string, string]] : [])],
      ["src.out->gate.in", "gate.out->out.in", ...(tap ? ["src.out->tap.in"] : [])],
    );
  await engine.deploy(flow(false));
  const send = probe.sources.get("src")!;
  let parked = 0;
  engine.hooks.add({ onHold: () => void parked++ });
  let sent = 0;
  send(make(sent++)); // in flight at the gate: the swap waits for it
  const deploying = engine.deploy(flow(true));
  while (parked === 0) {
    send(make(sent++)); // queued until the swap starts parking
    await Promise.resolve();
  }
  const before = sent - 1; // the last one was the first parked
  for (let i = 1; i < during; i++) assert.equal(send(make(sent++)), false, "paused while the swap runs");
  gate.open();
  await deploying;
  sent += afterSwap(send, sent);
  await engine.idle();
  const metrics = new Map(engine.metrics().map((m) => [m.node, m]));
  return { before, sent, metrics, out: probe.received.get("out") ?? [], engine };
}

describe("redeploy parking", () => {
  it("parks at most its bound from a source that ignores backpressure, and drops and counts the rest at the source", async () => {
    const run = await redeployUnderLoad({ nodeCapacity: 1_000, redeployBuffer: { maxMessages: 1_000 } }, 52_095);
    const src = run.metrics.get("src")!;
    assert.deepEqual([src.counters["held_during_redeploy"], src.counters["dropped_during_redeploy"], src.dropped], [1_000, 51_095, 51_095]);
    assert.equal(run.metrics.get("gate")!.dropped, 0, "nothing lost at the gate's queue limit");
    assert.equal(run.out.length, run.before + 1_000, "every message sent before the swap, and every parked one");
    await run.engine.stop();
  });

  it("re-sends parked messages as the flow drains, so a queue smaller than the parking loses none of them", async () => {
    const run = await redeployUnderLoad({ highWater: 64, nodeCapacity: 100, redeployBuffer: { maxMessages: 1_000 } }, 1_000);
    assert.equal(run.metrics.get("gate")!.dropped, 0);
    assert.equal(run.out.length, run.before + 1_000);
    assert.deepEqual(run.out.map(valueOf), Array.from({ length: run.sent }, (_, i) => i), "in the order sent");
    await run.engine.stop();
  });

  it("bounds the parking by bytes as well", async () => {
    const big = (i: number): Message => ({ topic: "t", ts: i, payload: { value: i, blob: "x".repeat(1_000) } });
    const run = await redeployUnderLoad({ redeployBuffer: { maxBytes: 64 * 1024 } }, 1_000, big);
    const src = run.metrics.get("src")!;
    const held = src.counters["held_during_redeploy"]!;
    assert.ok(held > 30 && held * 1_000 <= 64 * 1024, `parked ${held} messages of ~1 kB`);
    assert.equal(src.counters["dropped_during_redeploy"], 1_000 - held);
    await run.engine.stop();
  });

  it("keeps a source's order when it goes on sending while the parked messages are re-sent", async () => {
    const goOn = (send: (msg: Message) => boolean, sent: number) => {
      for (let i = 0; i < 100; i++) send(reading(sent + i)); // right after the swap, before the parked ones are all out
      return 100;
    };
    const run = await redeployUnderLoad({ highWater: 16 }, 200, undefined, goOn);
    assert.deepEqual(run.out.map(valueOf), Array.from({ length: run.sent }, (_, i) => i));
    await run.engine.stop();
  });
});

describe("approxBytes", () => {
  it("estimates a message by its strings, numbers and binary payloads", () => {
    const small = approxBytes({ topic: "t", ts: 0, payload: { value: 1 } });
    assert.ok(small > 0 && small < 200, `${small}`);
    const text = approxBytes({ topic: "t", ts: 0, payload: { blob: "x".repeat(10_000) } });
    assert.ok(text >= 10_000 && text < 10_200, `${text}`);
    assert.ok(approxBytes({ topic: "t", ts: 0, payload: new Float64Array(1_000) }) >= 8_000);
    assert.ok(approxBytes({ topic: "t", ts: 0, payload: Array.from({ length: 100 }, () => ({ a: 1.5 })) }) >= 800);
  });

  it("stops at a depth instead of following a cycle", () => {
    const loop: Record<string, unknown> = { a: 1 };
    loop["self"] = loop;
    assert.ok(Number.isFinite(approxBytes({ topic: "t", ts: 0, payload: loop })));
  });
});
