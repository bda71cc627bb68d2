import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { configOf } from "../../runtime/sdk/index.ts";
import { provide, services } from "../../runtime/sdk/services.ts";
import { FEATURE_STORE } from "../../runtime/sdk/feature-store.ts";
import { harness } from "../../runtime/sdk/testing.ts";
import { FeatureStore } from "../../runtime/ml/feature-store.ts";
import featureStore from "./feature-store.ts";

const T0 = Date.UTC(2026, 0, 1);
const dir = mkdtempSync(join(tmpdir(), "aiot-fs-node-"));
const store = FeatureStore.open(join(dir, "features.sqlite"), { flushMs: 0, now: () => T0, flowVersion: () => 7 });
after(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});
const withStore = { services: services(provide(FEATURE_STORE, store)) };

describe("feature-store sink", () => {
  for (const example of featureStore.examples) {
    it(`accepts its example "${example.title}"`, () => assert.ok(configOf(featureStore, example.config)));
  }

  it("records features in order with score, model and flow version, then attaches a later label", () => {
    const h = harness(featureStore, { features: ["temp", "rms"], scoreField: "score" }, withStore);
    h.send({ topic: "p", key: "pump-1", ts: T0, payload: { rms: 2, temp: 60, score: 0.9, other: "x" }, meta: { model: "pump@4" } });
    h.send({ topic: "fb", key: "pump-1", ts: T0, payload: { label: true } }, "labels");
    const [row] = store.query({ flowId: "test-flow" });
    assert.deepEqual(Object.keys(row!.features), ["temp", "rms"]);
    assert.deepEqual([row!.key, row!.flowVersion, row!.model, row!.score, row!.label], ["pump-1", 7, "pump@4", 0.9, 1]);
  });

  it("counts and skips vectors with NaN or missing features, and labels with no row", () => {
    const h = harness(featureStore, { features: ["rms"] }, withStore);
    const before = store.count();
    h.send({ topic: "p", key: "k", ts: T0, payload: { rms: Number.NaN } });
    h.send({ topic: "p", key: "k", ts: T0, payload: {} });
    h.send({ topic: "fb", key: "nobody", ts: T0, payload: { label: 1 } }, "labels");
    h.send({ topic: "fb", key: "k", ts: T0, payload: { label: "yes" } }, "labels");
    assert.equal(store.count(), before);
    assert.deepEqual([h.counters.get("invalid_vectors"), h.counters.get("unmatched_labels"), h.counters.get("invalid_labels")], [2, 1, 1]);
  });

  it("fails the deploy without a feature store service", () => {
    assert.throws(() => harness(featureStore, { features: ["rms"] }), { code: "SERVICE_UNAVAILABLE" });
  });
});
