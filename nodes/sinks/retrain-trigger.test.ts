import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { configOf, VirtualClock, type Message } from "../../runtime/sdk/index.ts";
import { RETRAIN } from "../../runtime/sdk/retrain.ts";
import { provide, services } from "../../runtime/sdk/services.ts";
import { harness } from "../../runtime/sdk/testing.ts";
import { FeatureStore } from "../../runtime/ml/feature-store.ts";
import { ModelRegistry } from "../../runtime/ml/model-registry.ts";
import { Retrainer } from "../../runtime/ml/retrain.ts";
import { SeededRandom } from "../../runtime/sdk/seeded-random.ts";
import retrainTrigger from "./retrain-trigger.ts";

const NOW = Date.UTC(2026, 0, 2);
const event = (payload: Record<string, unknown>): Message => ({ topic: "drift", ts: NOW, payload });

describe("retrain-trigger", () => {
  let dir: string;
  let store: FeatureStore;
  let registry: ModelRegistry;
  let retrainer: Retrainer;
  let withRetrain: { services: ReturnType<typeof services>; clock: VirtualClock };
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "aiot-retrain-node-"));
    store = FeatureStore.open(join(dir, "features.sqlite"), { flushMs: 0, now: () => NOW });
    registry = await ModelRegistry.open(dir);
    retrainer = new Retrainer({ registry, store, now: () => NOW, cooldownMs: 0 });
    withRetrain = { services: services(provide(RETRAIN, retrainer)), clock: new VirtualClock(NOW) };
    const random = new SeededRandom(1);
    for (let i = 0; i < 300; i++) {
      const x = random.gaussian();
      store.record({ flowId: "test-flow", key: "k", ts: NOW - 100_000 + i, features: { x }, label: x > 0 ? 1 : 0 });
    }
  });
  after(async () => {
    store.close();
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const example of retrainTrigger.examples) {
    it(`accepts its example "${example.title}"`, () => assert.ok(configOf(retrainTrigger, example.config)));
  }

  it("retrains and promotes a model from this flow's feature-store rows on an input-drift event", async () => {
    const h = harness(retrainTrigger, { model: "m1", windowMs: 3_600_000 }, withRetrain);
    h.send(event({ kind: "input-drift", statistic: "psi", features: [{ name: "x", value: 0.4 }] }));
    const outcome = await retrainer.run({ model: "m1", trainer: "logistic", windowMs: 1 }, { reason: "manual" }); // joins the running run
    assert.equal(outcome.status, "promoted", JSON.stringify(outcome));
    assert.equal(registry.resolve("m1", "production").metrics.evaluation?.["trigger"], "drift");
    assert.equal(h.counters.get("triggers"), 1);
  });

  it("ignores warnings, unlisted kinds and malformed events", () => {
    const h = harness(retrainTrigger, { model: "m2", on: ["performance-decay"] }, withRetrain);
    h.send(event({ kind: "performance-decay", level: "warning" }));
    h.send(event({ kind: "input-drift" }));
    h.send({ topic: "x", ts: NOW, payload: "not an event" });
    assert.equal(h.counters.get("ignored_events"), 3);
    assert.equal(h.counters.get("triggers"), undefined);
  });

  it("retrains on its schedule and stops when closed", async () => {
    const h = harness(retrainTrigger, { model: "m3", scheduleMs: 3_600_000 }, withRetrain);
    withRetrain.clock.advance(3_600_000);
    const outcome = await retrainer.run({ model: "m3", trainer: "logistic", windowMs: 1 }, { reason: "manual" });
    assert.equal(registry.resolve("m3", "production").metrics.evaluation?.["trigger"], "schedule", JSON.stringify(outcome));
    await h.node.close?.();
    const versions = registry.get("m3").versions.length;
    withRetrain.clock.advance(7_200_000);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(registry.get("m3").versions.length, versions);
  });

  it("refuses a webhook trainer without a webhook or a task", () => {
    assert.throws(() => configOf(retrainTrigger, { model: "m", trainer: "webhook", task: "regression" }), { code: "NODE_CONFIG_INVALID", details: { path: "config.webhook", nodeType: "retrain-trigger" } });
    assert.throws(() => configOf(retrainTrigger, { model: "m", trainer: "webhook", webhook: { url: "http://127.0.0.1:1/x" } }), { code: "NODE_CONFIG_INVALID", details: { path: "config.task", nodeType: "retrain-trigger" } });
  });

  it("fails the deploy without a retraining service", () => {
    assert.throws(() => harness(retrainTrigger, { model: "m" }), { code: "SERVICE_UNAVAILABLE" });
  });
});
