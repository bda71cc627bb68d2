import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { configOf, type Message } from "../../runtime/sdk/index.ts";
import { harness } from "../../runtime/sdk/testing.ts";
import slidingWindow from "./sliding-window.ts";

const T0 = Date.UTC(2026, 0, 1); // a multiple of every window size used here
const meta = { source: "sim", units: { vibration: "mm/s" } };

function reading(ts: number, vibration: number, key = "pump-1"): Message {
  return { topic: `sensors/${key}`, key, ts: T0 + ts, payload: { vibration, temperature: 50 }, meta };
}

describe("sliding-window", () => {
  for (const example of slidingWindow.examples) {
    it(`accepts its example "${example.title}"`, () => assert.ok(configOf(slidingWindow, example.config)));
  }

  it("emits the statistics of the last `count` readings on every reading once the window is full", () => {
    const h = harness(slidingWindow, { fields: ["vibration"], stats: ["mean", "min", "max"], window: { by: "count", count: 3 } });
    [1, 2, 3, 10, 5].forEach((v, i) => h.send(reading(i * 1000, v)));
    assert.deepEqual(h.payloads("out"), [
      { vibration_mean: 2, vibration_min: 1, vibration_max: 3, count: 3, window_start: T0, window_end: T0 + 2000 },
      { vibration_mean: 5, vibration_min: 2, vibration_max: 10, count: 3, window_start: T0 + 1000, window_end: T0 + 3000 },
      { vibration_mean: 6, vibration_min: 3, vibration_max: 10, count: 3, window_start: T0 + 2000, window_end: T0 + 4000 },
    ]);
    const last = h.out("out")[2]!;
    assert.deepEqual([last.topic, last.key, last.ts, last.meta], ["sensors/pump-1", "pump-1", T0 + 4000, meta]);
  });

  it("keeps a separate window for every device", () => {
    const h = harness(slidingWindow, { fields: ["vibration"], stats: ["mean"], window: { by: "count", count: 2 } });
    h.send(reading(0, 1, "a"));
    h.send(reading(0, 100, "b"));
    h.send(reading(1000, 3, "a"));
    h.send(reading(1000, 300, "b"));
    assert.deepEqual(
      h.out("out").map((m) => [m.key, (m.payload as Record<string, number>)["vibration_mean"]]),
      [["a", 2], ["b", 200]],
    );
  });

  it("emits each hopping time window once, when the watermark passes its end", () => {
    const h = harness(slidingWindow, { fields: ["vibration"], stats: ["mean"], window: { by: "time", sizeMs: 10_000, slideMs: 5_000 } });
    h.send(reading(0, 1));
    h.send(reading(4000, 2));
    assert.equal(h.out("out").length, 0);
    h.send(reading(6000, 3)); // the watermark passes 5 s: [-5 s, 5 s) is complete
    assert.equal(h.out("out").length, 1);
    h.send(reading(9000, 4));
    h.send(reading(12_000, 5));
    h.send(reading(21_000, 6));
    assert.deepEqual(
      h.out("out").map((m) => [m.ts - T0, m.payload]),
      [
        [5_000, { vibration_mean: 1.5, count: 2, window_start: T0 - 5_000, window_end: T0 + 5_000 }],
        [10_000, { vibration_mean: 2.5, count: 4, window_start: T0, window_end: T0 + 10_000 }],
        [15_000, { vibration_mean: 4, count: 3, window_start: T0 + 5_000, window_end: T0 + 15_000 }],
        [20_000, { vibration_mean: 5, count: 1, window_start: T0 + 10_000, window_end: T0 + 20_000 }],
      ],
    );
  });

  it("sends a reading whose windows were all emitted to `late` and counts it", () => {
    const h = harness(slidingWindow, { fields: ["vibration"], stats: ["mean"], window: { by: "time", sizeMs: 10_000, slideMs: 5_000 } });
    h.send(reading(21_000, 1));
    const stale = reading(8_000, 100);
    h.send(stale);
    h.send(reading(16_000, 3)); // still joins [15 s, 25 s), which is open
    h.send(reading(31_000, 0));
    assert.deepEqual(h.out("late"), [stale]);
    assert.equal(h.counters.get("late"), 1);
    const means = h.out("out").map((m) => [m.ts - T0, (m.payload as Record<string, number>)["vibration_mean"]]);
    assert.deepEqual(means, [[25_000, 2], [30_000, 1]]);
  });

  it("still counts a reading that arrives out of order within the allowed lateness", () => {
    const h = harness(slidingWindow, {
      fields: ["vibration"],
      stats: ["mean"],
      window: { by: "time", sizeMs: 10_000, slideMs: 10_000, allowedLatenessMs: 5_000 },
    });
    h.send(reading(1_000, 1));
    h.send(reading(12_000, 2));
    h.send(reading(8_000, 3)); // watermark is 7 s: [0, 10 s) is still open
    h.send(reading(16_000, 4));
    assert.deepEqual(h.out("late"), []);
    assert.deepEqual(h.payloads("out"), [{ vibration_mean: 2, count: 2, window_start: T0, window_end: T0 + 10_000 }]);
  });

  it("resumes from its keyed state after a redeploy", () => {
    const config = { fields: ["vibration"], stats: ["mean"], window: { by: "count", count: 3 } };
    const before = harness(slidingWindow, config);
    before.send(reading(0, 1));
    before.send(reading(1000, 2));
    const after = harness(slidingWindow, config);
    for (const [key, value] of before.state) after.state.set(key, JSON.parse(JSON.stringify(value)));
    after.send(reading(2000, 6));
    assert.deepEqual(after.payloads("out"), [{ vibration_mean: 3, count: 3, window_start: T0, window_end: T0 + 2000 }]);
  });

  it("refuses a reading without a configured field, naming it", () => {
    const h = harness(slidingWindow, { fields: ["vibration", "current"] });
    assert.throws(() => h.send(reading(0, 1)), { code: "MESSAGE_SHAPE_INVALID", details: { path: "payload.current" } });
  });

  const badConfigs: Array<{ name: string; config: Record<string, unknown>; path: string }> = [
    { name: "no fields", config: { fields: [] }, path: "config.fields" },
    { name: "an unknown statistic", config: { fields: ["x"], stats: ["median"] }, path: "config.stats[0]" },
    { name: "a count window of one reading", config: { fields: ["x"], window: { by: "count", count: 1 } }, path: "config.window.count" },
    { name: "a slide longer than the window", config: { fields: ["x"], window: { by: "time", sizeMs: 1000, slideMs: 2000 } }, path: "config.window.slideMs" },
    { name: "a negative lateness", config: { fields: ["x"], window: { by: "time", sizeMs: 1000, slideMs: 500, allowedLatenessMs: -1 } }, path: "config.window.allowedLatenessMs" },
  ];
  for (const { name, config, path } of badConfigs) {
    it(`refuses a config with ${name} at ${path}`, () => {
      assert.throws(() => configOf(slidingWindow, config), { code: "NODE_CONFIG_INVALID", details: { path, nodeType: "sliding-window" } });
    });
  }
});
