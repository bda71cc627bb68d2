/**
 * GET /api/flows/:id/nodes/:node/variants on a real server: a flow with an onnx-inference node
 * (A/B split over two versions of a registered linear model, plus a shadow) fed through http-in
 * webhooks, feedback labels included; the report's numbers are checked against the known weights.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { variantFor } from "../nodes/inference/onnx-inference/prediction.ts";
import { flowOf } from "./support/test-nodes.ts";
import { loadCatalog } from "../runtime/catalog/catalog.ts";
import { linearOnnx } from "../runtime/ml/onnx-export.ts";
import type { Logger } from "../runtime/sdk/define.ts";
import { serve, type Served } from "../runtime/serve/serve.ts";
import { startApi, type TestApi } from "./support/api.ts";
import { until } from "./support/wait.ts";

const TOKEN = "variants-hook-token";
const FEATURES = ["temp", "vib"];
const BIAS = { "pump@1": -5, "pump@2": -4, "pump-shadow@1": -6 } as const;
const VARIANTS = [{ id: "a", percent: 50 }, { id: "b", percent: 50 }];
const onnx = (bias: number) => Buffer.from(linearOnnx({ featureNames: FEATURES, weights: [1, 2], bias, link: "sigmoid" })).toString("base64");
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
/** 20 devices; temp steps by 0.5 so the decision boundary (z = 0) falls between readings. */
const READINGS = Array.from({ length: 20 }, (_, i) => ({ device: `device-${i}`, temp: i * 0.5 + 0.25, vib: 1 }));
const failing = (i: number) => i >= 6;

const flow = flowOf(
  [
    ["readings", "http-in", { token: { $secret: "hook" }, keyField: "device" }],
    ["labels", "http-in", { token: { $secret: "hook" }, keyField: "device" }],
    ["score", "onnx-inference", { model: "pump", features: FEATURES, output: { threshold: 0.5, labels: ["ok", "failing"] }, variants: [{ ...VARIANTS[0], version: 1 }, { ...VARIANTS[1], version: "candidate" }], shadow: { model: "pump-shadow", version: 1 }, explain: { rate: 1, top: 2 } }],
    ["log", "debug", {}],
    // http-in emits readings; the model takes features (a kind the editor wires by).
    ["features", "map", { set: { temp: "payload.temp", vib: "payload.vib" }, mode: "replace" }],
  ],
  ["readings.out->features.in", "features.out->score.in", "labels.out->score.feedback", "score.out->log.in"],
  "ab-line",
);

describe("the variants report of a running onnx-inference node", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "aiotflow-variants-api-"));
  const errors: string[] = [];
  const logger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: (m) => void errors.push(m) };
  let served: Served;
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${served.url}${path}`, { method, headers: { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: response.status, body: (await response.json()) as any };
  };
  const report = () => call("GET", "/api/flows/ab-line/nodes/score/variants");
  /** The first report that meets `condition`: the node counts as messages pass, and says nothing when. */
  async function reportWhen(condition: (body: any) => boolean, what: string): Promise<any> {
    let body: any;
    await until(async () => condition((body = (await report()).body)), () => `${what}: ${JSON.stringify(body)}`, { timeoutMs: 10_000 });
    return body;
  }

  before(async () => {
    served = await serve({ catalog: await loadCatalog(), dataDir, port: 0, host: "127.0.0.1", auth: false, logger });
    for (const [model, bias] of [["pump", BIAS["pump@1"]], ["pump", BIAS["pump@2"]], ["pump-shadow", BIAS["pump-shadow@1"]]] as const) {
      assert.equal((await call("POST", `/api/models/${model}/versions`, { onnx: onnx(bias), reference: { temp: { mean: 3, std: 1 }, vib: { mean: 1, std: 0.1 } } })).status, 201);
    }
    assert.equal((await call("PUT", "/api/secrets/hook", { value: TOKEN })).status, 201);
    const created = await call("POST", "/api/flows", { document: flow });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const deployed = await call("POST", "/api/flows/ab-line/deploy", {});
    assert.equal(deployed.status, 200, JSON.stringify(deployed.body));
  });
  after(async () => {
    await served?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("answers zeros before any message, with the configured variants and the models they run", async () => {
    const { status, body } = await report();
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(body.variants.map((v: any) => [v.id, v.percent, v.messages, v.share, v.models]), [["a", 50, 0, null, ["pump@1"]], ["b", 50, 0, null, ["pump@2"]]]);
    assert.deepEqual(body.shadow.models, ["pump-shadow@1"]);
    assert.equal(body.shadow.agreement.rate, null);
  });

  it("counts each variant's traffic, scores, shadow agreement, latency and feedback accuracy", async () => {
    const sent = await call("POST", "/api/hooks/ab-line/readings", READINGS, { authorization: `Bearer ${TOKEN}` });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    // The shadow scores after the main model emitted: wait for it before labels arrive.
    await reportWhen((b) => b.shadow.messages === READINGS.length, "the shadow to score every reading");

    const expected = { a: { n: 0, bins: new Array<number>(10).fill(0), correct: 0 }, b: { n: 0, bins: new Array<number>(10).fill(0), correct: 0 } };
    let agree = 0;
    let shadowCorrect = 0;
    READINGS.forEach((r, i) => {
      const id = variantFor(r.device, VARIANTS)!.id as "a" | "b";
      const z = r.temp + 2 * r.vib;
      const score = sigmoid(z + (id === "a" ? BIAS["pump@1"] : BIAS["pump@2"]));
      const shadowScore = sigmoid(z + BIAS["pump-shadow@1"]);
      expected[id].n++;
      expected[id].bins[Math.min(9, Math.floor(score * 10))]!++;
      if (score >= 0.5 === failing(i)) expected[id].correct++;
      if (score >= 0.5 === shadowScore >= 0.5) agree++;
      if (shadowScore >= 0.5 === failing(i)) shadowCorrect++;
    });
    assert.ok(expected.a.n > 0 && expected.b.n > 0, "both variants get traffic");
    assert.ok(agree < READINGS.length, "the shadow disagrees somewhere");

    const labels = [...READINGS.map((r, i) => ({ device: r.device, label: failing(i) })), { device: "never-scored", label: true }];
    assert.equal((await call("POST", "/api/hooks/ab-line/labels", labels, { authorization: `Bearer ${TOKEN}` })).status, 202);
    const body = await reportWhen((b) => b.feedbackUnmatched === 1 && b.variants.every((v: any) => v.feedback.judged === v.messages), "the feedback to be judged");

    assert.equal(body.messages, READINGS.length);
    for (const v of body.variants) {
      const want = expected[v.id as "a" | "b"];
      assert.equal(v.messages, want.n, v.id);
      assert.equal(v.share, want.n / READINGS.length);
      assert.deepEqual(v.scoreBins, want.bins, `${v.id} score bins`);
      assert.deepEqual([v.feedback.correct, v.feedback.judged, v.feedback.accuracy], [want.correct, want.n, want.correct / want.n], `${v.id} feedback`);
      assert.equal(v.errors, 0);
      assert.ok(v.latency.batches >= 1 && v.latency.p50Ms > 0 && v.latency.p50Ms <= v.latency.p99Ms, JSON.stringify(v.latency));
    }
    assert.deepEqual(body.shadow.agreement, { agree, disagree: READINGS.length - agree, rate: agree / READINGS.length });
    assert.equal(body.shadow.feedback.correct, shadowCorrect);
    assert.deepEqual(body.models.map((m: any) => `${m.role}.${m.model}`), ["model.pump@1", "model.pump@2", "shadow.pump-shadow@1"]);
    assert.deepEqual(errors, []);
  });

  it("refuses a flow that is not running and a node that is missing or not onnx-inference, naming them", async () => {
    const cases: Array<[string, RegExp]> = [
      ["/api/flows/nowhere/nodes/score/variants", /flow "nowhere" is not running/],
      ["/api/flows/ab-line/nodes/ghost/variants", /flow "ab-line" has no node "ghost"/],
      ["/api/flows/ab-line/nodes/readings/variants", /node "readings" of flow "ab-line" is a http-in node, not onnx-inference/],
    ];
    for (const [path, message] of cases) {
      const { status, body } = await call("GET", path);
      assert.equal(status, 404, path);
      assert.equal(body.error.code, "VARIANTS_NODE_NOT_RUNNING");
      assert.match(body.error.message, message);
      assert.match(body.error.hint, /deploy the flow/);
    }
  });
});

describe("the variants route's access", () => {
  let t: TestApi;
  before(async () => (t = await startApi()));
  after(() => t.close());
  it("lets a viewer read it and refuses a caller without a token", async () => {
    const viewer = await t.request("GET", "/api/flows/line-1/nodes/score/variants", { as: "viewer" });
    assert.equal(viewer.status, 404, "the viewer passes the gate; the flow is not running");
    assert.equal(viewer.body.error.code, "VARIANTS_NODE_NOT_RUNNING");
    assert.equal((await t.request("GET", "/api/flows/line-1/nodes/score/variants", { as: "nobody" })).status, 401);
  });
});
