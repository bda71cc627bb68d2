import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SeededRandom } from "../../sdk/seeded-random.ts";
import { FeatureStore } from "../../ml/feature-store.ts";
import { ModelRegistry } from "../../ml/model-registry.ts";
import { Retrainer } from "../../ml/retrain.ts";
import { auditOf, startApi, type TestApi } from "../../../test/support/api.ts";

const NOW = Date.UTC(2026, 0, 2);

describe("feature store and retraining routes", () => {
  let t: TestApi;
  let dir: string;
  let store: FeatureStore;
  let registry: ModelRegistry;
  before(async () => {
    t = await startApi();
    dir = await mkdtemp(join(tmpdir(), "aiotflow-features-api-"));
    store = FeatureStore.open(join(dir, "features.sqlite"), { flushMs: 0, now: () => NOW, flowVersion: () => 2 });
    registry = await ModelRegistry.open(dir, { audit: t.audit });
    const random = new SeededRandom(1);
    for (let i = 0; i < 200; i++) {
      const vib = random.gaussian();
      store.record({ flowId: "pumps", key: `p${i % 3}`, ts: NOW - 200_000 + i * 1000, features: { vib }, model: "pump@1", score: 0.5, label: vib > 0 ? 1 : 0 });
    }
  });
  after(async () => {
    await t.close();
    store.close();
    await registry.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("answers 503 SERVICE_UNAVAILABLE while the server has no feature store", async () => {
    const reply = await t.request("GET", "/api/features", { as: "viewer" });
    assert.equal(reply.status, 503);
    assert.equal(reply.body.error.code, "SERVICE_UNAVAILABLE");
  });

  it("lists rows by time range (epoch ms or ISO) and flow version", async () => {
    Object.assign(t.deps, { features: store, retrain: new Retrainer({ registry, store, now: () => NOW }) });
    const from = new Date(NOW - 10_000).toISOString();
    const reply = await t.request("GET", `/api/features?from=${encodeURIComponent(from)}&to=${NOW - 5_000}&flowVersion=2`, { as: "viewer" });
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual(reply.body.rows.map((r: { ts: number }) => r.ts - NOW), [-10_000, -9_000, -8_000, -7_000, -6_000]);
    assert.equal(reply.body.rows[0].flowVersion, 2);
  });

  it("exports a training set as CSV (operator) and refuses a viewer", async () => {
    const csv = await t.request("GET", "/api/features/training-set?format=csv&limit=3", { as: "operator" });
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get("content-type") ?? "", /text\/csv/);
    const lines = csv.text.trim().split("\n");
    assert.equal(lines[0], "key,ts,vib,label,score");
    assert.equal(lines.length, 4);
    assert.equal((await t.request("GET", "/api/features/training-set", { as: "viewer" })).status, 403);
  });

  it("refuses a malformed time with API_QUERY_INVALID naming the parameter", async () => {
    const reply = await t.request("GET", "/api/features?from=yesterday", { as: "viewer" });
    assert.equal(reply.status, 400);
    assert.deepEqual([reply.body.error.code, reply.body.error.path], ["API_QUERY_INVALID", "query.from"]);
  });

  it("retrains on request (operator), promotes, audits, and lists the run", async () => {
    const reply = await t.request("POST", "/api/retrain", { as: "operator", body: { model: "pump", trainer: "logistic", windowMs: 3_600_000 } });
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.body.outcome.status, "promoted");
    assert.ok(auditOf(t.audit, "ok").some((r) => r.action === "retrain.run" && r.target === "model:pump"));
    assert.ok(auditOf(t.audit, "ok").some((r) => r.action === "model.promote" && r.target === "model:pump@1"));
    const runs = await t.request("GET", "/api/retrain", { as: "viewer" });
    assert.equal(runs.body.runs.length, 1);
  });

  it("answers 422 RETRAIN_FAILED with the cause when there is too little data", async () => {
    const reply = await t.request("POST", "/api/retrain", { as: "operator", body: { model: "pump", trainer: "logistic", windowMs: 3_600_000, minRows: 10_000 } });
    assert.equal(reply.status, 422);
    assert.deepEqual([reply.body.error.code, reply.body.error.cause], ["RETRAIN_FAILED", "TRAINING_SET_EMPTY"]);
  });
});
