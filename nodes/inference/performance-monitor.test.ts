import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { configOf, type Message } from "../../runtime/sdk/index.ts";
import { harness } from "../../runtime/sdk/testing.ts";
import { SeededRandom } from "../../runtime/sdk/seeded-random.ts";
import performanceMonitor from "./performance-monitor.ts";

const T0 = Date.UTC(2026, 0, 1);
const prediction = (i: number, score: number, extra: Record<string, unknown> = {}): Message => ({
  topic: "pump/prediction",
  key: `pump-${i % 4}`,
  ts: T0 + i * 1000,
  payload: { score, ...extra },
  meta: { model: "pump-failure@3" },
});
const label = (i: number, value: unknown, extra: Record<string, unknown> = {}): Message => ({ topic: "pump/feedback", key: `pump-${i % 4}`, ts: T0 + i * 1000, payload: { label: value, ...extra } });

describe("performance-monitor", () => {
  for (const example of performanceMonitor.examples) {
    it(`accepts its example "${example.title}"`, () => assert.ok(configOf(performanceMonitor, example.config)));
  }

  it("joins labels to predictions by key and ts and reports rolling precision, recall and accuracy", () => {
    const h = harness(performanceMonitor, { window: 4, reportEvery: 4 });
    // predicted:  1    1    0    0   | actual: 1 0 1 0 -> tp fp fn tn
    [0.9, 0.6, 0.2, 0.1].forEach((s, i) => h.send(prediction(i, s), "predictions"));
    [1, false, true, 0].forEach((l, i) => h.send(label(i, l), "feedback"));
    assert.deepEqual(h.payloads("metrics"), [{ precision: 0.5, recall: 0.5, accuracy: 0.5, count: 4, model: "pump-failure@3" }]);
    // The window rolls: four more true positives push the first four out.
    [4, 5, 6, 7].forEach((i) => h.send(prediction(i, 0.8), "predictions"));
    [4, 5, 6, 7].forEach((i) => h.send(label(i, 1), "feedback"));
    assert.deepEqual(h.payloads("metrics")[1], { precision: 1, recall: 1, accuracy: 1, count: 4, model: "pump-failure@3" });
  });

  it("reports the MAE of a regression joined by an id field", () => {
    const h = harness(performanceMonitor, { task: { kind: "regression", tolerance: 1 }, joinBy: "id:forecastId", reportEvery: 3 });
    [10, 20, 30].forEach((s, i) => h.send(prediction(i, s, { forecastId: `f${i}` }), "predictions"));
    // Labels arrive later, out of order, with other keys and times: only the id joins them.
    h.send({ topic: "erp", ts: T0 + 99_000, payload: { forecastId: "f2", label: 33 } }, "feedback");
    h.send({ topic: "erp", ts: T0 + 99_000, payload: { forecastId: "f0", label: 10 } }, "feedback");
    h.send({ topic: "erp", ts: T0 + 99_000, payload: { forecastId: "f1", label: 17 } }, "feedback");
    assert.deepEqual(h.payloads("metrics"), [{ mae: 2, count: 3, model: "pump-failure@3" }]);
  });

  it("warns and then signals decay when the error rate of a classifier rises", () => {
    const h = harness(performanceMonitor, { window: 200, reportEvery: 1000 });
    const random = new SeededRandom(3);
    const feed = (from: number, to: number, errorRate: number) => {
      for (let i = from; i < to; i++) {
        const positive = random.next() < 0.5;
        const wrong = random.next() < errorRate;
        h.send(prediction(i, positive !== wrong ? 0.9 : 0.1), "predictions");
        h.send(label(i, positive ? 1 : 0), "feedback");
      }
    };
    feed(0, 2000, 0.1);
    assert.deepEqual(h.payloads("events").filter((e) => (e as { level: string }).level === "drift"), []);
    feed(2000, 2500, 0.45);
    const levels = h.payloads("events").map((e) => (e as { level: string }).level);
    assert.ok(levels.includes("drift"), `events: ${levels.join(",")}`);
    const drift = h.payloads("events").find((e) => (e as { level: string }).level === "drift") as { errorRate: number; model: string; kind: string };
    assert.equal(drift.kind, "performance-decay");
    assert.equal(drift.model, "pump-failure@3");
    assert.ok(drift.errorRate > 0.1);
  });

  it("refuses a label for an unknown prediction with a coded error and keeps going", () => {
    const h = harness(performanceMonitor, { reportEvery: 1 });
    h.send(prediction(1, 0.9), "predictions");
    assert.throws(() => h.send(label(2, 1), "feedback"), { code: "FEEDBACK_UNKNOWN_PREDICTION", details: { path: "ts" } });
    h.send(label(1, 1), "feedback");
    assert.equal(h.out("metrics").length, 1);
    assert.throws(() => h.send(label(1, 1), "feedback"), { code: "FEEDBACK_UNKNOWN_PREDICTION" }, "a label joins once");
  });

  it("counts and drops NaN scores and labels", () => {
    const h = harness(performanceMonitor, { reportEvery: 1 });
    h.send(prediction(1, Number.NaN), "predictions");
    h.send(prediction(2, 0.3), "predictions");
    h.send(label(2, Number.NaN), "feedback");
    h.send(label(2, "yes"), "feedback");
    assert.equal(h.counters.get("invalid_predictions"), 1);
    assert.equal(h.counters.get("invalid_labels"), 2);
    assert.deepEqual(h.out("metrics"), []);
  });

  it("drops predictions past maxPending or maxAgeMs", () => {
    const h = harness(performanceMonitor, { maxPending: 2, maxAgeMs: 10_000 });
    [0, 1, 2].forEach((i) => h.send(prediction(i, 0.5), "predictions"));
    assert.throws(() => h.send(label(0, 1), "feedback"), { code: "FEEDBACK_UNKNOWN_PREDICTION" });
    h.send(prediction(20, 0.5), "predictions"); // 20 s: predictions 1 and 2 are now too old
    assert.throws(() => h.send(label(2, 1), "feedback"), { code: "FEEDBACK_UNKNOWN_PREDICTION" });
    assert.equal(h.counters.get("expired_predictions"), 3);
  });

  it("refuses a joinBy that is neither key-ts nor id:<field>", () => {
    assert.throws(() => configOf(performanceMonitor, { joinBy: "key" }), { code: "NODE_CONFIG_INVALID" });
  });
});
