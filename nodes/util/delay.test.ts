import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { VirtualClock } from "../../runtime/sdk/clock.ts";
import { configOf, type Message } from "../../runtime/sdk/index.ts";
import { harness } from "../../runtime/sdk/testing.ts";
import { validateFlow } from "../../runtime/core/validate.ts";
import { backpressureProbe } from "../../test/support/backpressure.ts";
import { flowOf, probeNodes } from "../../test/support/test-nodes.ts";
import map from "./map.ts";
import delay from "./delay.ts";

const T0 = Date.UTC(2026, 0, 1);

function msg(n: number, key = "pump-1"): Message {
  return { topic: `sensors/${key}`, key, ts: T0 + n, payload: { n }, meta: { source: "test" } };
}

/** The delay node on a virtual clock starting at T0; `after(ms)` moves the clock and lists what went out so far. */
function delayNode(config: Record<string, unknown>) {
  const clock = new VirtualClock(T0);
  const h = harness(delay, config, { clock });
  const sent = () => h.out("out").map((m) => [m.key, (m.payload as { n: number }).n]);
  const ns = () => h.out("out").map((m) => (m.payload as { n: number }).n);
  return { h, clock, sent, ns, after: (ms: number) => (clock.advance(ms), ns()) };
}

describe("delay", () => {
  for (const example of delay.examples) {
    it(`accepts its example "${example.title}"`, () => assert.ok(configOf(delay, example.config)));
  }

  it("is loop-safe: a cycle through it validates, the same cycle through map does not", () => {
    const catalog = new Map([...probeNodes().definitions, delay, map].map((d) => [d.type, d]));
    const loop = (type: string) => flowOf(
      [["src", "test-source"], ["gate", "map", { where: "payload.value < 3", set: { value: "payload.value + 1" } }], ["wait", type, type === "map" ? { set: { seen: "true" } } : {}]],
      ["src.out->gate.in", "gate.out->wait.in", "wait.out->gate.in"],
    );
    assert.equal(delay.loopSafe, true);
    assert.ok(validateFlow(loop("delay"), catalog).ok);
    const refused = validateFlow(loop("map"), catalog);
    assert.ok(!refused.ok && refused.errors.some((e) => e.code === "FLOW_CYCLE"));
  });

  describe("fixed", () => {
    it("sends each message `delayMs` after it came, unchanged and in order", () => {
      const { h, clock, ns, after } = delayNode({ mode: { type: "fixed", delayMs: 1000 } });
      const first = msg(1);
      h.send(first);
      clock.advance(400);
      h.send(msg(2));
      assert.deepEqual(after(599), []);
      assert.deepEqual(after(1), [1]);
      assert.equal(h.out("out")[0], first, "the very message, not a copy");
      assert.deepEqual(after(399), [1]);
      assert.deepEqual(after(1), [1, 2]);
      assert.equal(clock.pending, 0, "no timer left once nothing is held");
      assert.deepEqual(ns(), [1, 2]);
    });

    it("passes payloads of any kind: strings, numbers, null, arrays, no key", () => {
      const { h, clock } = delayNode({ mode: { type: "fixed", delayMs: 10 } });
      const payloads: unknown[] = ["text", 42, null, [1, 2], { nested: { deep: true } }];
      for (const payload of payloads) h.send({ topic: "t", ts: T0, payload });
      clock.advance(10);
      assert.deepEqual(h.payloads("out"), payloads);
    });
  });

  describe("rate", () => {
    it("lets at most `messages` through in any sliding `intervalMs`, queueing the rest in order", () => {
      const { h, clock, after } = delayNode({ mode: { type: "rate", messages: 2, intervalMs: 1000 } });
      h.send(msg(1));
      clock.advance(600);
      h.send(msg(2));
      clock.advance(300); // t = 900: two sent in (−100, 900]
      h.send(msg(3));
      h.send(msg(4));
      assert.deepEqual(after(0), [1, 2]);
      assert.deepEqual(after(99), [1, 2]);
      assert.deepEqual(after(1), [1, 2, 3], "t = 1000: the send at 0 left the window");
      assert.deepEqual(after(599), [1, 2, 3]);
      assert.deepEqual(after(1), [1, 2, 3, 4], "t = 1600: the send at 600 left the window");
    });

    it("smooths a burst: N at once, then N per interval", () => {
      const { h, after } = delayNode({ mode: { type: "rate", messages: 3, intervalMs: 1000 } });
      for (let n = 1; n <= 10; n++) h.send(msg(n));
      assert.equal(after(0).length, 3);
      assert.equal(after(999).length, 3);
      assert.equal(after(1).length, 6);
      assert.equal(after(1000).length, 9);
      assert.deepEqual(after(1000), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    });

    it("limits every key on its own with perKey: one device's flood does not hold another back", () => {
      const { h, sent, clock } = delayNode({ mode: { type: "rate", messages: 1, intervalMs: 1000, perKey: true } });
      for (let n = 1; n <= 5; n++) h.send(msg(n, "noisy"));
      h.send(msg(100, "quiet"));
      assert.deepEqual(sent(), [["noisy", 1], ["quiet", 100]]);
      clock.advance(1000);
      assert.deepEqual(sent(), [["noisy", 1], ["quiet", 100], ["noisy", 2]]);
    });

    it("drops what is over the limit with whenOver drop, counted", () => {
      const { h, after } = delayNode({ mode: { type: "rate", messages: 2, intervalMs: 1000, whenOver: "drop" } });
      for (let n = 1; n <= 5; n++) h.send(msg(n));
      assert.deepEqual(after(5000), [1, 2]);
      assert.equal(h.counters.get("dropped_rate"), 3);
      h.send(msg(6));
      assert.deepEqual(after(0), [1, 2, 6]);
    });

    it("tracks at most maxKeys keys: one more is dropped, counted, until an idle key is forgotten", () => {
      const { h, sent, clock } = delayNode({ mode: { type: "rate", messages: 1, intervalMs: 1000, perKey: true, maxKeys: 2 } });
      h.send(msg(1, "a"));
      h.send(msg(2, "b"));
      h.send(msg(3, "c"));
      assert.deepEqual(sent(), [["a", 1], ["b", 2]]);
      assert.equal(h.counters.get("dropped_keys"), 1);
      clock.advance(1000); // a and b sent nothing within the last interval: forgotten when room is needed
      h.send(msg(4, "c"));
      assert.deepEqual(sent(), [["a", 1], ["b", 2], ["c", 4]]);
    });
  });

  describe("bounds", () => {
    it("holds at most maxMessages of a huge burst, dropping the oldest, counted", () => {
      const { h, clock, after } = delayNode({ mode: { type: "rate", messages: 10, intervalMs: 1000 }, queue: { maxMessages: 100, whenFull: "drop-oldest" } });
      for (let n = 1; n <= 200_000; n++) h.send(msg(n));
      assert.equal(h.counters.get("dropped_oldest"), 200_000 - 10 - 100);
      assert.equal(clock.pending, 1, "one timer for the one bucket");
      const out = after(10_000);
      assert.equal(out.length, 110);
      assert.deepEqual(out.slice(0, 10), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "the first ten went at once");
      assert.deepEqual(out.slice(10), Array.from({ length: 100 }, (_, i) => 199_901 + i), "the newest hundred were kept");
    });

    it("drops the newest instead with whenFull drop-newest", () => {
      const { h, after } = delayNode({ mode: { type: "fixed", delayMs: 50 }, queue: { maxMessages: 3, whenFull: "drop-newest" } });
      for (let n = 1; n <= 1000; n++) h.send(msg(n));
      assert.equal(h.counters.get("dropped_newest"), 997);
      assert.deepEqual(after(50), [1, 2, 3]);
    });

    it("drops the oldest message flow-wide with perKey, whichever key it belongs to", () => {
      const { h, sent, clock } = delayNode({ mode: { type: "rate", messages: 1, intervalMs: 1000, perKey: true }, queue: { maxMessages: 2 } });
      h.send(msg(1, "a")); // sent
      h.send(msg(2, "a")); // held
      h.send(msg(3, "b")); // sent
      h.send(msg(4, "b")); // held
      h.send(msg(5, "b")); // full: a's 2 is the oldest held
      assert.equal(h.counters.get("dropped_oldest"), 1);
      clock.advance(2000);
      assert.deepEqual(sent(), [["a", 1], ["b", 3], ["b", 4], ["b", 5]]);
    });
  });

  it("releases nothing more while the flow is saturated, and goes on once it can take more", async () => {
    const probe = backpressureProbe(delay);
    const clock = new VirtualClock(T0);
    const h = harness(probe.definition, { mode: { type: "fixed", delayMs: 100 } }, { clock });
    for (let n = 1; n <= 5; n++) h.send(msg(n));
    probe.saturate();
    clock.advance(100);
    assert.equal(h.out("out").length, 1, "the first release was refused: the rest stay held");
    assert.equal(probe.violations, 0);
    probe.drain();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(h.out("out").map((m) => (m.payload as { n: number }).n), [1, 2, 3, 4, 5]);
    assert.equal(probe.violations, 0);
  });

  it("clears its timers on close and counts what it still held, sending nothing later", () => {
    const { h, clock, after } = delayNode({ mode: { type: "fixed", delayMs: 1000 } });
    h.send(msg(1));
    h.send(msg(2));
    void h.node.close?.();
    assert.equal(clock.pending, 0);
    assert.equal(h.counters.get("dropped_on_close"), 2);
    assert.equal(h.logs.at(-1)?.level, "warn");
    assert.deepEqual(after(5000), []);
  });

  const badConfigs: Array<{ name: string; config: Record<string, unknown>; path: string }> = [
    { name: "a zero delay (a loop would spin)", config: { mode: { type: "fixed", delayMs: 0 } }, path: "config.mode.delayMs" },
    { name: "zero messages per interval", config: { mode: { type: "rate", messages: 0 } }, path: "config.mode.messages" },
    { name: "an unknown overflow policy", config: { queue: { whenFull: "drop-random" } }, path: "config.queue.whenFull" },
    { name: "an unbounded queue", config: { queue: { maxMessages: 0 } }, path: "config.queue.maxMessages" },
    { name: "an unknown mode", config: { mode: { type: "hourly" } }, path: "config.mode.type" },
  ];
  for (const { name, config, path } of badConfigs) {
    it(`refuses a config with ${name} at ${path}`, () => {
      assert.throws(() => configOf(delay, config), { code: "NODE_CONFIG_INVALID", details: { path, nodeType: "delay" } });
    });
  }
});
