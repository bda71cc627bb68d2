/** POST /api/models/:name/upload: an ONNX file as raw bytes, held to its own size limit. */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ModelRegistry } from "../../ml/model-registry.ts";
import { linearOnnx } from "../../ml/onnx-export.ts";
import { auditOf, startApi, type TestApi } from "../../../test/support/api.ts";

const LIMIT = 4096;
const model = linearOnnx({ featureNames: ["temp", "vib"], weights: [1, 2], bias: 0, link: "sigmoid" });
const binary = { "content-type": "application/octet-stream" };

describe("raw model upload", () => {
  let t: TestApi;
  let dir: string;
  let registry: ModelRegistry;
  before(async () => {
    t = await startApi({ limits: { modelBytes: LIMIT } });
    dir = await mkdtemp(join(tmpdir(), "aiotflow-model-upload-"));
    registry = await ModelRegistry.open(dir, { audit: t.audit });
    Object.assign(t.deps, { models: registry });
  });
  after(async () => {
    await t.close();
    await registry.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("registers the bytes as the next candidate, with features and card from the query (operator)", async () => {
    assert.ok(model.byteLength < LIMIT, "the fixture fits the test limit");
    const first = await t.request("POST", "/api/models/pump/upload?features=temperature,vibration&card=from%20the%20lab", { as: "operator", raw: model, headers: binary });
    assert.equal(first.status, 201, first.text);
    assert.deepEqual([first.body.model.version, first.body.model.stage, first.body.model.featureNames, first.body.model.card, first.body.model.size], [1, "candidate", ["temperature", "vibration"], "from the lab", model.byteLength]);
    const second = await t.request("POST", "/api/models/pump/upload", { as: "operator", raw: model, headers: { "content-type": "application/octet-stream; charset=binary" } });
    assert.equal(second.status, 201, second.text);
    assert.deepEqual([second.body.model.version, second.body.model.featureNames], [2, ["temp", "vib"]], "feature names from the file's metadata");
    assert.equal(second.body.model.sha256, first.body.model.sha256, "same bytes, same hash");
    assert.ok(auditOf(t.audit, "ok").some((r) => r.action === "model.register" && r.actor === "operator"));
  });

  it("refuses bad uploads with coded errors, and viewers", async () => {
    const cases: Array<[string, Uint8Array | string, Record<string, string>, number, string]> = [
      ["/api/models/pump/upload", new TextEncoder().encode("not a model at all"), binary, 400, "MODEL_NOT_ONNX"],
      ["/api/models/pump/upload", new Uint8Array(LIMIT + 1), binary, 413, "API_BODY_TOO_LARGE"],
      ["/api/models/pump/upload", JSON.stringify({ onnx: "AAAA" }), { "content-type": "application/json" }, 415, "API_CONTENT_TYPE"],
      ["/api/models/pump/upload", model, { "content-type": "text/plain" }, 415, "API_CONTENT_TYPE"],
      ["/api/models/pump/upload", model, { ...binary, "content-encoding": "gzip" }, 415, "API_CONTENT_TYPE"],
      ["/api/models/pump/upload", new Uint8Array(), binary, 400, "API_BODY_INVALID"],
      ["/api/models/pump/upload?features=temp,,vib", model, binary, 400, "API_QUERY_INVALID"],
      ["/api/models/pump/upload?features=a,b,c", model, binary, 400, "MODEL_INVALID"],
      ["/api/models/pump/upload?stage=production", model, binary, 400, "API_QUERY_INVALID"],
    ];
    for (const [path, raw, headers, status, code] of cases) {
      const reply = await t.request("POST", path, { as: "operator", raw, headers });
      assert.equal(reply.status, status, `${path} ${JSON.stringify(headers)}: ${reply.text}`);
      assert.equal(reply.body.error.code, code, reply.text);
    }
    assert.equal((await t.request("POST", "/api/models/pump/upload", { as: "viewer", raw: model, headers: binary })).status, 403);
    assert.equal(registry.get("pump").versions.length, 2, "nothing refused was registered");
  });
});
