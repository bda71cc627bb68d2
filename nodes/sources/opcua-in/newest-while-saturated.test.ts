import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Message } from "../../../runtime/sdk/index.ts";
import { NewestWhileSaturated } from "./newest-while-saturated.ts";

const sample = (item: string, value: number): Message => ({ topic: `opcua/${item}`, ts: value, payload: { [item]: value } });

/** A flow as the outlet sees it: `full` (or being emit number `refuseNth`) makes an emit report saturation; `drain()` resolves the waits. */
function fakeFlow() {
  const sent: Message[] = [];
  const counters = new Map<string, number>();
  const waiters: Array<() => void> = [];
  const flow = {
    full: false,
    refuseNth: 0,
    sent,
    counters,
    waits: () => waiters.length,
    async drain() {
      flow.full = false;
      for (const resolve of waiters.splice(0)) resolve();
      await new Promise((resolve) => setImmediate(resolve));
    },
    ctx: {
      emit: (_port: "out", msg: Message) => sent.push(msg) !== flow.refuseNth && !flow.full,
      writable: () => new Promise<void>((resolve) => waiters.push(resolve)),
      metrics: { count: (name: string, by = 1) => void counters.set(name, (counters.get(name) ?? 0) + by) },
    },
  };
  return flow;
}

const values = (msgs: Message[]) => msgs.map((m) => Object.values(m.payload as object)[0] as number);

describe("NewestWhileSaturated", () => {
  it("sends straight on while the flow keeps up", () => {
    const flow = fakeFlow();
    const outlet = new NewestWhileSaturated<string>(flow.ctx);
    for (let v = 1; v <= 3; v++) outlet.offer("speed", sample("speed", v));
    assert.deepEqual(values(flow.sent), [1, 2, 3]);
    assert.equal(flow.waits(), 0);
  });

  it("keeps only the newest value per item once an emit was refused, counts the superseded, and sends the kept when writable", async () => {
    const flow = fakeFlow();
    const outlet = new NewestWhileSaturated<string>(flow.ctx);
    flow.full = true;
    outlet.offer("speed", sample("speed", 1)); // sent, but refused: the flow is saturated now
    assert.equal(flow.waits(), 1);
    for (let v = 2; v <= 1000; v++) outlet.offer("speed", sample("speed", v));
    outlet.offer("temperature", sample("temperature", 50));
    assert.equal(flow.sent.length, 1, "nothing more is sent while saturated");
    assert.equal(outlet.held, 2, "one per item, however many changes came");
    assert.equal(flow.counters.get("dropped_backpressure"), 998);
    await flow.drain();
    assert.deepEqual(values(flow.sent), [1, 1000, 50]);
    assert.equal(outlet.held, 0);
  });

  it("sends the kept ones in the order of their newest change", async () => {
    const flow = fakeFlow();
    const outlet = new NewestWhileSaturated<string>(flow.ctx);
    flow.full = true;
    outlet.offer("a", sample("a", 0));
    outlet.offer("a", sample("a", 1));
    outlet.offer("b", sample("b", 2));
    outlet.offer("a", sample("a", 3));
    await flow.drain();
    assert.deepEqual(flow.sent.slice(1).map((m) => m.topic), ["opcua/b", "opcua/a"]);
  });

  it("stops sending the kept ones when the flow saturates again midway, and goes on when writable again", async () => {
    const flow = fakeFlow();
    const outlet = new NewestWhileSaturated<number>(flow.ctx);
    flow.full = true;
    outlet.offer(0, sample("x", 0));
    for (let item = 1; item <= 3; item++) outlet.offer(item, sample("x", item));
    flow.refuseNth = 3; // the second kept one fills the flow again
    await flow.drain();
    assert.deepEqual(values(flow.sent), [0, 1, 2]);
    assert.equal(outlet.held, 1);
    assert.equal(flow.waits(), 1);
    await flow.drain();
    assert.deepEqual(values(flow.sent), [0, 1, 2, 3]);
    assert.equal(outlet.held, 0);
  });

  it("discards what it holds when the source stops, counted", () => {
    const flow = fakeFlow();
    const outlet = new NewestWhileSaturated<string>(flow.ctx);
    flow.full = true;
    outlet.offer("speed", sample("speed", 1)); // sent, refused
    outlet.offer("speed", sample("speed", 2)); // kept
    outlet.offer("speed", sample("speed", 3)); // kept, 2 superseded
    outlet.offer("level", sample("level", 4)); // kept
    outlet.discard();
    assert.equal(outlet.held, 0);
    assert.equal(flow.counters.get("dropped_backpressure"), 3);
    assert.equal(flow.sent.length, 1);
  });
});
