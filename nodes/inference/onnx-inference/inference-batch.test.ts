import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ModelRegistry } from "../../../runtime/ml/model-registry.ts";
import { linearOnnx, mlpOnnx } from "../../../runtime/ml/onnx-export.ts";
import { Config, defineNode, type Message, type NodeContext } from "../../../runtime/sdk/index.ts";
import type { ModelRef } from "../../../runtime/sdk/models.ts";
import { harness } from "../../../runtime/sdk/testing.ts";
import { InferenceHandler, type InferenceSetup } from "./inference-batch.ts";
import { ModelSlot } from "./model-slot.ts";
import type { OutputMapping } from "./prediction.ts";

const FEATURES = ["temp", "vib", "load"];
const WEIGHTS = [0.5, -2, 0.25];
const linear = (bias: number) => linearOnnx({ featureNames: FEATURES, weights: WEIGHTS, bias, link: "identity" });
const reading = (i: number, extra: Record<string, unknown> = {}): Message => ({ topic: "pump", key: `pump-${i}`, ts: i, payload: { id: i, temp: 60 + i, vib: 1, load: 0.5, ...extra } });
const score = (i: number, bias: number) => WEIGHTS[0]! * (60 + i) + WEIGHTS[1]! + WEIGHTS[2]! * 0.5 + bias;
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b));
const idOf = (m: Message) => (m.payload as { id: number }).id;

describe("InferenceHandler", () => {
  let dir: string;
  let registry: ModelRegistry;
  const handlers: InferenceHandler[] = [];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "aiotflow-inference-batch-"));
    registry = await ModelRegistry.open(dir);
    await registry.register({ name: "lin", bytes: linear(1), reference: { temp: { mean: 70, std: 5 }, vib: { mean: 2, std: 1 }, load: { mean: 0.4, std: 0.1 } } });
    await registry.register({ name: "lin", bytes: linear(0.5) });
    await registry.register({ name: "lin", bytes: linear(-5) });
    await registry.register({ name: "other", bytes: linearOnnx({ featureNames: ["pressure"], weights: [1], bias: 0, link: "identity" }) });
    await registry.register({ name: "single", bytes: mlpOnnx({ featureNames: FEATURES, layers: [{ weights: [WEIGHTS], bias: [0], activation: "identity" }], fixedBatch: 1 }) });
  });
  after(async () => {
    for (const handler of handlers) await handler.close();
    await registry.close();
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * A handler on the test harness's context. `variants` lists [id, model, version, percent];
   * returns it with what it emitted, failed and counted.
   */
  function handlerOf(options: { variants?: Array<[string, string, ModelRef, number]>; shadow?: [string, ModelRef]; mapping?: OutputMapping; explain?: { rate: number; top: number } } = {}) {
    let ctx: NodeContext<"out"> | undefined;
    const host = defineNode({
      type: "test-inference", version: 1, family: "inference", title: "Inference", summary: "Hands its context to the test.", config: Config({}),
      inputs: { in: { kind: "features", description: "Features." } }, outputs: { out: { kind: "prediction", description: "Predictions." } }, examples: [],
      create: (_config, context) => ((ctx = context), {}),
    });
    const h = harness(host, {});
    const slot = (name: string, ref: ModelRef, label: string) =>
      new ModelSlot(registry, name, ref, { maxBatch: 64, maxWaitMs: 0, concurrency: 1, clock: ctx!.clock, log: ctx!.log, metrics: ctx!.metrics, provided: undefined, label });
    const setup: InferenceSetup = {
      variants: (options.variants ?? [["main", "lin", 1, 100]]).map(([id, model, version, percent]) => ({ id, percent, slot: slot(model, version, "model") })),
      shadow: options.shadow && { slot: slot(options.shadow[0], options.shadow[1], "shadow"), tolerance: 0.05 },
      mapping: options.mapping ?? { score: "first" },
      explain: options.explain ?? { rate: 0, top: 3 },
    };
    const handler = new InferenceHandler(setup, ctx!);
    handlers.push(handler);
    const failed: Array<{ msg: Message; error: Error & { code?: string } }> = [];
    const fail = (msg: Message, error: unknown) => void failed.push({ msg, error: error as Error });
    const count = (name: string) => h.counters.get(name) ?? 0;
    return { handler, out: () => h.out("out"), failed, count, run: (msgs: readonly Message[], port = "in") => Promise.resolve(handler.onBatch(msgs, port, fail)) };
  }

  it("emits each message with its score and meta.model, keeping topic, key, ts, payload and meta", async () => {
    const t = handlerOf();
    await t.run([{ ...reading(0), meta: { source: "sim" } }, { topic: "line", ts: 5, payload: { temp: 61, vib: 1, load: 0.5 } }]);
    const [first, second] = t.out();
    assert.deepEqual([first!.topic, first!.key, first!.ts, first!.meta], ["pump", "pump-0", 0, { source: "sim", model: "lin@1" }]);
    assert.deepEqual(Object.keys(first!.payload as object), ["id", "temp", "vib", "load", "score"]);
    assert.ok(close((first!.payload as { score: number }).score, score(0, 1)));
    assert.equal(Object.hasOwn(second!, "key"), false, "a message without a key gets none");
    assert.equal(t.count("variant.main.messages"), 2);
  });

  it("emits a batch in message order and sends each bad message to fail, coded", async () => {
    const t = handlerOf();
    await t.run([reading(0), reading(1, { vib: "high" }), reading(2), { topic: "pump", ts: 3, payload: 42 }, reading(4, { load: undefined })]);
    assert.deepEqual(t.out().map(idOf), [0, 2]);
    assert.deepEqual(t.failed.map((f) => [f.msg.ts, f.error.code]), [[1, "MODEL_FEATURE_INVALID"], [3, "MODEL_FEATURE_INVALID"], [4, "MODEL_FEATURE_INVALID"]]);
    assert.equal(t.count("variant.main.errors"), 0, "bad input is the sender's, not the variant's");
  });

  it("settles a batch whose every message fails, and an empty one", async () => {
    const t = handlerOf();
    await t.run([{ topic: "t", ts: 0, payload: null }, { topic: "t", ts: 1, payload: "x" }]);
    assert.equal(t.failed.length, 2);
    await t.run([]);
    assert.equal(t.out().length, 0);
  });

  it("fails each message of a run the model refuses (MODEL_RUN_FAILED), counted against the variant", async () => {
    const t = handlerOf({ variants: [["main", "single", 1, 100]] });
    await t.run([reading(0), reading(1)]);
    assert.deepEqual(t.failed.map((f) => f.error.code), ["MODEL_RUN_FAILED", "MODEL_RUN_FAILED"]);
    assert.equal(t.count("variant.main.errors"), 2);
  });

  it("adds the label of the threshold and remembers the decision for feedback", async () => {
    const t = handlerOf({ mapping: { score: "first", threshold: 30, labels: ["ok", "hot"] } });
    await t.run([reading(0), reading(20)]); // scores 29.125 and 39.125
    assert.deepEqual(t.out().map((m) => (m.payload as { label: string }).label), ["ok", "hot"]);
    await t.run([{ topic: "fb", key: "pump-0", ts: 1, payload: { label: "ok" } }, { topic: "fb", key: "pump-20", ts: 1, payload: { label: "ok" } }], "feedback");
    assert.deepEqual([t.count("variant.main.feedback_correct"), t.count("variant.main.feedback_incorrect")], [1, 1]);
  });

  it("counts feedback for a key it made no decision for as unmatched", async () => {
    const t = handlerOf({ mapping: { score: "first", threshold: 30 } });
    await t.run([{ topic: "fb", key: "never-seen", ts: 0, payload: { label: true } }, { topic: "fb", key: "never-seen", ts: 0, payload: 1 }], "feedback");
    assert.equal(t.count("feedback.unmatched"), 2);
  });

  it("routes each key to one A/B variant every time and names it in meta.variant", async () => {
    const t = handlerOf({ variants: [["a", "lin", 1, 50], ["b", "lin", 2, 50]] });
    const keys = Array.from({ length: 20 }, (_, i) => i);
    await t.run(keys.map((i) => reading(i)));
    await t.run(keys.map((i) => reading(i)));
    const variantOf = new Map<string, unknown>();
    for (const msg of t.out()) {
      const { variant, model } = msg.meta as { variant: string; model: string };
      assert.equal(model, variant === "a" ? "lin@1" : "lin@2");
      if (variantOf.has(msg.key!)) assert.equal(variant, variantOf.get(msg.key!), `${msg.key} stays on its variant`);
      variantOf.set(msg.key!, variant);
    }
    assert.equal(t.count("variant.a.messages") + t.count("variant.b.messages"), 40);
    assert.ok(t.count("variant.a.messages") > 0 && t.count("variant.b.messages") > 0);
    assert.deepEqual(t.out().slice(0, 20).map(idOf), keys, "message order across variants");
  });

  it("has the shadow score what the main model emitted, counting agreement without emitting", async () => {
    const t = handlerOf({ shadow: ["lin", 3], mapping: { score: "first", threshold: 30, labels: ["ok", "hot"] } });
    await t.run(Array.from({ length: 20 }, (_, i) => reading(i)));
    assert.equal(t.out().length, 20);
    const judged = () => t.count("variant.shadow.agree") + t.count("variant.shadow.disagree");
    for (let i = 0; i < 5000 && judged() < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(judged(), 20);
    // main: 29.125 + 0.5 i, shadow 6 lower: they disagree where main is "hot" and the shadow is not (i = 2..13)
    assert.deepEqual([t.count("variant.shadow.agree"), t.count("variant.shadow.disagree")], [8, 12]);
  });

  it("refuses a message the shadow cannot score, as a whole", async () => {
    const t = handlerOf({ shadow: ["other", 1] });
    await t.run([reading(0, { pressure: 2 }), reading(1)]);
    assert.deepEqual(t.out().map(idOf), [0]);
    assert.deepEqual(t.failed.map((f) => [idOf(f.msg), f.error.code]), [[1, "MODEL_FEATURE_INVALID"]]);
    assert.match(t.failed[0]!.error.message, /pressure=missing/);
  });

  it("explains the sampled messages by occlusion against the training means", async () => {
    const t = handlerOf({ explain: { rate: 0.5, top: 2 } });
    await t.run([0, 1, 2, 3].map((i) => reading(i, { temp: 80, vib: 5, load: 0.9 })));
    const explained = t.out().map((m) => m.meta?.["explanation"] as { baseline: string; top: Array<{ feature: string; attribution: number }> } | undefined);
    assert.deepEqual(explained.map((e) => e !== undefined), [false, true, false, true]);
    assert.equal(explained[1]!.baseline, "reference mean");
    assert.deepEqual(explained[1]!.top.map((a) => a.feature), ["vib", "temp"]);
    assert.ok(close(explained[1]!.top[0]!.attribution, -2 * (5 - 2)));
  });

  it("emits a prediction without explanation, counted, when the explanation run fails", async () => {
    const t = handlerOf({ variants: [["main", "single", 1, 100]], explain: { rate: 1, top: 3 } });
    await t.run([reading(0)]); // a batch-1 model cannot run the 4 occlusion rows
    assert.equal(t.out().length, 1);
    assert.equal(t.out()[0]!.meta?.["explanation"], undefined);
    assert.equal(t.count("explain.errors"), 1);
  });
});
