import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isAiotError, type ErrorCode } from "../sdk/errors.ts";
import type { ModelEvent } from "../sdk/models.ts";
import { JsonlAuditLog } from "../store/audit-log.ts";
import { ModelRegistry } from "./model-registry.ts";
import { linearOnnx } from "./onnx-export.ts";

const coded = (code: ErrorCode) => (error: unknown) => isAiotError(error) && error.code === code;
const model = (bias: number) => linearOnnx({ featureNames: ["temp", "vib"], weights: [0.5, -1], bias, link: "identity" });

describe("model registry", () => {
  let dir: string;
  let registry: ModelRegistry;
  let audit: JsonlAuditLog;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "aiotflow-models-"));
    audit = await JsonlAuditLog.open(dir);
    registry = await ModelRegistry.open(dir, { audit });
  });
  after(async () => {
    await registry.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("registers a file by hash with inputs, outputs and feature names read from the model", async () => {
    const info = await registry.register({ name: "pump", bytes: model(1), reference: { temp: { mean: 60, std: 5 } }, card: "demo", actor: "ana" });
    assert.equal(info.version, 1);
    assert.equal(info.stage, "candidate");
    assert.deepEqual(info.featureNames, ["temp", "vib"]);
    assert.deepEqual(info.inputs, [{ name: "features", type: "float32", shape: ["N", 2] }]);
    assert.deepEqual(info.outputs, [{ name: "score", type: "float32", shape: ["N", 1] }]);
    assert.equal(info.size, model(1).byteLength);
    assert.match(info.sha256, /^[0-9a-f]{64}$/);
    assert.ok((await readFile(registry.fileOf(info))).equals(model(1)), "the file holds the registered bytes");
    assert.equal(registry.resolve("pump", "candidate").version, 1);
  });

  it("moves the production alias, archives the previous version, audits and announces every promotion", async () => {
    const events: ModelEvent[] = [];
    const unsubscribe = registry.subscribe((e) => events.push(e));
    await registry.promote("pump", 1, "production", "ana");
    const second = await registry.register({ name: "pump", bytes: model(2), actor: "retrain:pump" });
    await registry.promote("pump", second.version, "production", "bob");
    unsubscribe();
    assert.equal(registry.resolve("pump", "production").version, 2);
    assert.equal(registry.resolve("pump", 1).stage, "archived");
    assert.deepEqual(events.map((e) => [e.kind, e.version, e.stage, e.previous]), [["promoted", 1, "production", undefined], ["registered", 2, "candidate", undefined], ["promoted", 2, "production", 1]]);
    const promotions = audit.list().filter((r) => r.action === "model.promote");
    assert.deepEqual(promotions.map((r) => [r.actor, r.target, r.outcome]), [["ana", "model:pump@1", "ok"], ["bob", "model:pump@2", "ok"]]);
    const reopened = await ModelRegistry.open(dir);
    assert.equal(reopened.resolve("pump", "production").version, 2);
  });

  it("loads a registered version and runs it", async () => {
    const runner = await registry.open("pump", 2);
    const out = await runner.run(Float32Array.from([10, 1]), 1);
    assert.ok(Math.abs(out.score!.data[0]! - (0.5 * 10 - 1 + 2)) < 1e-6);
    await runner.release();
  });

  it("refuses a file that is not ONNX", async () => {
    await assert.rejects(registry.register({ name: "pump", bytes: new TextEncoder().encode("just,a,csv\n1,2,3\n") }), coded("MODEL_NOT_ONNX"));
    await assert.rejects(registry.register({ name: "pump", bytes: model(1), featureNames: ["only-one"] }), coded("MODEL_INVALID"));
    await assert.rejects(registry.register({ name: "../etc", bytes: model(1) }), coded("MODEL_INVALID"));
    await assert.rejects(registry.register({ name: "pump", bytes: model(1), reference: { pressure: { mean: 1, std: 1 } } }), coded("MODEL_INVALID"));
  });

  it("refuses to promote a version that failed evaluation, and audits the refusal", async () => {
    const failed = await registry.register({ name: "pump", bytes: model(3), metrics: { evaluation: { passed: false, reason: "accuracy 0.61 < production 0.83" } } });
    await assert.rejects(registry.promote("pump", failed.version, "production", "retrain:pump"), coded("MODEL_EVALUATION_FAILED"));
    assert.equal(registry.resolve("pump", "production").version, 2, "production is unchanged");
    assert.equal(audit.list().at(-1)?.outcome, "refused");
    await assert.rejects(registry.promote("pump", 99, "production", "ana"), coded("MODEL_NOT_FOUND"));
    await assert.rejects(registry.promote("pump", 1, "staging" as "production", "ana"), coded("MODEL_STAGE_INVALID"));
  });

  it("refuses a version whose file no longer matches its hash; the running model keeps serving", async () => {
    const running = await registry.open("pump", 2);
    const tampered = await registry.register({ name: "pump", bytes: model(4) });
    await writeFile(registry.fileOf(tampered), model(5));
    await assert.rejects(registry.open("pump", tampered.version), coded("MODEL_HASH_MISMATCH"));
    await assert.rejects(registry.promote("pump", tampered.version, "production", "ana"), coded("MODEL_HASH_MISMATCH"));
    assert.equal(registry.resolve("pump", "production").version, 2);
    const out = await running.run(Float32Array.from([0, 0]), 1);
    assert.ok(Math.abs(out.score!.data[0]! - 2) < 1e-6);
    await running.release();
  });

  it("lists models with their aliases", () => {
    const [pump] = registry.list();
    assert.equal(pump?.name, "pump");
    assert.equal(pump?.production, 2);
    assert.equal(pump?.versions.length, 4);
    assert.throws(() => registry.get("nope"), coded("MODEL_NOT_FOUND"));
  });
});
