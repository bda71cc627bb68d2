import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ModelRegistry } from "../../ml/model-registry.ts";
import { linearOnnx } from "../../ml/onnx-export.ts";
import { auditOf, startApi, type TestApi } from "../../../test/support/api.ts";

const onnx = (bias: number) => Buffer.from(linearOnnx({ featureNames: ["temp", "vib"], weights: [1, 2], bias, link: "sigmoid" })).toString("base64");

describe("model registry routes", () => {
  let t: TestApi;
  let dir: string;
  let registry: ModelRegistry;
  before(async () => {
    t = await startApi();
    dir = await mkdtemp(join(tmpdir(), "aiotflow-model-api-"));
    registry = await ModelRegistry.open(dir, { audit: t.audit });
    // The routes read deps.models when called, as serve() passes it.
    Object.assign(t.deps, { models: registry });
  });
  after(async () => {
    await t.close();
    await registry.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("registers an upload (operator), lists it and shows what was read from the file", async () => {
    const created = await t.request("POST", "/api/models/pump/versions", { as: "operator", body: { onnx: onnx(0), card: "failure probability", reference: { temp: { mean: 60, std: 4 } } } });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.model.version, 1);
    assert.deepEqual(created.body.model.featureNames, ["temp", "vib"]);
    assert.deepEqual(created.body.model.inputs[0].shape, ["N", 2]);
    const list = await t.request("GET", "/api/models", { as: "viewer" });
    assert.equal(list.body.models[0].name, "pump");
    const one = await t.request("GET", "/api/models/pump", { as: "viewer" });
    assert.equal(one.body.model.candidate, 1);
  });

  it("promotes and archives (operator), with an audit record", async () => {
    const promoted = await t.request("POST", "/api/models/pump/versions/1/promote", { as: "operator", body: { stage: "production" } });
    assert.equal(promoted.status, 200, promoted.text);
    assert.equal(promoted.body.model.stage, "production");
    assert.ok(auditOf(t.audit, "ok").some((r) => r.action === "model.promote" && r.target === "model:pump@1" && r.actor === "operator"));
    const archived = await t.request("POST", "/api/models/pump/versions/1/archive", { as: "operator" });
    assert.equal(archived.body.model.stage, "archived");
  });

  it("warns when promoting a version without reference statistics (raw upload), and not for one with them", async () => {
    const raw = Buffer.from(linearOnnx({ featureNames: ["temp", "vib"], weights: [1, 2], bias: 0, link: "sigmoid" }));
    const uploaded = await t.request("POST", "/api/models/noref/upload", { as: "operator", raw, headers: { "content-type": "application/octet-stream" } });
    assert.equal(uploaded.status, 201, uploaded.text);
    const promoted = await t.request("POST", "/api/models/noref/versions/1/promote", { as: "operator", body: { stage: "production" } });
    assert.equal(promoted.status, 200, promoted.text);
    assert.equal(promoted.body.model.stage, "production", "a warning, not a refusal");
    assert.deepEqual(promoted.body.warnings, ["version 1 has no reference statistics: drift monitors following this model will not check drift, explanations use a zero baseline"]);
    const full = await t.request("POST", "/api/models/withref/versions", { as: "operator", body: { onnx: onnx(0), reference: { temp: { mean: 60, std: 4 }, vib: { mean: 1, std: 0.5 } } } });
    const clean = await t.request("POST", `/api/models/withref/versions/${full.body.model.version}/promote`, { as: "operator", body: { stage: "production" } });
    assert.equal(clean.status, 200, clean.text);
    assert.equal(clean.body.warnings, undefined);
    // Archiving a version without statistics moves no alias flows follow: nothing to warn about.
    const archived = await t.request("POST", "/api/models/noref/versions/1/archive", { as: "operator" });
    assert.equal(archived.body.warnings, undefined);
  });

  it("refuses viewers and editors on writes", async () => {
    for (const as of ["viewer", "editor"] as const) {
      const reply = await t.request("POST", "/api/models/pump/versions", { as, body: { onnx: onnx(1) } });
      assert.equal(reply.status, 403);
    }
  });

  it("refuses bad uploads and promotions with coded errors", async () => {
    const cases: Array<[string, string, unknown, number, string]> = [
      ["POST", "/api/models/pump/versions", { onnx: Buffer.from("not a model at all").toString("base64") }, 400, "MODEL_NOT_ONNX"],
      ["POST", "/api/models/pump/versions", { onnx: "%%%" }, 400, "API_BODY_INVALID"],
      ["POST", "/api/models/pump/versions", { onnx: onnx(1), featureNames: ["a", "b", "c"] }, 400, "MODEL_INVALID"],
      ["POST", "/api/models/pump/versions/9/promote", { stage: "production" }, 404, "MODEL_NOT_FOUND"],
      ["POST", "/api/models/pump/versions/1/promote", { stage: "staging" }, 400, "API_BODY_INVALID"],
      ["GET", "/api/models/unknown", undefined, 404, "MODEL_NOT_FOUND"],
    ];
    for (const [method, path, body, status, code] of cases) {
      const reply = await t.request(method, path, body === undefined ? {} : { body });
      assert.equal(reply.status, status, `${path}: ${reply.text}`);
      assert.equal(reply.body.error.code, code);
    }
    const misspelt = await t.request("POST", "/api/models/pump/versions/1/promote", { body: { stage: "prod" } });
    assert.match(misspelt.body.error.message, /stage: must be one of \["candidate","production","archived"\]/, "every allowed stage is named");
    const failed = await t.request("POST", "/api/models/pump/versions", { body: { onnx: onnx(2), metrics: { evaluation: { passed: false, reason: "worse than production" } } } });
    const refused = await t.request("POST", `/api/models/pump/versions/${failed.body.model.version}/promote`, { body: { stage: "production" } });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, "MODEL_EVALUATION_FAILED");
  });
});
