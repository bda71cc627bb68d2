import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SeededRandom } from "../sdk/seeded-random.ts";
import { JsonlAuditLog } from "../store/audit-log.ts";
import { FeatureStore } from "./feature-store.ts";
import { ModelRegistry } from "./model-registry.ts";
import { openMlops, Retrainer } from "./retrain.ts";
import { writeFileSync } from "node:fs";
import { silentLogger } from "../core/logger.ts";
import { linearModelOnnx, trainLogisticRegression } from "./train/linear.ts";

const NOW = Date.UTC(2026, 0, 2);
const HOUR = 3_600_000;
const job = { model: "pump-failure", trainer: "logistic", windowMs: HOUR } as const;

/** `n` labelled rows in the last hour; `flip` inverts the concept (what used to mean failure no longer does). */
function record(store: FeatureStore, seed: number, n: number, flip = false, startMs = NOW - HOUR + 1): void {
  const random = new SeededRandom(seed);
  for (let i = 0; i < n; i++) {
    const vib = random.gaussian();
    const temp = random.gaussian();
    const failing = vib + 0.5 * temp > 0;
    store.record({ flowId: "pumps", key: `p${i % 5}`, ts: startMs + i * 1000, features: { vib, temp }, label: failing !== flip ? 1 : 0 });
  }
}

describe("retraining loop", () => {
  let dir: string;
  let audit: JsonlAuditLog;
  let registry: ModelRegistry;
  let stores: FeatureStore[] = [];
  const fresh = () => {
    const store = FeatureStore.open(join(dir, `features-${stores.length}.sqlite`), { flushMs: 0, now: () => NOW });
    stores.push(store);
    return store;
  };
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "aiot-retrain-"));
    audit = await JsonlAuditLog.open(dir);
    registry = await ModelRegistry.open(dir, { audit });
  });
  after(async () => {
    for (const s of stores) s.close();
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("trains, evaluates, registers with reference statistics and promotes the first model on a drift event", async () => {
    const store = fresh();
    record(store, 1, 600);
    const retrainer = new Retrainer({ registry, store, now: () => NOW });
    const outcome = await retrainer.run(job, { reason: "drift", detail: { features: ["vib"] } });
    assert.equal(outcome.status, "promoted", JSON.stringify(outcome));
    const info = registry.resolve("pump-failure", "production");
    assert.deepEqual(info.featureNames, ["vib", "temp"]);
    const evaluation = info.metrics.evaluation!;
    assert.equal(evaluation.passed, true);
    assert.ok((evaluation["candidateLoss"] as number) < 0.1, `error rate ${evaluation["candidateLoss"]}`);
    assert.deepEqual([evaluation["trainRows"], evaluation["holdoutRows"]], [480, 120]);
    for (const name of ["vib", "temp", "$score"]) assert.ok(info.reference[name]?.histogram, `${name} has a histogram`);
    const actions = (await audit.list({})).map((r) => `${r.action}:${r.outcome}:${r.actor}`);
    assert.ok(actions.includes("model.register:ok:retrain:drift") && actions.includes("model.promote:ok:retrain:drift"), actions.join(" "));
  });

  it("replaces production after a concept change: the new candidate beats it on held-out recent data", async () => {
    const store = fresh();
    record(store, 2, 600, true);
    const before = registry.resolve("pump-failure", "production").version;
    const outcome = await new Retrainer({ registry, store, now: () => NOW }).run(job, { reason: "decay" });
    assert.equal(outcome.status, "promoted", JSON.stringify(outcome));
    assert.ok(outcome.status === "promoted" && outcome.evaluation.productionLoss! > 0.8 && outcome.evaluation.improvement! > 0.5);
    assert.equal(registry.resolve("pump-failure", before).stage, "archived");
  });

  it("leaves a candidate that is not better by the margin awaiting approval; an operator can promote it", async () => {
    const store = fresh();
    record(store, 2, 600, true); // the data production was just trained on
    const outcome = await new Retrainer({ registry, store, now: () => NOW }).run({ ...job, minImprovement: 0.5 }, { reason: "schedule" });
    assert.equal(outcome.status, "awaiting-approval", JSON.stringify(outcome));
    assert.equal(registry.resolve("pump-failure", outcome.status === "awaiting-approval" ? outcome.version : 0).stage, "candidate");
    if (outcome.status === "awaiting-approval") await registry.promote("pump-failure", outcome.version, "production", "operator");
  });

  it("records a failed evaluation and never promotes that candidate, not even by hand", async () => {
    const store = fresh();
    record(store, 3, 600, true);
    const production = registry.resolve("pump-failure", "production").version;
    const outcome = await new Retrainer({ registry, store, now: () => NOW }).run({ ...job, maxLoss: 0 }, { reason: "manual" });
    assert.equal(outcome.status, "failed-evaluation");
    assert.ok(outcome.status === "failed-evaluation");
    assert.match(outcome.evaluation.reason ?? "", /above maxLoss 0/);
    assert.equal(registry.resolve("pump-failure", "production").version, production);
    await assert.rejects(registry.promote("pump-failure", outcome.version, "production", "operator"), { code: "MODEL_EVALUATION_FAILED" });
  });

  it("fails a run with too few rows with TRAINING_SET_EMPTY and registers nothing", async () => {
    const store = fresh();
    record(store, 4, 10);
    const versions = registry.get("pump-failure").versions.length;
    const outcome = await new Retrainer({ registry, store, now: () => NOW }).run(job, { reason: "drift" });
    assert.equal(outcome.status, "failed");
    assert.ok(outcome.status === "failed" && outcome.error.code === "TRAINING_SET_EMPTY");
    assert.equal(registry.get("pump-failure").versions.length, versions);
  });

  it("skips a trigger during the cooldown and runs a manual one anyway", async () => {
    const store = fresh();
    record(store, 5, 200);
    const retrainer = new Retrainer({ registry, store, now: () => NOW, cooldownMs: HOUR });
    const first = await retrainer.run({ ...job, model: "cooldown" }, { reason: "drift" });
    assert.equal(first.status, "promoted");
    assert.equal((await retrainer.run({ ...job, model: "cooldown" }, { reason: "drift" })).status, "skipped");
    assert.notEqual((await retrainer.run({ ...job, model: "cooldown" }, { reason: "manual" })).status, "skipped");
    assert.equal(retrainer.history.length, 3);
  });

  it("gives `aiotflow run --data-dir` the feature store and retraining services, or none over a damaged file", () => {
    const good = mkdtempSync(join(tmpdir(), "aiot-mlops-run-"));
    const mlops = openMlops(good, registry, silentLogger);
    assert.deepEqual(mlops.bindings.map((b) => b.name), ["feature-store", "retrain"]);
    mlops.close();
    writeFileSync(join(good, "features.sqlite"), "not a database\n".repeat(300));
    assert.deepEqual(openMlops(good, registry, silentLogger).bindings, []);
    rmSync(good, { recursive: true, force: true });
  });

  describe("external trainer via webhook", () => {
    let server: Server;
    let url: string;
    let received: { featureNames: string[]; rows: Array<{ x: number[]; label: number }> } | undefined;
    before(async () => {
      server = createServer((req, res) => {
        let body = "";
        req.on("data", (c) => (body += c));
        req.on("end", () => {
          if (req.url === "/broken") return void res.writeHead(500).end("{}");
          received = JSON.parse(body);
          const model = trainLogisticRegression({ featureNames: received!.featureNames, x: received!.rows.map((r) => r.x), y: received!.rows.map((r) => r.label) });
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ onnxBase64: Buffer.from(linearModelOnnx(model)).toString("base64") }));
        });
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it("posts the training rows (not the held-out ones) and registers the model it answers with", async () => {
      const store = fresh();
      record(store, 6, 300);
      const outcome = await new Retrainer({ registry, store, now: () => NOW }).run({ model: "external", trainer: "webhook", task: "classification", windowMs: HOUR, webhook: { url: `${url}/train`, timeoutMs: 5000 } }, { reason: "manual" });
      assert.equal(outcome.status, "promoted", JSON.stringify(outcome));
      assert.equal(received?.rows.length, 240);
      assert.deepEqual(received?.featureNames, ["vib", "temp"]);
    });

    it("fails with RETRAIN_WEBHOOK_FAILED when the trainer answers an error, and without task", async () => {
      const store = fresh();
      record(store, 7, 100);
      const retrainer = new Retrainer({ registry, store, now: () => NOW });
      const broken = await retrainer.run({ model: "external-2", trainer: "webhook", task: "classification", windowMs: HOUR, webhook: { url: `${url}/broken`, timeoutMs: 5000 } }, { reason: "manual" });
      assert.ok(broken.status === "failed" && broken.error.code === "RETRAIN_WEBHOOK_FAILED", JSON.stringify(broken));
      const noTask = await retrainer.run({ model: "external-3", trainer: "webhook", windowMs: HOUR }, { reason: "manual" });
      assert.ok(noTask.status === "failed" && noTask.error.code === "RETRAIN_FAILED", JSON.stringify(noTask));
    });
  });
});
