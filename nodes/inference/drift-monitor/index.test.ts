import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ModelRegistry } from "../../../runtime/ml/model-registry.ts";
import { linearOnnx } from "../../../runtime/ml/onnx-export.ts";
import { featureReference } from "../../../runtime/ml/train/reference.ts";
import { configOf, type Message } from "../../../runtime/sdk/index.ts";
import { MODELS } from "../../../runtime/sdk/models.ts";
import { provide, services } from "../../../runtime/sdk/services.ts";
import { harness } from "../../../runtime/sdk/testing.ts";
import { SeededRandom } from "../../../runtime/sdk/seeded-random.ts";
import driftMonitor from "./index.ts";
import { referenceHistogram } from "../../../runtime/sdk/drift-histogram.ts";

const T0 = Date.UTC(2026, 0, 1);
const training = new SeededRandom(1);
const histograms = {
  vibration: referenceHistogram(Array.from({ length: 5_000 }, () => 2 + 0.5 * training.gaussian())),
  temperature: referenceHistogram(Array.from({ length: 5_000 }, () => 60 + 5 * training.gaussian())),
};
const inline = { from: "inline", histograms };

function readings(seed: number, n: number, shift: { vibration?: number; temperature?: number; score?: number } = {}, startMs = 0): Message[] {
  const random = new SeededRandom(seed);
  return Array.from({ length: n }, (_, i) => ({
    topic: "pump/features",
    key: `pump-${i % 3}`,
    ts: T0 + startMs + i * 1000,
    payload: {
      vibration: 2 + (shift.vibration ?? 0) + 0.5 * random.gaussian(),
      temperature: 60 + (shift.temperature ?? 0) + 5 * random.gaussian(),
      score: 0.2 + (shift.score ?? 0) + 0.05 * random.gaussian(),
    },
  }));
}

describe("drift-monitor", () => {
  for (const example of driftMonitor.examples) {
    it(`accepts its example "${example.title}"`, () => assert.ok(configOf(driftMonitor, example.config)));
  }

  it("stays quiet on windows drawn from the training distribution", () => {
    const h = harness(driftMonitor, { features: ["vibration", "temperature"], reference: inline, window: { by: "count", count: 500 } });
    for (const m of readings(2, 5_000)) h.send(m);
    assert.deepEqual(h.out("events"), []);
    assert.equal(h.counters.get("windows"), 10);
  });

  it("names only the drifted feature and its PSI when one input shifts", () => {
    const h = harness(driftMonitor, { features: ["vibration", "temperature"], reference: inline, window: { by: "count", count: 500 } });
    for (const m of readings(3, 500)) h.send(m);
    for (const m of readings(4, 500, { vibration: 0.5 }, 500_000)) h.send(m);
    const events = h.payloads("events") as Array<{ kind: string; statistic: string; features: Array<{ name: string; value: number }>; window: { count: number; start: number } }>;
    assert.equal(events.length, 1);
    const [event] = events;
    assert.equal(event!.kind, "input-drift");
    assert.equal(event!.statistic, "psi");
    assert.deepEqual(event!.features.map((f) => f.name), ["vibration"]);
    assert.ok(event!.features[0]!.value > 0.25);
    assert.deepEqual([event!.window.count, event!.window.start], [500, T0 + 500_000]);
  });

  it("judges tumbling event-time windows when a message crosses the window end, with Jensen-Shannon", () => {
    const h = harness(driftMonitor, { features: ["temperature"], reference: inline, statistic: "js", threshold: 0.1, window: { by: "time", sizeMs: 600_000 } });
    for (const m of readings(5, 600)) h.send(m); // [T0, T0 + 10 min): stationary
    for (const m of readings(6, 600, { temperature: 10 }, 600_000)) h.send(m); // next 10 min: +2 sigma
    assert.equal(h.out("events").length, 0, "the second window is still open");
    h.send(readings(7, 1, {}, 1_200_000)[0]!);
    const events = h.out("events");
    assert.equal(events.length, 1);
    assert.equal(events[0]!.ts, T0 + 1_200_000);
    assert.deepEqual((events[0]!.payload as { window: unknown }).window, { start: T0 + 600_000, end: T0 + 1_200_000, count: 600 });
  });

  it("raises one output-drift event when the score mean shifts (Page-Hinkley and ADWIN)", () => {
    for (const detector of ["page-hinkley", "adwin"] as const) {
      const h = harness(driftMonitor, {
        features: ["vibration"],
        reference: inline,
        window: { by: "count", count: 10_000 },
        score: { field: "score", detector, delta: detector === "adwin" ? 0.002 : 0.01, threshold: 5 },
      });
      for (const m of readings(8, 2_000)) h.send(m);
      assert.equal(h.out("events").length, 0, `${detector}: no alarm before the shift`);
      for (const m of readings(9, 300, { score: 0.1 }, 2_000_000)) h.send(m);
      const events = h.payloads("events") as Array<{ kind: string; detector: string; field: string }>;
      assert.equal(events.length, 1, `${detector}: one alarm after the shift`);
      assert.deepEqual([events[0]!.kind, events[0]!.detector, events[0]!.field], ["output-drift", detector, "score"]);
    }
  });

  it("skips and counts NaN and missing feature values without stopping", () => {
    const h = harness(driftMonitor, { features: ["vibration", "temperature"], reference: inline, window: { by: "count", count: 400 }, minCount: 150, score: { field: "score" } });
    const good = readings(10, 400);
    good.forEach((m, i) => h.send(i % 2 === 0 ? { ...m, payload: { vibration: Number.NaN, score: "x" } } : m));
    assert.equal(h.counters.get("invalid_features"), 400); // 200 NaN vibrations + 200 missing temperatures
    assert.equal(h.counters.get("invalid_scores"), 200);
    assert.equal(h.counters.get("windows"), 1);
    assert.deepEqual(h.out("events"), []);
  });

  it("counts and skips a message older than the open time window", () => {
    const h = harness(driftMonitor, { features: ["vibration"], reference: inline, window: { by: "time", sizeMs: 60_000 } });
    const [late, now] = readings(11, 2, {}, 0).map((m, i) => ({ ...m, ts: T0 + (i === 0 ? 0 : 120_000) }));
    h.send(now!);
    h.send(late!);
    assert.equal(h.counters.get("late"), 1);
  });

  it("fails the deploy naming a feature the reference has no histogram for", () => {
    assert.throws(() => harness(driftMonitor, { features: ["vibration", "pressure"], reference: inline }), {
      code: "DRIFT_REFERENCE_MISSING",
      details: { path: "config.features[1]", feature: "pressure" },
    });
  });

  it("fails the deploy on a malformed inline histogram", () => {
    const reference = { from: "inline", histograms: { vibration: { edges: [0, 2, 1], proportions: [0.5, 0.5] } } };
    assert.throws(() => harness(driftMonitor, { features: ["vibration"], reference }), { code: "DRIFT_REFERENCE_INVALID" });
  });

  describe("with the model registry", () => {
    let dir: string;
    let registry: ModelRegistry;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), "aiot-drift-registry-"));
      registry = await ModelRegistry.open(dir);
      const random = new SeededRandom(12);
      const vibration = Array.from({ length: 5_000 }, () => 2 + 0.5 * random.gaussian());
      const bytes = linearOnnx({ featureNames: ["vibration", "temperature"], weights: [1, 0.1], bias: 0, link: "sigmoid" });
      // temperature has mean/std only (registered by hand): no histogram to compare windows with.
      await registry.register({ name: "pump", bytes, reference: { vibration: featureReference(vibration), temperature: { mean: 60, std: 5 } } });
      await registry.promote("pump", 1, "production", "test");
    });
    after(async () => {
      await registry.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("compares windows with the production model's registered histograms and names the model", () => {
      const h = harness(driftMonitor, { features: ["vibration"], reference: { from: "model", model: "pump" }, window: { by: "count", count: 500 } }, { services: services(provide(MODELS, registry)) });
      for (const m of readings(13, 500)) h.send(m);
      for (const m of readings(14, 500, { vibration: 1 }, 500_000)) h.send(m);
      const events = h.payloads("events") as Array<{ model: string; features: Array<{ name: string }> }>;
      assert.equal(events.length, 1);
      assert.equal(events[0]!.model, "pump@1");
    });

    it("fails the deploy naming the model and a feature it has no histogram for", () => {
      assert.throws(() => harness(driftMonitor, { features: ["vibration", "temperature"], reference: { from: "model", model: "pump" } }, { services: services(provide(MODELS, registry)) }), {
        code: "DRIFT_REFERENCE_MISSING",
        message: /model pump@1 has no reference histogram for feature "temperature"/,
        details: { path: "config.features[1]", feature: "temperature" },
      });
    });

    it("keeps running without checking input drift on a version without reference statistics, and says so once", async () => {
      // As registered by the raw upload route: no reference statistics at all.
      const bytes = linearOnnx({ featureNames: ["vibration_rms"], weights: [1], bias: 0, link: "sigmoid" });
      await registry.register({ name: "rv-pump", bytes });
      await registry.promote("rv-pump", 1, "production", "test");
      const h = harness(driftMonitor, { features: ["vibration_rms"], reference: { from: "model", model: "rv-pump" }, window: { by: "count", count: 100 }, minCount: 50, score: { field: "score", detector: "page-hinkley", threshold: 5, delta: 0.01 } }, { services: services(provide(MODELS, registry)) });
      assert.deepEqual(h.statuses.at(-1), { state: "waiting", text: "no reference statistics for rv-pump@1: drift not checked" });
      const shifted = readings(20, 300, { vibration: 5 }).map((m) => ({ ...m, payload: { vibration_rms: (m.payload as { vibration: number }).vibration, score: 0.2 } }));
      for (const m of shifted) h.send(m);
      assert.equal(h.counters.get("unchecked"), 300);
      assert.equal(h.counters.get("windows"), undefined, "no window is judged without a reference");
      assert.deepEqual(h.out("events"), []);
      const warnings = h.logs.filter((l) => l.level === "warn");
      assert.equal(warnings.length, 1, "logged once, not per message");
      assert.match(warnings[0]!.message, /no reference statistics for rv-pump@1: drift not checked.*\[DRIFT_REFERENCE_MISSING\]/);
      assert.equal(warnings[0]!.fields?.["code"], "DRIFT_REFERENCE_MISSING");
      await h.node.close?.();
    });

    it("follows the production alias: to a version without statistics (unchecked), then to one with them (checked again)", async () => {
      const random = new SeededRandom(21);
      const vibration = Array.from({ length: 5_000 }, () => 2 + 0.5 * random.gaussian());
      const bytes = linearOnnx({ featureNames: ["vibration"], weights: [1], bias: 0, link: "sigmoid" });
      await registry.register({ name: "moving", bytes, reference: { vibration: featureReference(vibration) } });
      await registry.promote("moving", 1, "production", "test");
      const h = harness(driftMonitor, { features: ["vibration"], reference: { from: "model", model: "moving" }, window: { by: "count", count: 500 } }, { services: services(provide(MODELS, registry)) });
      assert.deepEqual(h.statuses.at(-1), { state: "running", text: "checking drift against moving@1" });

      await registry.register({ name: "moving", bytes }); // v2: no reference statistics
      await registry.promote("moving", 2, "production", "test");
      assert.deepEqual(h.statuses.at(-1), { state: "waiting", text: "no reference statistics for moving@2: drift not checked" });
      assert.ok(h.logs.some((l) => l.level === "info" && /moving@1 -> moving@2/.test(l.message)), "the switch is logged");
      for (const m of readings(22, 500, { vibration: 1 })) h.send(m);
      assert.equal(h.counters.get("unchecked"), 500);
      assert.deepEqual(h.out("events"), [], "the old version's reference is not used for the new version");

      await registry.register({ name: "moving", bytes, reference: { vibration: featureReference(vibration) } }); // v3: statistics again
      await registry.promote("moving", 3, "production", "test");
      assert.deepEqual(h.statuses.at(-1), { state: "running", text: "checking drift against moving@3" });
      for (const m of readings(23, 500, { vibration: 1 }, 600_000)) h.send(m);
      const events = h.payloads("events") as Array<{ model: string }>;
      assert.equal(events.length, 1);
      assert.equal(events[0]!.model, "moving@3");
      assert.equal(h.counters.get("unchecked"), 500, "nothing more went unchecked");
      await h.node.close?.();
      // Closed: a later promotion reaches nothing.
      const statuses = h.statuses.length;
      await registry.promote("moving", 2, "production", "test");
      assert.equal(h.statuses.length, statuses);
    });

    it("fails the deploy for an unknown model", () => {
      assert.throws(() => harness(driftMonitor, { features: ["vibration"], reference: { from: "model", model: "nope" } }, { services: services(provide(MODELS, registry)) }), { code: "MODEL_NOT_FOUND" });
    });
  });

  it("needs the model registry for a model reference", () => {
    assert.throws(() => harness(driftMonitor, { features: ["vibration"], reference: { from: "model", model: "pump" } }), { code: "SERVICE_UNAVAILABLE" });
  });

  it("refuses a window of fewer than 10 messages", () => {
    assert.throws(() => configOf(driftMonitor, { features: ["x"], reference: inline, window: { by: "count", count: 2 } }), {
      code: "NODE_CONFIG_INVALID",
      details: { path: "config.window.count", nodeType: "drift-monitor" },
    });
  });
});
