import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ModelRegistry } from "../../../runtime/ml/model-registry.ts";
import { linearOnnx, mlpOnnx } from "../../../runtime/ml/onnx-export.ts";
import { Config, defineNode, isAiotError, VirtualClock, type ErrorCode, type Message } from "../../../runtime/sdk/index.ts";
import { MODELS } from "../../../runtime/sdk/models.ts";
import { provide, services } from "../../../runtime/sdk/services.ts";
import { harness } from "../../../runtime/sdk/testing.ts";
import { Engine } from "../../../runtime/core/engine.ts";
import { flowOf, probeNodes } from "../../../test/support/test-nodes.ts";
import driftMonitor from "../drift-monitor/index.ts";
import onnxInference from "./index.ts";
import { checkModelFits } from "./model-slot.ts";

const coded = (code: ErrorCode) => (error: unknown) => isAiotError(error) && error.code === code;
const WEIGHTS = [0.5, -2, 0.25];
const FEATURES = ["temp", "vib", "load"];
const linear = (bias: number) => linearOnnx({ featureNames: FEATURES, weights: WEIGHTS, bias, link: "identity" });
const reading = (i: number, extra: Record<string, unknown> = {}): Message => ({ topic: "pump", key: `pump-${i % 5}`, ts: i, payload: { id: i, temp: 60 + i, vib: 1 + i / 10, load: 0.5, ...extra } });
const expected = (p: { temp: number; vib: number; load: number }, bias: number) => WEIGHTS[0]! * p.temp + WEIGHTS[1]! * p.vib + WEIGHTS[2]! * p.load + bias;
const sendTo = (h: { send(msg: Message, port?: "in" | "feedback"): void | Promise<void> }, msg: Message, port?: "in" | "feedback"): Promise<void> => Promise.resolve(h.send(msg, port));
const close = (a: number, b: number, tolerance = 1e-4) => Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(b));

/** Lets onnxruntime's callbacks and the node's promises run (no timed waits). */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 5000 && !condition(); i++) await new Promise((resolve) => setImmediate(resolve));
  assert.ok(condition(), `timed out waiting for ${what}`);
}

describe("onnx-inference", () => {
  let dir: string;
  let registry: ModelRegistry;
  let provided: ReturnType<typeof services>;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "aiotflow-inference-"));
    registry = await ModelRegistry.open(dir);
    provided = services(provide(MODELS, registry));
    await registry.register({ name: "lin", bytes: linear(1), reference: { temp: { mean: 70, std: 5 }, vib: { mean: 2, std: 1 }, load: { mean: 0.4, std: 0.1 } } });
    await registry.promote("lin", 1, "production", "test");
  });
  after(async () => {
    await registry.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("batches rows until maxWaitMs on the clock, scores them exactly and names the model", async () => {
    const clock = new VirtualClock();
    const h = harness(onnxInference, { model: "lin", features: FEATURES, maxWaitMs: 5 }, { clock, services: provided });
    const done = [0, 1, 2].map((i) => sendTo(h, reading(i)));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(h.out("out").length, 0, "nothing runs before the wait is over");
    clock.advance(5);
    await Promise.all(done);
    const out = h.out("out");
    assert.equal(out.length, 3);
    for (const msg of out) {
      const p = msg.payload as { temp: number; vib: number; load: number; score: number };
      assert.ok(close(p.score, expected(p, 1)), `score ${p.score} vs ${expected(p, 1)}`);
      assert.equal(msg.meta?.["model"], "lin@1");
    }
    assert.equal(h.counters.get("model.lin@1.batches"), 1);
    assert.equal(h.counters.get("model.lin@1.rows"), 3);
    assert.equal(h.counters.get("model.lin@1.latency_ms_le_inf"), 1);
    await h.node.close?.();
  });

  it("runs a full batch at once, without waiting", async () => {
    const h = harness(onnxInference, { model: "lin", maxBatch: 4, maxWaitMs: 1000 }, { services: provided });
    await Promise.all([0, 1, 2, 3].map((i) => sendTo(h, reading(i))));
    assert.equal(h.out("out").length, 4);
    assert.equal(h.counters.get("model.lin@1.batches"), 1);
    await h.node.close?.();
  });

  it("explains a prediction by occlusion: exactly w_i * (x_i - mean_i) for a linear model", async () => {
    const h = harness(onnxInference, { model: "lin", explain: { rate: 1, top: 3 } }, { services: provided });
    await sendTo(h, { topic: "pump", ts: 0, payload: { temp: 80, vib: 5, load: 0.9 } });
    const explanation = h.out("out")[0]?.meta?.["explanation"] as { baseline: string; top: Array<{ feature: string; attribution: number; baseline: number }> };
    assert.equal(explanation.baseline, "reference mean");
    const wanted = { temp: 0.5 * (80 - 70), vib: -2 * (5 - 2), load: 0.25 * (0.9 - 0.4) };
    assert.deepEqual(explanation.top.map((a) => a.feature), ["vib", "temp", "load"], "largest magnitude first");
    for (const a of explanation.top) assert.ok(close(a.attribution, wanted[a.feature as keyof typeof wanted]), `${a.feature}: ${a.attribution}`);
    await h.node.close?.();
  });

  it("explains a version without reference statistics against zero, and says so instead of claiming a reference mean", async () => {
    await registry.register({ name: "lin-noref", bytes: linear(1) }); // as the raw upload route does: no reference
    const h = harness(onnxInference, { model: "lin-noref", version: 1, explain: { rate: 1, top: 3 } }, { services: provided });
    await sendTo(h, { topic: "pump", ts: 0, payload: { temp: 80, vib: 5, load: 0.9 } });
    const explanation = h.out("out")[0]?.meta?.["explanation"] as { baseline: string; top: Array<{ feature: string; attribution: number; baseline: number }> };
    assert.equal(explanation.baseline, "zero (no reference statistics)");
    const wanted = { temp: 0.5 * 80, vib: -2 * 5, load: 0.25 * 0.9 };
    for (const a of explanation.top) {
      assert.equal(a.baseline, 0);
      assert.ok(close(a.attribution, wanted[a.feature as keyof typeof wanted]), `${a.feature}: ${a.attribution}`);
    }
    await h.node.close?.();
    // Statistics for only some features: the label says which baseline was used where.
    await registry.register({ name: "lin-partial", bytes: linear(1), reference: { temp: { mean: 70, std: 5 } } });
    const partial = harness(onnxInference, { model: "lin-partial", version: 1, explain: { rate: 1, top: 3 } }, { services: provided });
    await sendTo(partial, { topic: "pump", ts: 0, payload: { temp: 80, vib: 5, load: 0.9 } });
    assert.equal((partial.out("out")[0]?.meta?.["explanation"] as { baseline: string }).baseline, "reference mean (zero for features without statistics)");
    await partial.node.close?.();
  });

  it("explains only the sampled share of messages", async () => {
    const h = harness(onnxInference, { model: "lin", explain: { rate: 0.25 } }, { services: provided });
    await Promise.all(Array.from({ length: 8 }, (_, i) => sendTo(h, reading(i))));
    assert.equal(h.out("out").filter((m) => m.meta?.["explanation"]).length, 2);
    await h.node.close?.();
  });

  it("fails the deploy when the model needs a feature the flow does not provide, naming both", () => {
    assert.throws(
      () => harness(onnxInference, { model: "lin", features: ["temp", "load", "pressure"] }, { services: provided }),
      (e) => coded("MODEL_INPUT_MISMATCH")(e) && /lin@1 needs feature "vib".*\[temp, load, pressure\]/.test((e as Error).message),
    );
    assert.throws(() => harness(onnxInference, { model: "nope" }, { services: provided }), coded("MODEL_NOT_FOUND"));
  });

  it("fails the deploy on an input shape the node cannot feed", () => {
    const info = registry.resolve("lin", 1);
    assert.throws(() => checkModelFits({ ...info, inputs: [{ name: "features", type: "float32", shape: ["N", 3, 1] }] }, undefined), (e) => coded("MODEL_INPUT_MISMATCH")(e) && /\[N, 3, 1\].*float32 \[N, 3\]/.test((e as Error).message));
    assert.throws(() => checkModelFits({ ...info, inputs: [{ name: "x", type: "int64", shape: ["N", 3] }] }, undefined), coded("MODEL_INPUT_MISMATCH"));
  });

  it("sends NaN or missing features to the error port and keeps scoring", async () => {
    const h = harness(onnxInference, { model: "lin" }, { services: provided });
    await assert.rejects(sendTo(h, reading(1, { vib: Number.NaN })), (e: unknown) => coded("MODEL_FEATURE_INVALID")(e) && /vib=null/.test((e as Error).message));
    await assert.rejects(sendTo(h, { topic: "pump", ts: 0, payload: { temp: 1, load: 2 } }), (e: unknown) => coded("MODEL_FEATURE_INVALID")(e) && /vib=missing/.test((e as Error).message));
    await sendTo(h, reading(2));
    assert.equal(h.out("out").length, 1);
    await h.node.close?.();
  });

  it("scores a batch in one run per maxBatch rows, in order, failing only its bad message", async () => {
    const h = harness(onnxInference, { model: "lin", maxBatch: 4 }, { services: provided });
    const batch = Array.from({ length: 10 }, (_, i) => reading(i, i === 6 ? { vib: Number.NaN } : {}));
    await h.sendBatch(batch);
    assert.deepEqual(h.out("out").map((m) => (m.payload as { id: number }).id), [0, 1, 2, 3, 4, 5, 7, 8, 9]);
    for (const msg of h.out("out")) {
      const p = msg.payload as { temp: number; vib: number; load: number; score: number };
      assert.ok(close(p.score, expected(p, 1)), `score ${p.score} vs ${expected(p, 1)}`);
    }
    assert.deepEqual(h.failed.map((f) => (f.msg.payload as { id: number }).id), [6]);
    assert.ok(coded("MODEL_FEATURE_INVALID")(h.failed[0]!.error) && /vib=null/.test((h.failed[0]!.error as Error).message));
    assert.equal(h.counters.get("model.lin@1.batches"), 3);
    assert.equal(h.counters.get("model.lin@1.rows"), 9);
    assert.equal(h.counters.get("variant.main.messages"), 9);
    await h.node.close?.();
  });

  it("in a flow, sends a batch's bad message to the error port and the others on, in order", async () => {
    const probe = probeNodes();
    let emit: (msg: Message) => boolean = () => false;
    const features = defineNode({
      type: "test-features", version: 1, family: "sources", title: "Features", summary: "Emits what the test hands it.", config: Config({}), inputs: {},
      outputs: { out: { kind: "features", description: "Feature vectors." } }, examples: [],
      create: (_config, ctx) => ({ start: () => void (emit = (msg) => ctx.emit("out", msg)) }),
    });
    const engine = new Engine({ catalog: new Map([...probe.definitions, features, onnxInference].map((d) => [d.type, d])), services: provided, freezeMessages: true });
    await engine.deploy(flowOf([["src", "test-features"], ["model", "onnx-inference", { model: "lin", features: FEATURES }], ["out", "test-sink"], ["errors", "test-sink"]], ["src.out->model.in", "model.out->out.in", "model.error->errors.in"]));
    for (let i = 0; i < 8; i++) emit(reading(i, i === 3 ? { temp: "hot" } : {}));
    await engine.idle();
    assert.deepEqual(probe.received.get("out")!.map((m) => (m.payload as { id: number }).id), [0, 1, 2, 4, 5, 6, 7]);
    const errors = probe.received.get("errors")!;
    assert.equal(errors.length, 1);
    assert.deepEqual([(errors[0]!.payload as { code: string }).code, ((errors[0]!.payload as { input: Message }).input.payload as { id: number }).id], ["MODEL_FEATURE_INVALID", 3]);
    assert.equal(probe.received.get("out")![0]!.meta?.["model"], "lin@1");
    await engine.stop();
  });

  it("in a flow, keeps serving a production version without reference statistics next to a drift monitor on it", async () => {
    await registry.register({ name: "served-noref", bytes: linear(0) }); // as the raw upload route registers: no reference
    await registry.promote("served-noref", 1, "production", "test");
    const probe = probeNodes();
    let emit: (msg: Message) => boolean = () => false;
    const features = defineNode({
      type: "test-features", version: 1, family: "sources", title: "Features", summary: "Emits what the test hands it.", config: Config({}), inputs: {},
      outputs: { out: { kind: "features", description: "Feature vectors." } }, examples: [],
      create: (_config, ctx) => ({ start: () => void (emit = (msg) => ctx.emit("out", msg)) }),
    });
    const engine = new Engine({ catalog: new Map([...probe.definitions, features, onnxInference, driftMonitor].map((d) => [d.type, d])), services: provided, freezeMessages: true });
    await engine.deploy(
      flowOf(
        [["src", "test-features"], ["model", "onnx-inference", { model: "served-noref", features: FEATURES }], ["drift", "drift-monitor", { features: FEATURES, reference: { from: "model", model: "served-noref" } }], ["out", "test-sink"]],
        ["src.out->model.in", "model.out->out.in", "model.out->drift.in"],
      ),
    );
    for (let i = 0; i < 5; i++) emit(reading(i));
    await engine.idle();
    assert.equal(probe.received.get("out")?.length, 5, "the model serves");
    const drift = engine.metrics().find((m) => m.node === "drift")!;
    assert.equal(drift.counters["unchecked"], 5);
    assert.equal(drift.errors, 0);
    await engine.stop();
  });

  it("turns a model that throws at run time into MODEL_RUN_FAILED per message, counted, and carries on", async () => {
    const oneRowOnly = mlpOnnx({ featureNames: FEATURES, layers: [{ weights: [WEIGHTS], bias: [0], activation: "identity" }], fixedBatch: 1 });
    await registry.register({ name: "single", bytes: oneRowOnly });
    const h = harness(onnxInference, { model: "single", version: 1 }, { services: provided });
    const results = await Promise.allSettled([sendTo(h, reading(1)), sendTo(h, reading(2))]);
    for (const r of results) assert.ok(r.status === "rejected" && coded("MODEL_RUN_FAILED")(r.reason), "a batch of 2 is refused by a batch-1 model");
    assert.equal(h.counters.get("model.single@1.errors"), 1);
    await sendTo(h, reading(3));
    assert.equal(h.out("out").length, 1, "a batch it accepts still runs");
    await h.sendBatch([reading(4), reading(5), reading(6)]);
    assert.deepEqual(h.failed.slice(-3).map((f) => coded("MODEL_RUN_FAILED")(f.error) && (f.msg.payload as { id: number }).id), [4, 5, 6], "each message of the refused batch");
    await h.node.close?.();
  });

  it("refuses a version whose file no longer matches its hash, and keeps running", async () => {
    const info = await registry.register({ name: "tampered", bytes: linear(7) });
    await writeFile(registry.fileOf(info), linear(8));
    const h = harness(onnxInference, { model: "tampered", version: 1 }, { services: provided });
    await assert.rejects(sendTo(h, reading(1)), coded("MODEL_HASH_MISMATCH"));
    await assert.rejects(sendTo(h, reading(2)), coded("MODEL_HASH_MISMATCH"));
    await h.node.close?.();
  });

  it("follows the production alias between batches, without dropping or double-scoring a message", async () => {
    const name = "moving";
    await registry.register({ name, bytes: linear(1) });
    await registry.promote(name, 1, "production", "test");
    const h = harness(onnxInference, { model: name, maxBatch: 3 }, { services: provided });
    const sent: Promise<void>[] = [];
    for (let i = 0; i < 9; i++) sent.push(sendTo(h, reading(i)));
    const second = await registry.register({ name, bytes: linear(2) });
    await registry.promote(name, second.version, "production", "test");
    await until(() => h.counters.get("model.switches") === 1, "the switch");
    for (let i = 9; i < 18; i++) sent.push(sendTo(h, reading(i)));
    await Promise.all(sent);
    const out = h.out("out");
    assert.deepEqual(out.map((m) => (m.payload as { id: number }).id).sort((a, b) => a - b), Array.from({ length: 18 }, (_, i) => i), "each message exactly once");
    for (const msg of out) {
      const p = msg.payload as { id: number; temp: number; vib: number; load: number; score: number };
      const bias = msg.meta?.["model"] === `${name}@2` ? 2 : 1;
      assert.ok(close(p.score, expected(p, bias)), `message ${p.id} scored by ${String(msg.meta?.["model"])}`);
    }
    assert.ok(out.filter((m) => (m.payload as { id: number }).id >= 9).every((m) => m.meta?.["model"] === `${name}@2`), "after the switch only v2 scores");
    await h.node.close?.();
  });

  it("scores a logistic model fitted on a seeded synthetic dataset above 90 % accuracy", async () => {
    // Two classes of (x0, x1) around (-1, -1) and (1, 1) with noise 0.7: separable to about 97 %.
    let seed = 42;
    const uniform = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const gaussian = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
    const sample = (n: number) => Array.from({ length: n }, (_, i) => {
      const y = i % 2;
      return { x: [(y ? 1 : -1) + 0.7 * gaussian(), (y ? 1 : -1) + 0.7 * gaussian()], y };
    });
    const train = sample(400);
    const test = sample(200);
    const w = [0, 0];
    let b = 0;
    for (let epoch = 0; epoch < 200; epoch++) {
      const grad = [0, 0];
      let gradB = 0;
      for (const { x, y } of train) {
        const error = 1 / (1 + Math.exp(-(w[0]! * x[0]! + w[1]! * x[1]! + b))) - y;
        grad[0]! += error * x[0]!;
        grad[1]! += error * x[1]!;
        gradB += error;
      }
      w[0]! -= (0.5 * grad[0]!) / train.length;
      w[1]! -= (0.5 * grad[1]!) / train.length;
      b -= (0.5 * gradB) / train.length;
    }
    await registry.register({ name: "fitted", bytes: linearOnnx({ featureNames: ["x0", "x1"], weights: w, bias: b, link: "sigmoid" }) });
    const h = harness(onnxInference, { model: "fitted", version: 1, output: { threshold: 0.5, labels: ["0", "1"] } }, { services: provided });
    await Promise.all(test.map(({ x }, i) => sendTo(h, { topic: "t", ts: i, payload: { id: i, x0: x[0], x1: x[1] } })));
    const correct = h.out("out").filter((m) => {
      const p = m.payload as { id: number; label: string; score: number };
      return p.label === String(test[p.id]!.y) && p.score >= 0 && p.score <= 1;
    }).length;
    assert.ok(correct / test.length > 0.9, `accuracy ${correct / test.length}`);
    await h.node.close?.();
  });

  it("splits keys stickily between A/B variants and counts shadow agreement and feedback accuracy", async () => {
    const name = "ab";
    await registry.register({ name, bytes: linear(0) });
    await registry.register({ name, bytes: linear(0.5) });
    await registry.register({ name, bytes: linear(-5) });
    const h = harness(onnxInference, {
      model: name,
      variants: [{ id: "a", version: 1, percent: 50 }, { id: "b", version: 2, percent: 50 }],
      shadow: { model: name, version: 3 },
      output: { threshold: 30, labels: ["ok", "hot"] },
    }, { services: provided });
    const keys = Array.from({ length: 20 }, (_, i) => `pump-${i}`);
    for (const round of [0, 1]) await Promise.all(keys.map((key, i) => sendTo(h, { topic: "t", key, ts: round, payload: { temp: 40 + i * 2, vib: 1, load: 0 } })));
    const variantOf = new Map<string, unknown>();
    for (const msg of h.out("out")) {
      if (variantOf.has(msg.key!)) assert.equal(msg.meta?.["variant"], variantOf.get(msg.key!), `${msg.key} stays on its variant`);
      variantOf.set(msg.key!, msg.meta?.["variant"]);
    }
    const count = (name: string) => h.counters.get(name) ?? 0;
    assert.equal(count("variant.a.messages") + count("variant.b.messages"), 40);
    assert.ok(count("variant.a.messages") > 0 && count("variant.b.messages") > 0, "both variants get keys");
    await until(() => count("variant.shadow.agree") + count("variant.shadow.disagree") === 40, "the shadow");
    assert.ok(count("variant.shadow.disagree") > 0, "a shadow with another bias disagrees near the threshold");
    await Promise.all(keys.map((key) => sendTo(h, { topic: "t", key, ts: 2, payload: { label: "hot" } }, "feedback")));
    assert.equal(count("variant.a.feedback_correct") + count("variant.a.feedback_incorrect") + count("variant.b.feedback_correct") + count("variant.b.feedback_incorrect"), 20);
    assert.equal(count("variant.shadow.feedback_correct") + count("variant.shadow.feedback_incorrect"), 20);
    await h.node.close?.();
  });
});
