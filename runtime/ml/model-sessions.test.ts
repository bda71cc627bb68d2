import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import type { ModelVersionInfo } from "../sdk/models.ts";
import { SessionPool } from "./model-sessions.ts";
import { linearOnnx, mlpOnnx } from "./onnx-export.ts";

const bytes = linearOnnx({ featureNames: ["a", "b"], weights: [1, 10], bias: 0.5, link: "identity" });
const oneRowAtATime = mlpOnnx({ featureNames: ["a"], layers: [{ weights: [[1]], bias: [0], activation: "identity" }], fixedBatch: 1 });

function infoOf(model: Uint8Array, featureNames = ["a", "b"], version = 1): ModelVersionInfo {
  return {
    name: "m", version, stage: "candidate", sha256: createHash("sha256").update(model).digest("hex"), size: model.length, featureNames, outputMeaning: ["score"],
    inputs: [], outputs: [], reference: {}, metrics: {}, card: "", registeredAt: "", registeredBy: "test",
  };
}

describe("SessionPool", () => {
  it("runs rows of features through the model, giving every float output by name", async () => {
    const pool = new SessionPool();
    const runner = await pool.acquire(infoOf(bytes), bytes);
    const out = await runner.run(Float32Array.of(1, 2, 3, 4), 2);
    assert.deepEqual(Object.keys(out), ["score"]);
    assert.deepEqual([...out["score"]!.data], [21.5, 43.5]);
    assert.deepEqual(out["score"]!.dims, [2, 1]);
    await runner.release();
    await pool.close();
  });

  it("shares one session between users of a version: one user's release leaves the other running", async () => {
    const pool = new SessionPool();
    const info = infoOf(bytes);
    const [first, second] = await Promise.all([pool.acquire(info, bytes), pool.acquire(info, bytes)]);
    await first.release();
    await first.release(); // a second release of the same runner does not take the other user's hold
    assert.deepEqual([...(await second.run(Float32Array.of(1, 0), 1))["score"]!.data], [1.5]);
    await second.release();
    const again = await pool.acquire(info, bytes);
    assert.deepEqual([...(await again.run(Float32Array.of(0, 1), 1))["score"]!.data], [10.5], "a new session after the last user left");
    await again.release();
    await pool.close();
  });

  it("refuses bytes onnxruntime cannot load (MODEL_NOT_ONNX), and loads the version again on the next try", async () => {
    const pool = new SessionPool();
    const info = infoOf(bytes);
    await assert.rejects(pool.acquire(info, new Uint8Array([1, 2, 3])), { code: "MODEL_NOT_ONNX", message: /^model m@1 does not load in onnxruntime: /, details: { model: "m@1" } });
    const runner = await pool.acquire(info, bytes);
    assert.equal((await runner.run(Float32Array.of(0, 0), 1))["score"]!.data[0], 0.5);
    await runner.release();
    await pool.close();
  });

  const failing: Array<[string, ModelVersionInfo, Uint8Array, Float32Array, number]> = [
    ["more rows than the model's fixed batch", infoOf(oneRowAtATime, ["a"]), oneRowAtATime, Float32Array.of(1, 2), 2],
    ["fewer values than rows times features", infoOf(bytes), bytes, Float32Array.of(1, 2, 3), 2],
  ];
  for (const [name, info, model, features, rows] of failing) {
    it(`fails a run with ${name} (MODEL_RUN_FAILED), and runs the next`, async () => {
      const pool = new SessionPool();
      const runner = await pool.acquire(info, model);
      await assert.rejects(runner.run(features, rows), { code: "MODEL_RUN_FAILED", message: new RegExp(`^model m@1 failed on a batch of ${rows}: `) });
      assert.equal((await runner.run(new Float32Array(info.featureNames.length), 1))["score"]!.data.length, 1);
      await runner.release();
      await pool.close();
    });
  }

  it("closes every session at shutdown, even one that failed to load", async () => {
    const pool = new SessionPool();
    await pool.acquire(infoOf(bytes), bytes);
    await assert.rejects(pool.acquire(infoOf(new Uint8Array([9]), ["a"], 2), new Uint8Array([9])));
    await pool.close();
    const runner = await pool.acquire(infoOf(bytes), bytes);
    assert.equal((await runner.run(Float32Array.of(0, 0), 1))["score"]!.data[0], 0.5, "the pool still serves after close");
    await runner.release();
    await pool.close();
  });
});
