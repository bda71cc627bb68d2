import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { flowOf, probeNodes, reading } from "../../test/support/test-nodes.ts";
import { within } from "../../test/support/wait.ts";
import type { FlowDocument } from "../contract/flow-format.ts";
import { VirtualClock } from "../sdk/clock.ts";
import { Config, defineNode, type Message } from "../sdk/index.ts";
import { Engine, type FlowErrorEvent } from "./engine.ts";
import { hopsOf, LoopGuard } from "./hop-limit.ts";
import { runtimeNode } from "../../test/support/runtime-nodes.ts";

/** Loop-safe by declaration, yet passes everything on: the node that made a loop circulate forever. */
const relay = defineNode({
  type: "test-relay",
  version: 1,
  family: "util",
  title: "Relay",
  summary: "Passes every message on; claims to be loop-safe.",
  config: Config({}),
  inputs: { in: { kind: "any", description: "x" } },
  outputs: { out: { kind: "any", description: "x" } },
  examples: [],
  loopSafe: true,
  create: (_c, ctx) => ({ onMessage: (msg) => void ctx.emit("out", msg) }),
});

/** The same, asynchronous: every message waits for a microtask. */
const asyncRelay = defineNode({
  type: "test-async-relay",
  version: 1,
  family: "util",
  title: "Async relay",
  summary: "Passes every message on after a microtask; claims to be loop-safe.",
  config: Config({}),
  inputs: { in: { kind: "any", description: "x" } },
  outputs: { out: { kind: "any", description: "x" } },
  examples: [],
  loopSafe: true,
  concurrency: 4,
  create: (_c, ctx) => ({
    async onMessage(msg) {
      await Promise.resolve();
      ctx.emit("out", msg);
    },
  }),
});

/** Builds a new message from the payload only: topic, key and meta are lost. */
const rebuild = defineNode({
  type: "test-rebuild",
  version: 1,
  family: "util",
  title: "Rebuild",
  summary: "Emits a fresh message with the same payload and no meta.",
  config: Config({}),
  inputs: { in: { kind: "any", description: "x" } },
  outputs: { out: { kind: "any", description: "x" } },
  examples: [],
  create: (_c, ctx) => ({ onMessage: (msg) => void ctx.emit("out", { topic: "rebuilt", ts: msg.ts, payload: msg.payload }) }),
});

function setup() {
  const probe = probeNodes();
  const engine = new Engine({ catalog: new Map([...probe.definitions, relay, asyncRelay, rebuild].map((d) => [d.type, d])), clock: new VirtualClock(), freezeMessages: true });
  const errors: FlowErrorEvent[] = [];
  engine.on("error", (e) => errors.push(e));
  return { probe, engine, errors, send: (msg: Message) => probe.sources.get("src")!(msg), got: (sink: string) => probe.received.get(sink) ?? [] };
}

/** src -> r, r -> r (the loop), r -> out; with `settings` when given. */
function selfLoop(type = "test-relay", settings?: FlowDocument["settings"]): FlowDocument {
  const flow = flowOf([["src", "test-source"], ["r", type], ["out", "test-sink"]], ["src.out->r.in", "r.out->r.in", "r.out->out.in"]);
  return settings ? { ...flow, settings } : flow;
}

describe("hop limit", () => {
  it("drops a message that went round a loop 64 times, counts it and reports FLOW_HOP_LIMIT to the error handler", async () => {
    const { engine, errors, send, got } = setup();
    await engine.deploy(selfLoop());
    send(reading(1));
    await within(engine.idle(), "the loop to end", 5_000);
    assert.equal(got("out").length, 65, "the first pass and 64 more rounds");
    assert.ok(got("out").every((m) => m.meta === undefined), "the count is taken off when a message leaves the loop");
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.error.code, "FLOW_HOP_LIMIT");
    assert.match(errors[0]!.error.message, /crossed the wires of a loop 64 times \(settings.maxHops\) and was dropped on its way from "r" to "r"/);
    assert.equal(errors[0]!.error.details.node, "r");
    const r = engine.metrics().find((m) => m.node === "r")!;
    assert.deepEqual([r.dropped, r.counters["dropped_hop_limit"]], [1, 1]);
    await engine.stop();
  });

  it("takes the limit from the flow's settings.maxHops", async () => {
    const { engine, errors, send, got } = setup();
    await engine.deploy(selfLoop("test-relay", { maxHops: 3 }));
    send(reading(1));
    await within(engine.idle(), "the loop to end", 5_000);
    assert.deepEqual([got("out").length, errors.length], [4, 1]);
    await engine.stop();
  });

  it("stops while a message circulates through an async loop-safe node", async () => {
    const { engine, errors, send } = setup();
    await engine.deploy(selfLoop("test-async-relay"));
    for (let i = 0; i < 10; i++) send(reading(i));
    await within(engine.stop(), "stop() with messages on the loop", 5_000);
    assert.equal(engine.running, false);
    assert.ok(errors.every((e) => e.error.code === "FLOW_HOP_LIMIT"));
  });

  it("keeps counting through a node on the loop that builds a new message without meta", async () => {
    const { engine, errors, send, got } = setup();
    await engine.deploy(
      flowOf([["src", "test-source"], ["r", "test-relay"], ["b", "test-rebuild"], ["out", "test-sink"]], ["src.out->r.in", "r.out->b.in", "b.out->r.in", "r.out->out.in"]),
    );
    send(reading(1));
    await within(engine.idle(), "the loop to end", 5_000);
    assert.deepEqual([got("out").length, errors.map((e) => e.error.code)], [33, ["FLOW_HOP_LIMIT"]], "two wires per round: 32 rounds");
    await engine.stop();
  });

  it("counts nothing on wires outside a loop: a message that never enters one has no hop count", async () => {
    const { engine, send, got } = setup();
    await engine.deploy(flowOf([["src", "test-source"], ["r", "test-relay"], ["out", "test-sink"]], ["src.out->r.in", "r.out->out.in"]));
    send(reading(1));
    await engine.idle();
    assert.equal(got("out")[0]!.meta, undefined);
    await engine.stop();
  });
});

describe("LoopGuard", () => {
  it("adds a hop per loop wire in meta, keeping the rest of the message, and stops at maxHops", () => {
    const guard = new LoopGuard();
    guard.maxHops = 2;
    const node = runtimeNode("r");
    const first = guard.next(node, { topic: "t", ts: 1, payload: { v: 1 }, meta: { source: "s" } })!;
    assert.deepEqual(first, { topic: "t", ts: 1, payload: { v: 1 }, meta: { source: "s", hops: 1 } });
    const second = guard.next(node, first)!;
    assert.equal(hopsOf(second), 2);
    assert.equal(guard.next(node, second), undefined);
  });

  it("carries the hops of the message a node handles to what it sends without meta, for that node only", () => {
    const guard = new LoopGuard();
    const [a, b] = [runtimeNode("a"), runtimeNode("b")];
    guard.enter(a, { topic: "t", ts: 0, payload: 1, meta: { hops: 10 } });
    const fresh = { topic: "t", ts: 0, payload: 2 };
    assert.deepEqual([hopsOf(guard.next(a, fresh)!), hopsOf(guard.next(b, fresh)!)], [11, 1]);
    guard.leave();
    assert.equal(hopsOf(guard.next(a, fresh)!), 1);
  });

  it("takes the count off a message leaving the loop, and meta with it when nothing else was in it", () => {
    const guard = new LoopGuard();
    assert.deepEqual(guard.leaving({ topic: "t", ts: 0, payload: 1, meta: { hops: 3, source: "s" } }), { topic: "t", ts: 0, payload: 1, meta: { source: "s" } });
    assert.deepEqual(guard.leaving({ topic: "t", ts: 0, payload: 1, meta: { hops: 3 } }), { topic: "t", ts: 0, payload: 1 });
    const untouched = { topic: "t", ts: 0, payload: 1, meta: { source: "s" } };
    assert.equal(guard.leaving(untouched), untouched);
  });

  it("reads no hops from a message without a numeric meta.hops", () => {
    assert.deepEqual([hopsOf({ topic: "t", ts: 0, payload: 1 }), hopsOf({ topic: "t", ts: 0, payload: 1, meta: { hops: "3" } })], [0, 0]);
  });

  it("names both ends of the wire, its edge and the limit in the error", () => {
    const guard = new LoopGuard();
    const error = guard.error(runtimeNode("a"), { node: runtimeNode("b"), port: "in", loop: true, edge: 4 });
    assert.deepEqual([error.code, error.details.path, error.details.node, error.details["from"]], ["FLOW_HOP_LIMIT", "edges[4]", "b", "a"]);
  });
});
