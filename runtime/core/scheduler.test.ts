import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { metricsOnly, runtimeNode, wireTo } from "../../test/support/runtime-nodes.ts";
import type { AiotError } from "../sdk/errors.ts";
import type { Message } from "../sdk/message.ts";
import { DEFAULT_PARKING } from "./parking.ts";
import type { RuntimeNode } from "./runtime-node.ts";
import { Scheduler, type SchedulerOptions } from "./scheduler.ts";

const msg = (value: number, key?: string): Message => ({ topic: "t", ...(key ? { key } : {}), ts: value, payload: { value } });
const valueOf = (m: Message) => (m.payload as { value: number }).value;

function scheduler(options: Partial<SchedulerOptions> = {}) {
  const unhandled: Array<[string, AiotError]> = [];
  const s = new Scheduler(
    {
      sliceMs: 5,
      highWater: 1_000,
      freezeMessages: false,
      parking: DEFAULT_PARKING,
      onUnhandledError: (node, error) => void unhandled.push([node.id, error]),
      ...options,
    },
    metricsOnly(),
  );
  return { s, unhandled };
}

/** A source wired to a sink that records what it gets (optionally throwing on `failOn`). */
function chain(s: Scheduler, sinkShape: { capacity?: number; failOn?: number } = {}) {
  const got: Message[] = [];
  const src = runtimeNode("src", { source: true });
  const sink = runtimeNode("sink", {
    ...(sinkShape.capacity !== undefined ? { capacity: sinkShape.capacity } : {}),
    instance: {
      onMessage(m) {
        if (valueOf(m) === sinkShape.failOn) throw new Error(`cannot take ${valueOf(m)}`);
        got.push(m);
      },
    },
  });
  wireTo(src, [sink]);
  return { src, sink, got, send: (m: Message) => s.emit(src, "out", m) };
}

describe("Scheduler", () => {
  it("delivers in FIFO order after the current task, never inside emit", async () => {
    const { s } = scheduler();
    const { got, send } = chain(s);
    for (let i = 0; i < 5; i++) send(msg(i));
    assert.equal(got.length, 0, "emit only enqueues");
    await s.idle();
    assert.deepEqual(got.map(valueOf), [0, 1, 2, 3, 4]);
  });

  it("tells the sender to pause at the high-water mark and lets it write again below the low-water mark", async () => {
    const { s } = scheduler({ highWater: 4 });
    const { send } = chain(s);
    assert.deepEqual([1, 2, 3, 4].map((v) => send(msg(v))), [true, true, true, false]);
    let writable = false;
    void s.writable().then(() => (writable = true));
    await s.idle();
    assert.equal(writable, true);
  });

  it("drops and counts a message for a full or closed node, and one from a closed sender", async () => {
    const { s } = scheduler();
    const { src, sink, send } = chain(s, { capacity: 2 });
    for (let i = 0; i < 3; i++) send(msg(i));
    await s.idle();
    sink.closed = true;
    send(msg(3));
    src.closed = true;
    assert.equal(send(msg(4)), false);
    assert.deepEqual([sink.stats.in, sink.stats.dropped, src.stats.dropped], [2, 2, 1]);
  });

  it("routes a handler's throw as a coded error to the flow's handler when its error port is unwired", async () => {
    const { s, unhandled } = scheduler();
    const { sink, got, send } = chain(s, { failOn: 1 });
    send(msg(1));
    send(msg(2));
    await s.idle();
    assert.deepEqual(got.map(valueOf), [2]);
    assert.deepEqual(unhandled.map(([node, e]) => [node, e.code, e.message]), [["sink", "NODE_FAILED", "cannot take 1"]]);
    assert.equal(sink.stats.errors, 1);
  });

  it("freezes every message several inputs share, and only the first one on a single wire", async () => {
    const { s } = scheduler();
    const src = runtimeNode("src", { source: true });
    const single = runtimeNode("single", { source: true });
    const [a, b, c] = ["a", "b", "c"].map((id) => runtimeNode(id, { instance: { onMessage: () => undefined } })) as [RuntimeNode, RuntimeNode, RuntimeNode];
    wireTo(src, [a, b]);
    wireTo(single, [c]);
    const shared = [msg(1), msg(2)];
    const alone = [msg(3), msg(4)];
    for (const m of shared) s.emit(src, "out", m);
    for (const m of alone) s.emit(single, "out", m);
    await s.idle();
    assert.deepEqual(shared.map((m) => [Object.isFrozen(m), Object.isFrozen(m.payload)]), [[true, true], [true, true]]);
    assert.deepEqual(alone.map((m) => Object.isFrozen(m)), [true, false]);
  });

  it("discards what is queued when told to (a stop past its drain timeout), counting per node", async () => {
    const { s } = scheduler();
    const src = runtimeNode("src", { source: true });
    const slow = runtimeNode("slow", { concurrency: 1, instance: { onMessage: () => new Promise<void>(() => undefined) } });
    wireTo(src, [slow]);
    for (let i = 0; i < 5; i++) s.emit(src, "out", msg(i));
    await new Promise<void>((resolve) => setImmediate(resolve));
    const dropped = s.discardQueued([src, slow]);
    assert.deepEqual([dropped.get(slow), slow.inflight, s.queued], [4, 1, 0]);
    assert.deepEqual([slow.stats.dropped, slow.stats.custom.get("dropped_at_stop"), slow.stats.queued], [4, 4, 0]);
  });

  it("parks a source's messages during a redeploy, is idle meanwhile, and re-sends them on release", async () => {
    const { s } = scheduler();
    const { got, send } = chain(s);
    s.hold();
    assert.equal(send(msg(1)), false, "the source is told to pause");
    await s.idle();
    assert.equal(got.length, 0, "idle while the parked message waits for the swap");
    s.release();
    await s.idle();
    assert.deepEqual(got.map(valueOf), [1]);
  });
});
