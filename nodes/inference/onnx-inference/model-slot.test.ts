import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ModelRegistry } from "../../../runtime/ml/model-registry.ts";
import { linearOnnx, mlpOnnx } from "../../../runtime/ml/onnx-export.ts";
import { VirtualClock, type Message } from "../../../runtime/sdk/index.ts";
import type { ModelRef, ModelResolver, ModelRunner } from "../../../runtime/sdk/models.ts";
import { ModelSlot, outputsOf, type RowSink, type SlotOptions } from "./model-slot.ts";

const FEATURES = ["temp", "vib", "load"];
const WEIGHTS = [0.5, -2, 0.25];
const linear = (bias: number, featureNames = FEATURES, weights = WEIGHTS) => linearOnnx({ featureNames, weights, bias, link: "identity" });
const row = (i: number, extra: Record<string, unknown> = {}): Message => ({ topic: "pump", ts: i, payload: { temp: 60 + i, vib: 1 + i / 10, load: 0.5, ...extra } });
const score = (i: number, bias: number) => WEIGHTS[0]! * (60 + i) + WEIGHTS[1]! * (1 + i / 10) + WEIGHTS[2]! * 0.5 + bias;
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b));

/** Lets onnxruntime's callbacks and the slot's promises run (no timed waits). */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 5000 && !condition(); i++) await new Promise((resolve) => setImmediate(resolve));
  assert.ok(condition(), `timed out waiting for ${what}`);
}
const turns = async (n = 50) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** Records what the slot reports per submitted row; consumes every scored row as the node does. */
function recorder() {
  const scored = new Map<number, { score: number; model: string }>();
  const failed = new Map<number, Error & { code?: string }>();
  let settled = 0;
  const sink: RowSink = {
    scored(index, chunk, r) {
      scored.set(index, { score: outputsOf(chunk, r)[0]!, model: chunk.modelId });
      chunk.consumed();
    },
    failed: (index, error) => void failed.set(index, error as Error),
    settled: () => void settled++,
  };
  return { sink, scored, failed, settledCount: () => settled, done: (n: number) => scored.size + failed.size === n };
}

describe("ModelSlot", () => {
  let dir: string;
  let registry: ModelRegistry;
  const slots: ModelSlot[] = [];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "aiotflow-model-slot-"));
    registry = await ModelRegistry.open(dir);
    await registry.register({ name: "lin", bytes: linear(1) });
    await registry.promote("lin", 1, "production", "test");
  });
  after(async () => {
    for (const slot of slots) await slot.close();
    await registry.close();
    await rm(dir, { recursive: true, force: true });
  });

  function slotOf(name: string, ref: ModelRef, options: Partial<SlotOptions> = {}, models: ModelResolver = registry) {
    const counters = new Map<string, number>();
    const errors: string[] = [];
    const switches: string[] = [];
    const slot = new ModelSlot(models, name, ref, {
      maxBatch: 64, maxWaitMs: 0, concurrency: 1, clock: new VirtualClock(), provided: undefined, label: "model",
      log: { debug: () => {}, info: () => {}, warn: () => {}, error: (message) => void errors.push(message) },
      metrics: { count: (counter, by = 1) => void counters.set(counter, (counters.get(counter) ?? 0) + by) },
      onSwitch: (from, to) => void switches.push(`${from.version}->${to.version}`),
      ...options,
    });
    slots.push(slot);
    return { slot, counters, errors, switches };
  }

  /** A resolver over the registry whose runs wait until `release` and can be made to misbehave. */
  function gated(run?: (features: Float32Array, rows: number, real: ModelRunner) => ReturnType<ModelRunner["run"]>) {
    const waiting: Array<() => void> = [];
    let released = 0;
    let running = 0;
    let most = 0;
    const models: ModelResolver = {
      resolve: (name, ref) => registry.resolve(name, ref),
      subscribe: (listener) => registry.subscribe(listener),
      async open(name, version) {
        const real = await registry.open(name, version);
        return {
          info: real.info,
          release: () => (released++, real.release()),
          async run(features, rows) {
            most = Math.max(most, ++running);
            await new Promise<void>((resolve) => waiting.push(resolve));
            running--;
            return run ? run(features, rows, real) : real.run(features, rows);
          },
        };
      },
    };
    return { models, most: () => most, waiting: () => waiting.length, releaseOne: () => waiting.shift()?.(), released: () => released };
  }

  it("scores every submitted row exactly, in runs of at most maxBatch, naming the version", async () => {
    const { slot, counters } = slotOf("lin", "production", { maxBatch: 4 });
    const r = recorder();
    const msgs = Array.from({ length: 10 }, (_, i) => row(i));
    slot.submit(msgs, r.sink);
    await until(() => r.done(10), "ten rows");
    for (let i = 0; i < 10; i++) {
      const got = r.scored.get(i)!;
      assert.ok(close(got.score, score(i, 1)), `row ${i}: ${got.score} vs ${score(i, 1)}`);
      assert.equal(got.model, "lin@1");
    }
    assert.deepEqual([counters.get("model.lin@1.batches"), counters.get("model.lin@1.rows")], [3, 10]);
    assert.equal(counters.get("model.lin@1.latency_ms_le_inf"), 3, "every run lands in the latency histogram");
    assert.ok((counters.get("model.lin@1.latency_us_sum") ?? -1) >= 0);
    assert.equal(r.settledCount(), 3, "the sink hears once per run");
  });

  it("puts the rows of one burst in one run when maxWaitMs is 0", async () => {
    const { slot, counters } = slotOf("lin", "production");
    const [first, second] = [recorder(), recorder()];
    slot.submit([row(0), row(1)], first.sink);
    slot.submit([row(2)], second.sink);
    await until(() => first.done(2) && second.done(1), "three rows");
    assert.equal(counters.get("model.lin@1.batches"), 1);
    assert.deepEqual([first.settledCount(), second.settledCount()], [1, 1], "each sink hears once for the run");
  });

  it("waits up to maxWaitMs on the clock for a batch to fill, and no longer", async () => {
    const clock = new VirtualClock();
    const { slot } = slotOf("lin", "production", { maxWaitMs: 50, clock });
    const r = recorder();
    slot.submit([row(0), row(1)], r.sink);
    await turns();
    clock.advance(49);
    await turns();
    assert.equal(r.scored.size, 0, "nothing runs before the wait is over");
    clock.advance(1);
    await until(() => r.done(2), "the rows after 50 ms");
  });

  it("runs a full batch at once, without waiting for the clock", async () => {
    const { slot } = slotOf("lin", "production", { maxBatch: 2, maxWaitMs: 1000 });
    const r = recorder();
    slot.submit([row(0), row(1)], r.sink);
    await until(() => r.done(2), "the full batch");
  });

  for (const concurrency of [1, 3]) {
    it(`runs at most ${concurrency} batch${concurrency > 1 ? "es" : ""} at once, the rest waiting for a free slot`, async () => {
      const gate = gated();
      const { slot } = slotOf("lin", "production", { maxBatch: 1, concurrency }, gate.models);
      const r = recorder();
      slot.submit(Array.from({ length: 6 }, (_, i) => row(i)), r.sink);
      await until(() => gate.waiting() === concurrency, "the first runs");
      while (!r.done(6)) {
        gate.releaseOne();
        await turns(5);
      }
      assert.equal(gate.most(), concurrency);
    });
  }

  it("submits only the picked messages, reporting each under its index in the batch", async () => {
    const { slot } = slotOf("lin", "production");
    const r = recorder();
    slot.submit([row(0), row(1), row(2), row(3)], r.sink, [1, 3]);
    await until(() => r.done(2), "two rows");
    assert.deepEqual([...r.scored.keys()].sort(), [1, 3]);
    assert.ok(close(r.scored.get(3)!.score, score(3, 1)));
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ["a payload that is not an object", 42, /the payload is not an object of named features/],
    ["a missing feature", { temp: 1, load: 2 }, /vib=missing/],
    ["a feature that is text", { temp: "hot", vib: 1, load: 2 }, /temp="hot"/],
    ["a NaN feature", { temp: 1, vib: Number.NaN, load: 2 }, /vib=null/],
    ["an infinite feature", { temp: 1, vib: 1, load: Number.NEGATIVE_INFINITY }, /load=null/],
  ];
  for (const [name, payload, message] of bad) {
    it(`fails ${name} at once (MODEL_FEATURE_INVALID) and scores the rows around it`, async () => {
      const { slot, counters } = slotOf("lin", "production");
      const r = recorder();
      slot.submit([row(0), { topic: "pump", ts: 1, payload }, row(2)], r.sink);
      assert.ok(r.failed.has(1), "reported during submit, before any run");
      assert.equal(r.failed.get(1)!.code, "MODEL_FEATURE_INVALID");
      assert.match(r.failed.get(1)!.message, message);
      await until(() => r.done(3), "the good rows");
      assert.deepEqual([...r.scored.keys()].sort(), [0, 2]);
      assert.equal(counters.get("model.lin@1.rows"), 2);
      assert.equal(counters.get("model.lin@1.errors"), undefined, "bad input is not the model's error");
    });
  }

  it("refuses a model that is not registered (MODEL_NOT_FOUND)", () => {
    assert.throws(() => slotOf("nope", "production"), { code: "MODEL_NOT_FOUND" });
  });

  it("refuses a model needing a feature the flow does not provide (MODEL_INPUT_MISMATCH)", () => {
    assert.throws(() => slotOf("lin", 1, { provided: ["temp", "load"] }), { code: "MODEL_INPUT_MISMATCH", message: /needs feature "vib"/ });
  });

  it("fails every row of a run the model refuses (MODEL_RUN_FAILED), counts it, and scores the next run", async () => {
    await registry.register({ name: "single", bytes: mlpOnnx({ featureNames: FEATURES, layers: [{ weights: [WEIGHTS], bias: [0], activation: "identity" }], fixedBatch: 1 }) });
    const { slot, counters } = slotOf("single", 1);
    const r = recorder();
    slot.submit([row(0), row(1)], r.sink);
    await until(() => r.done(2), "the refused run");
    assert.deepEqual([...r.failed.values()].map((e) => e.code), ["MODEL_RUN_FAILED", "MODEL_RUN_FAILED"]);
    assert.equal(counters.get("model.single@1.errors"), 1);
    slot.submit([row(2)], r.sink);
    await until(() => r.scored.has(0), "the next run");
  });

  it("fails the rows of a run whose output has no row per input row (MODEL_RUN_FAILED)", async () => {
    const gate = gated(async () => ({ score: { data: new Float32Array(3), dims: [3] } }));
    const { slot, counters } = slotOf("lin", 1, {}, gate.models);
    const r = recorder();
    slot.submit([row(0), row(1)], r.sink);
    await until(() => gate.waiting() === 1, "the run");
    gate.releaseOne();
    await until(() => r.done(2), "the failed run");
    assert.match(r.failed.get(0)!.message, /model lin@1 returned no output row per input row/);
    assert.equal(counters.get("model.lin@1.errors"), 1);
  });

  it("fails a run whose model file no longer matches its hash, and opens the file again for the next run", async () => {
    const info = await registry.register({ name: "tampered", bytes: linear(7) });
    const original = await readFile(registry.fileOf(info));
    await writeFile(registry.fileOf(info), linear(8));
    const { slot } = slotOf("tampered", info.version);
    const r = recorder();
    slot.submit([row(0)], r.sink);
    await until(() => r.done(1), "the refused run");
    assert.equal(r.failed.get(0)!.code, "MODEL_HASH_MISMATCH");
    await writeFile(registry.fileOf(info), original);
    slot.submit([row(1)], r.sink);
    await until(() => r.scored.has(0), "a run after the file was restored");
    assert.ok(close(r.scored.get(0)!.score, score(1, 7)));
  });

  it("follows the production alias to a new version between runs, telling onSwitch", async () => {
    await registry.register({ name: "moving", bytes: linear(1) });
    await registry.promote("moving", 1, "production", "test");
    const { slot, counters, switches } = slotOf("moving", "production");
    const before = recorder();
    slot.submit([row(0)], before.sink);
    await until(() => before.done(1), "a run on v1");
    await registry.register({ name: "moving", bytes: linear(2) });
    await registry.promote("moving", 2, "production", "test");
    await until(() => counters.get("model.switches") === 1, "the switch");
    assert.deepEqual([switches, slot.info.version], [["1->2"], 2]);
    const after = recorder();
    slot.submit([row(1)], after.sink);
    await until(() => after.done(1), "a run on v2");
    assert.equal(after.scored.get(0)!.model, "moving@2");
    assert.ok(close(after.scored.get(0)!.score, score(1, 2)));
  });

  it("stays on a pinned version when the alias moves", async () => {
    await registry.register({ name: "pinned", bytes: linear(1) });
    await registry.promote("pinned", 1, "production", "test");
    const { slot, counters } = slotOf("pinned", 1);
    await registry.register({ name: "pinned", bytes: linear(2) });
    await registry.promote("pinned", 2, "production", "test");
    await turns();
    assert.equal(slot.info.version, 1);
    assert.equal(counters.get("model.switches"), undefined);
  });

  it("keeps serving its version when the new one does not fit the flow, and logs why", async () => {
    await registry.register({ name: "unfit", bytes: linear(1) });
    await registry.promote("unfit", 1, "production", "test");
    const { slot, counters, errors } = slotOf("unfit", "production", { provided: FEATURES });
    await registry.register({ name: "unfit", bytes: linear(1, ["temp", "pressure"], [1, 1]) });
    await registry.promote("unfit", 2, "production", "test");
    await until(() => counters.get("model.switch_failed") === 1, "the refused switch");
    assert.equal(slot.info.version, 1);
    assert.match(errors[0]!, /^model unfit: staying on version 1: model unfit@2 needs feature "pressure"/);
    const r = recorder();
    slot.submit([row(0)], r.sink);
    await until(() => r.done(1), "a run on v1");
    assert.equal(r.scored.get(0)!.model, "unfit@1");
  });

  it("repacks rows queued for the old version in the new one's feature order, failing a row that lacks one of its features", async () => {
    await registry.register({ name: "reordered", bytes: linear(1) });
    await registry.promote("reordered", 1, "production", "test");
    const clock = new VirtualClock();
    const { slot, counters } = slotOf("reordered", "production", { maxWaitMs: 100, clock });
    const r = recorder();
    slot.submit([row(0, { pressure: 3 }), row(1)], r.sink); // waits on the clock, packed for v1
    await registry.register({ name: "reordered", bytes: linear(0, ["pressure", "load", "temp"], [1, 10, 100]) });
    await registry.promote("reordered", 2, "production", "test");
    await until(() => counters.get("model.switches") === 1, "the switch");
    clock.advance(100);
    await until(() => r.done(2), "the queued rows");
    assert.equal(r.scored.get(0)!.model, "reordered@2");
    assert.ok(close(r.scored.get(0)!.score, 3 + 10 * 0.5 + 100 * 60), `scored ${r.scored.get(0)!.score}`);
    assert.equal(r.failed.get(1)!.code, "MODEL_FEATURE_INVALID");
    assert.match(r.failed.get(1)!.message, /model reordered@2 needs pressure, which the message lacks/);
  });

  it("releases its model on close and follows no alias after it", async () => {
    await registry.register({ name: "closing", bytes: linear(1) });
    await registry.promote("closing", 1, "production", "test");
    const gate = gated();
    const { slot, counters } = slotOf("closing", "production", {}, gate.models);
    const r = recorder();
    slot.submit([row(0)], r.sink);
    await until(() => gate.waiting() === 1, "the run");
    const closed = slot.close();
    gate.releaseOne();
    await closed;
    assert.equal(r.scored.size, 1, "the run in flight finished before close resolved");
    assert.equal(gate.released(), 1);
    await registry.register({ name: "closing", bytes: linear(2) });
    await registry.promote("closing", 2, "production", "test");
    await turns();
    assert.equal(slot.info.version, 1);
    assert.equal(counters.get("model.switches"), undefined);
  });
});
