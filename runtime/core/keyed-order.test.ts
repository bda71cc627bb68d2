import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { flowOf, probeNodes } from "../../test/support/test-nodes.ts";
import { VirtualClock } from "../sdk/clock.ts";
import { Config, defineNode, type Message } from "../sdk/index.ts";
import { SeededRandom } from "../sdk/seeded-random.ts";
import { Engine } from "./engine.ts";
import { KeyedLanes } from "./keyed-order.ts";

/**
 * An async node with 8 calls at once; each call takes a random 1-20 ms of clock time (seeded). It
 * records how many calls run at once per key and across keys.
 */
function remoteNode(orderBy: "key" | undefined, seed = 7) {
  const random = new SeededRandom(seed);
  const inFlight = new Map<string, number>();
  const seen = { maxPerKey: 0, maxKeysAtOnce: 0, maxAtOnce: 0 };
  const definition = defineNode({
    type: "test-remote",
    version: 1,
    family: "sinks",
    title: "Remote",
    summary: "Answers after a random delay.",
    config: Config({}),
    inputs: { in: { kind: "any", description: "x" } },
    outputs: { out: { kind: "any", description: "x" } },
    examples: [],
    concurrency: 8,
    ...(orderBy ? { orderBy } : {}),
    create: (_c, ctx) => ({
      async onMessage(msg: Message) {
        const key = msg.key ?? "(none)";
        inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
        const running = [...inFlight.values()];
        seen.maxPerKey = Math.max(seen.maxPerKey, inFlight.get(key)!);
        seen.maxKeysAtOnce = Math.max(seen.maxKeysAtOnce, running.filter((n) => n > 0).length);
        seen.maxAtOnce = Math.max(seen.maxAtOnce, running.reduce((a, b) => a + b, 0));
        await new Promise<void>((resolve) => ctx.clock.setTimeout(resolve, 1 + Math.floor(random.next() * 20)));
        inFlight.set(key, inFlight.get(key)! - 1);
        ctx.emit("out", msg);
      },
    }),
  });
  return { definition, seen };
}

/** Adjacent arrivals of the same key whose sequence numbers went backwards. */
function outOfOrderPairs(received: readonly Message[]): Map<string, number> {
  const last = new Map<string, number>();
  const pairs = new Map<string, number>();
  for (const msg of received) {
    const key = msg.key ?? "(none)";
    const seq = (msg.payload as { seq: number }).seq;
    if ((last.get(key) ?? -1) > seq) pairs.set(key, (pairs.get(key) ?? 0) + 1);
    else pairs.set(key, pairs.get(key) ?? 0);
    last.set(key, seq);
  }
  return pairs;
}

/** 4,000 messages over `keys` (picked at random, seeded) through the remote node; returns what arrived, in order. */
async function run(orderBy: "key" | undefined, keys: Array<string | undefined>) {
  const probe = probeNodes();
  const remote = remoteNode(orderBy);
  const clock = new VirtualClock();
  const engine = new Engine({ catalog: new Map([...probe.definitions, remote.definition].map((d) => [d.type, d])), clock, freezeMessages: true });
  await engine.deploy(flowOf([["src", "test-source"], ["remote", "test-remote"], ["out", "test-sink"]], ["src.out->remote.in", "remote.out->out.in"]));
  const pick = new SeededRandom(11);
  const seq = new Map<string | undefined, number>();
  for (let i = 0; i < 4_000; i++) {
    const key = keys[Math.floor(pick.next() * keys.length)];
    const n = seq.get(key) ?? 0;
    seq.set(key, n + 1);
    probe.sources.get("src")!({ topic: "t", ...(key !== undefined ? { key } : {}), ts: i, payload: { seq: n } });
  }
  const received = () => probe.received.get("out") ?? [];
  for (let guard = 0; received().length < 4_000 && guard < 200_000; guard++) {
    clock.advance(1);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  await engine.stop();
  return { received: received(), seen: remote.seen, virtualMs: clock.now() - new VirtualClock().now() };
}

describe("keyed concurrency (orderBy: key)", () => {
  it("keeps every key's messages in order through 8 parallel calls with random delays, and runs different keys at once", async () => {
    const { received, seen } = await run("key", ["pump-1", "pump-2"]);
    assert.equal(received.length, 4_000);
    assert.deepEqual(Object.fromEntries(outOfOrderPairs(received)), { "pump-1": 0, "pump-2": 0 });
    assert.equal(seen.maxPerKey, 1, "one call per key at a time");
    assert.equal(seen.maxKeysAtOnce, 2, "both keys in flight at once");
  });

  it("spreads many keys over every slot, and keeps messages without a key in one lane of their own", async () => {
    const keys = [undefined, ...Array.from({ length: 20 }, (_, i) => `k${i}`)];
    const { received, seen } = await run("key", keys);
    assert.equal(received.length, 4_000);
    assert.ok([...outOfOrderPairs(received).values()].every((n) => n === 0), "in order per key and without key");
    assert.deepEqual([seen.maxPerKey, seen.maxAtOnce], [1, 8]);
  });

  it("reorders a key's messages without it (the reason for orderBy)", async () => {
    const { received, seen } = await run(undefined, ["pump-1", "pump-2"]);
    const pairs = [...outOfOrderPairs(received).values()].reduce((a, b) => a + b, 0);
    assert.ok(pairs > 100 && seen.maxPerKey > 1, `${pairs} out-of-order pairs`);
  });
});

describe("keyed concurrency: failures", () => {
  it("goes on with a key's next message after a call that throws at once, without recursion on a long backlog", async () => {
    const probe = probeNodes();
    let calls = 0;
    const picky = defineNode({
      type: "test-keyed-picky", version: 1, family: "sinks", title: "Picky", summary: "Throws before returning a promise, except for the first message.",
      config: Config({}), inputs: { in: { kind: "any", description: "x" } }, outputs: { out: { kind: "any", description: "x" } },
      examples: [], concurrency: 4, orderBy: "key",
      create: (_c, ctx) => ({
        onMessage(msg) {
          if (calls++ === 0) return Promise.resolve().then(() => void ctx.emit("out", msg));
          throw new Error("refused");
        },
      }),
    });
    const engine = new Engine({ catalog: new Map([...probe.definitions, picky].map((d) => [d.type, d])) });
    await engine.deploy(flowOf([["src", "test-source"], ["p", "test-keyed-picky"], ["out", "test-sink"]], ["src.out->p.in", "p.out->out.in"]));
    for (let i = 0; i < 50_000; i++) probe.sources.get("src")!({ topic: "t", key: "pump-1", ts: i, payload: { seq: i } });
    await engine.idle();
    const p = engine.metrics().find((m) => m.node === "p")!;
    assert.deepEqual([p.in, p.errors, p.queueDepth, p.out], [50_000, 49_999, 0, 1]);
    await engine.stop();
  });
});

describe("KeyedLanes", () => {
  it("lets one message per key through, queues the rest of that key in order and hands them on one by one", () => {
    const lanes = new KeyedLanes<string>();
    const msg = (key: string | undefined, n: number): Message => ({ topic: "t", ...(key ? { key } : {}), ts: n, payload: n });
    assert.equal(lanes.enter(msg("a", 1)), true);
    assert.equal(lanes.enter(msg("b", 2)), true);
    assert.equal(lanes.enter(msg(undefined, 3)), true);
    assert.equal(lanes.enter(msg("a", 4)), false);
    lanes.wait("in", msg("a", 4), "node");
    assert.equal(lanes.enter(msg("a", 5)), false);
    lanes.wait("in", msg("a", 5), "node");
    assert.equal(lanes.waiting, 2);
    const handed: number[] = [];
    const take = (_port: string, m: Message, owner: string) => void handed.push(owner === "node" ? m.ts : -1);
    lanes.leave(msg("a", 1));
    assert.equal(lanes.ready.size, 1, "a's next message is ready and holds the key");
    assert.equal(lanes.enter(msg("a", 9)), false);
    lanes.startReady(take);
    lanes.leave(msg("a", 4));
    lanes.startReady(take);
    lanes.leave(msg("a", 5));
    assert.equal(lanes.ready.size, 0, "the key is free again");
    assert.deepEqual(handed, [4, 5]);
    assert.equal(lanes.enter(msg("a", 6)), true);
    assert.equal(lanes.waiting, 0);
  });
});
