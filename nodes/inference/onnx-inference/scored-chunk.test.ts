import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ModelRunner, ModelVersionInfo } from "../../../runtime/sdk/models.ts";
import { inputsOf, outputsOf, ScoredRun } from "./scored-chunk.ts";

const info = { name: "pump", version: 1 } as ModelVersionInfo;
const runner: ModelRunner = { info, run: () => Promise.reject(new Error("not run in this test")), release: () => Promise.resolve() };

/** A run of `rows` rows with 2 outputs and 3 inputs per row; returns it with its buffer and free list. */
function run(rows: number, free: Float32Array[] = []) {
  const outputs = Float32Array.from({ length: rows * 2 }, (_, i) => i);
  const buffer = Float32Array.from({ length: 4 * 3 }, (_, i) => 100 + i); // sized for maxBatch 4
  const inputs = buffer.subarray(0, rows * 3);
  return { chunk: new ScoredRun(outputs, inputs, 2, 3, info, "pump@1", runner, 1.5, rows, buffer, free), buffer, free };
}

describe("ScoredRun", () => {
  it("hands out each row's outputs and inputs as views", () => {
    const { chunk } = run(3);
    assert.deepEqual([...outputsOf(chunk, 1)], [2, 3]);
    assert.deepEqual([...inputsOf(chunk, 2)], [106, 107, 108]);
    assert.equal(outputsOf(chunk, 0).buffer, chunk.outputs.buffer, "a view, not a copy");
  });

  it("gives empty views past the last row rather than another row's values", () => {
    const { chunk } = run(2);
    assert.equal(outputsOf(chunk, 2).length, 0);
    assert.equal(inputsOf(chunk, 2).length, 0);
  });

  it("returns its input buffer for reuse only once every row is consumed", () => {
    const { chunk, buffer, free } = run(3);
    chunk.consumed();
    chunk.consumed();
    assert.deepEqual(free, []);
    chunk.consumed();
    assert.deepEqual(free, [buffer]);
    assert.equal(free[0], buffer, "the whole buffer, not the view of its rows");
  });

  it("keeps at most four spare buffers", () => {
    const free: Float32Array[] = [];
    for (let i = 0; i < 6; i++) run(1, free).chunk.consumed();
    assert.equal(free.length, 4);
  });

  it("carries what a row's prediction names: the model, its id and the run's latency", () => {
    const { chunk } = run(1);
    assert.deepEqual([chunk.model, chunk.modelId, chunk.runner, chunk.latencyMs, chunk.columns, chunk.width], [info, "pump@1", runner, 1.5, 2, 3]);
  });
});
