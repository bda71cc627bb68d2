/**
 * The whole loop in one flow on the real engine: vectors and labels go to the feature store, the
 * drift monitor sees the inputs move away from the production model's training histograms, its event
 * makes retrain-trigger train a candidate from the store, which beats production on the newest
 * held-out rows and is promoted — all audited by the registry.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { SeededRandom } from "../sdk/seeded-random.ts";
import { flowOf, probeNodes } from "../../test/support/test-nodes.ts";
import { loadCatalog } from "../catalog/catalog.ts";
import { Engine } from "../core/engine.ts";
import { FEATURE_STORE } from "../sdk/feature-store.ts";
import { MODELS } from "../sdk/models.ts";
import { RETRAIN } from "../sdk/retrain.ts";
import { provide, services } from "../sdk/services.ts";
import { JsonlAuditLog } from "../store/audit-log.ts";
import { FeatureStore } from "./feature-store.ts";
import { ModelRegistry } from "./model-registry.ts";
import { Retrainer } from "./retrain.ts";
import { linearModelOnnx, predictLinear, trainLogisticRegression } from "./train/linear.ts";
import { referenceStatistics } from "./train/reference.ts";

const NOW = Date.UTC(2026, 0, 2);
const dir = mkdtempSync(join(tmpdir(), "aiot-mlops-loop-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("drift -> retrain -> promote, in a running flow", () => {
  it("retrains from what serving recorded and promotes the better candidate", async () => {
    const audit = await JsonlAuditLog.open(dir);
    const registry = await ModelRegistry.open(dir, { audit });
    const store = FeatureStore.open(join(dir, "features.sqlite"), { flushMs: 0, now: () => NOW });
    const retrainer = new Retrainer({ registry, store, now: () => NOW });
    // Production v1: failure when vib + 0.5 temp > 0, vib around 0.
    const random = new SeededRandom(21);
    const old = Array.from({ length: 1000 }, () => [random.gaussian(), random.gaussian()]);
    const v1 = trainLogisticRegression({ featureNames: ["vib", "temp"], x: old, y: old.map(([v, t]) => (v! + 0.5 * t! > 0 ? 1 : 0)) });
    const scores = old.map((row) => predictLinear(v1, row));
    await registry.register({ name: "pump", bytes: linearModelOnnx(v1), reference: referenceStatistics(["vib", "temp"], old, scores) });
    await registry.promote("pump", 1, "production", "test");

    const probe = probeNodes();
    const catalog = await loadCatalog(probe.definitions);
    const engine = new Engine({ catalog, services: services(provide(MODELS, registry), provide(FEATURE_STORE, store), provide(RETRAIN, retrainer)) });
    await engine.deploy(
      flowOf(
        [
          ["vectors", "test-source"],
          ["labels", "test-source"],
          ["record", "feature-store", { features: ["vib", "temp"] }],
          ["drift", "drift-monitor", { features: ["vib", "temp"], reference: { from: "model", model: "pump" }, window: { by: "count", count: 1000 } }],
          ["retrain", "retrain-trigger", { model: "pump", trainer: "logistic", windowMs: 3_600_000 }],
          ["events", "test-sink"],
        ],
        ["vectors.out->record.in", "vectors.out->drift.in", "labels.out->record.labels", "drift.events->retrain.events", "drift.events->events.in"],
      ),
    );
    // Now the pumps run hotter (vib + 1) and fail on temperature alone: v1 is wrong about half the time.
    const emitVector = probe.sources.get("vectors")!;
    const emitLabel = probe.sources.get("labels")!;
    for (let i = 0; i < 1000; i++) {
      const vib = random.gaussian() + 1;
      const temp = random.gaussian();
      const ts = NOW - 1_000_000 + i * 1000;
      emitVector({ topic: "pump", key: `p${i % 4}`, ts, payload: { vib, temp } });
      emitLabel({ topic: "fb", key: `p${i % 4}`, ts, payload: { label: temp > 0 ? 1 : 0 } });
    }
    await engine.idle();
    const drift = probe.received.get("events") ?? [];
    assert.equal(drift.length, 1);
    assert.deepEqual((drift[0]!.payload as { features: Array<{ name: string }> }).features.map((f) => f.name), ["vib"]);

    // The trigger started a run; asking for the same model joins it.
    const outcome = await retrainer.run({ model: "pump", trainer: "logistic", windowMs: 1 }, { reason: "manual" });
    await engine.stop();
    assert.equal(outcome.status, "promoted", JSON.stringify(outcome));
    assert.ok(outcome.status === "promoted" && outcome.evaluation.trigger === "drift" && outcome.evaluation.candidateLoss < outcome.evaluation.productionLoss!);
    assert.deepEqual([registry.resolve("pump", "production").version, registry.resolve("pump", 1).stage], [2, "archived"]);
    assert.ok(audit.list({}).some((r) => r.action === "model.promote" && r.actor === "retrain:drift" && r.outcome === "ok"));
    store.close();
    await registry.close();
  });
});
