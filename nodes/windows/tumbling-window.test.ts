import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { configOf, type Message } from "../../runtime/sdk/index.ts";
import { harness } from "../../runtime/sdk/testing.ts";
import tumblingWindow from "./tumbling-window.ts";

const T0 = Date.UTC(2026, 0, 1);
const meta = { source: "sim" };

function reading(ts: number, current: number, key = "pump-1"): Message {
  return { topic: `sensors/${key}`, key, ts: T0 + ts, payload: { current }, meta };
}

describe("tumbling-window", () => {
  for (const example of tumblingWindow.examples) {
    it(`accepts its example "${example.title}"`, () => assert.ok(configOf(tumblingWindow, example.config)));
  }

  it("emits once every `count` readings of a device, then starts over", () => {
    const h = harness(tumblingWindow, { fields: ["current"], stats: ["mean", "p2p"], window: { by: "count", count: 3 } });
    [1, 2, 6, 10, 10, 10, 7].forEach((v, i) => h.send(reading(i * 1000, v)));
    assert.deepEqual(h.payloads("out"), [
      { current_mean: 3, current_p2p: 5, count: 3, window_start: T0, window_end: T0 + 2000 },
      { current_mean: 10, current_p2p: 0, count: 3, window_start: T0 + 3000, window_end: T0 + 5000 },
    ]);
    assert.deepEqual(h.out("out").map((m) => m.ts - T0), [2000, 5000]);
  });

  it("counts each device separately", () => {
    const h = harness(tumblingWindow, { fields: ["current"], stats: ["max"], window: { by: "count", count: 2 } });
    h.send(reading(0, 1, "a"));
    h.send(reading(0, 5, "b"));
    h.send(reading(1000, 2, "a"));
    assert.deepEqual(h.out("out").map((m) => [m.key, m.payload]), [["a", { current_max: 2, count: 2, window_start: T0, window_end: T0 + 1000 }]]);
  });

  it("emits epoch-aligned time windows when the watermark passes their end", () => {
    const h = harness(tumblingWindow, { fields: ["current"], stats: ["mean"], window: { by: "time", sizeMs: 10_000 } });
    h.send(reading(1_000, 10));
    h.send(reading(9_999, 20));
    h.send(reading(10_000, 40)); // the first reading of [10 s, 20 s) closes [0, 10 s)
    h.send(reading(25_000, 0));
    assert.deepEqual(
      h.out("out").map((m) => [m.ts - T0, m.payload]),
      [
        [10_000, { current_mean: 15, count: 2, window_start: T0, window_end: T0 + 10_000 }],
        [20_000, { current_mean: 40, count: 1, window_start: T0 + 10_000, window_end: T0 + 20_000 }],
      ],
    );
    assert.equal(h.out("out")[0]!.meta, meta);
  });

  it("routes a reading for an emitted window to `late`, and keeps one within the allowed lateness", () => {
    const h = harness(tumblingWindow, { fields: ["current"], stats: ["mean"], window: { by: "time", sizeMs: 10_000, allowedLatenessMs: 3_000 } });
    h.send(reading(5_000, 1));
    h.send(reading(12_000, 2)); // watermark 9 s: [0, 10 s) stays open
    h.send(reading(8_000, 3));
    h.send(reading(14_000, 4)); // watermark 11 s: [0, 10 s) is emitted
    const tooLate = reading(9_000, 100);
    h.send(tooLate);
    assert.deepEqual(h.payloads("out"), [{ current_mean: 2, count: 2, window_start: T0, window_end: T0 + 10_000 }]);
    assert.deepEqual(h.out("late"), [tooLate]);
    assert.equal(h.counters.get("late"), 1);
  });

  const badMessages: Array<{ name: string; payload: unknown; path: string }> = [
    { name: "without the field", payload: { voltage: 230 }, path: "payload.current" },
    { name: "with a text value", payload: { current: "12 A" }, path: "payload.current" },
    { name: "whose payload is not an object", payload: [12], path: "payload" },
  ];
  for (const { name, payload, path } of badMessages) {
    it(`refuses a reading ${name}, naming ${path}`, () => {
      const h = harness(tumblingWindow, { fields: ["current"] });
      assert.throws(() => h.send({ topic: "t", key: "a", ts: T0, payload }), { code: "MESSAGE_SHAPE_INVALID", details: { path } });
    });
  }

  const badConfigs: Array<{ name: string; config: Record<string, unknown>; path: string }> = [
    { name: "a field given twice", config: { fields: ["x", "x"] }, path: "config.fields" },
    { name: "a zero-length time window", config: { fields: ["x"], window: { by: "time", sizeMs: 0, allowedLatenessMs: 0 } }, path: "config.window.sizeMs" },
    { name: "a slide (tumbling windows have none)", config: { fields: ["x"], window: { by: "time", sizeMs: 10, slideMs: 5, allowedLatenessMs: 0 } }, path: "config.window" },
  ];
  for (const { name, config, path } of badConfigs) {
    it(`refuses a config with ${name} at ${path}`, () => {
      assert.throws(() => configOf(tumblingWindow, config), { code: "NODE_CONFIG_INVALID", details: { path, nodeType: "tumbling-window" } });
    });
  }
});
