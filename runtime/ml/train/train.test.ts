import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as ort from "onnxruntime-node";
import { SeededRandom } from "../../sdk/seeded-random.ts";
import { INPUT_NAME, OUTPUT_NAME } from "../onnx-export.ts";
import { anomalyScore, autoencoderOnnx, reconstruct, trainAutoencoder } from "./autoencoder.ts";
import { linearModelOnnx, predictLinear, trainLinearRegression, trainLogisticRegression } from "./linear.ts";

/** Runs `rows` through the ONNX bytes in onnxruntime-node; returns the output rows. */
async function runOnnx(bytes: Uint8Array, rows: readonly (readonly number[])[]): Promise<number[][]> {
  const session = await ort.InferenceSession.create(bytes);
  const width = rows[0]!.length;
  const input = new ort.Tensor("float32", Float32Array.from(rows.flat()), [rows.length, width]);
  const output = (await session.run({ [INPUT_NAME]: input }))[OUTPUT_NAME]!;
  await session.release();
  const data = output.data as Float32Array;
  const columns = output.dims[1]!;
  return rows.map((_, i) => Array.from(data.subarray(i * columns, (i + 1) * columns)));
}

/** Seeded binary classification: 4 features on different scales, a linear boundary, 5% label noise. */
function classification(seed: number, n: number) {
  const random = new SeededRandom(seed);
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const row = [random.gaussian() * 10 + 50, random.gaussian() * 0.5, random.gaussian(), random.gaussian() * 100];
    const z = 0.3 * (row[0]! - 50) - 4 * row[1]! + 0.8 * row[2]! + 0.001 * row[3]!;
    y.push((z > 0) !== random.next() < 0.05 ? 1 : 0);
    x.push(row);
  }
  return { featureNames: ["temp", "vib", "current", "rpm"], x, y };
}

describe("trainers", () => {
  it("logistic regression on a seeded synthetic set reaches >= 90% held-out accuracy, and its ONNX export scores the same", async () => {
    const train = classification(1, 2_000);
    const test = classification(2, 1_000);
    const model = trainLogisticRegression(train);
    const accuracy = test.x.filter((row, i) => (predictLinear(model, row) >= 0.5 ? 1 : 0) === test.y[i]).length / test.x.length;
    assert.ok(accuracy >= 0.9, `accuracy ${accuracy}`);
    const scores = await runOnnx(linearModelOnnx(model), test.x.slice(0, 50));
    scores.forEach(([s], i) => assert.ok(Math.abs(s! - predictLinear(model, test.x[i]!)) < 1e-5, `row ${i}`));
  });

  it("is deterministic: the same data gives the same weights", () => {
    const data = classification(3, 300);
    assert.deepEqual(trainLogisticRegression(data), trainLogisticRegression(data));
    assert.deepEqual(trainAutoencoder({ featureNames: data.featureNames, x: data.x }, { epochs: 3, seed: 9 }), trainAutoencoder({ featureNames: data.featureNames, x: data.x }, { epochs: 3, seed: 9 }));
  });

  it("linear regression recovers known weights on raw features, and its ONNX export matches", async () => {
    const random = new SeededRandom(4);
    const x = Array.from({ length: 500 }, () => [random.gaussian() * 5 + 20, random.gaussian() * 0.1]);
    const y = x.map(([a, b]) => 3 * a! - 20 * b! + 7 + random.gaussian() * 0.01);
    const model = trainLinearRegression({ featureNames: ["load", "valve"], x, y });
    assert.ok(Math.abs(model.weights[0]! - 3) < 0.01 && Math.abs(model.weights[1]! + 20) < 0.1 && Math.abs(model.bias - 7) < 0.1, JSON.stringify(model));
    const out = await runOnnx(linearModelOnnx(model), x.slice(0, 20));
    out.forEach(([v], i) => assert.ok(Math.abs(v! - predictLinear(model, x[i]!)) < 1e-3 * Math.abs(v!)));
  });

  it("the autoencoder scores rows that break the training correlations as anomalies, and its ONNX export reconstructs the same", async () => {
    const random = new SeededRandom(5);
    const normal = () => {
      const a = random.gaussian();
      const b = random.gaussian();
      return [a, b, a + b + 0.05 * random.gaussian(), 10 + 2 * (a - b) + 0.1 * random.gaussian()];
    };
    const model = trainAutoencoder({ featureNames: ["p1", "p2", "p3", "flow"], x: Array.from({ length: 1_000 }, normal) }, { hidden: 2, seed: 1 });
    const normals = Array.from({ length: 200 }, normal);
    const anomalies = normals.map((row) => [row[0]!, row[1]!, -row[2]! + 3, row[3]!]);
    const mean = (rows: number[][]) => rows.reduce((s, r) => s + anomalyScore(model, r), 0) / rows.length;
    assert.ok(mean(anomalies) > 10 * mean(normals), `anomalies ${mean(anomalies)} vs normal ${mean(normals)}`);
    const out = await runOnnx(autoencoderOnnx(model), normals.slice(0, 20));
    out.forEach((row, i) => reconstruct(model, normals[i]!).forEach((v, j) => assert.ok(Math.abs(row[j]! - v) < 1e-3, `row ${i} col ${j}`)));
  });

  const bad: Array<[string, () => unknown, string, string]> = [
    ["an empty training set", () => trainLogisticRegression({ featureNames: ["a"], x: [], y: [] }), "TRAINING_SET_EMPTY", "x"],
    ["a NaN feature", () => trainLinearRegression({ featureNames: ["a", "b"], x: [[1, 2], [3, Number.NaN]], y: [1, 2] }), "TRAINING_SET_INVALID", "x[1][1]"],
    ["a row of the wrong width", () => trainAutoencoder({ featureNames: ["a", "b"], x: [[1, 2], [3]] }), "TRAINING_SET_INVALID", "x[1]"],
    ["a missing label", () => trainLogisticRegression({ featureNames: ["a"], x: [[1], [2]], y: [1] }), "TRAINING_SET_INVALID", "y"],
    ["a NaN label", () => trainLinearRegression({ featureNames: ["a"], x: [[1], [2]], y: [1, Number.NaN] }), "TRAINING_SET_INVALID", "y[1]"],
    ["duplicate features", () => trainLinearRegression({ featureNames: ["a", "b"], x: [[1, 1], [2, 2], [3, 3]], y: [1, 2, 3] }, { l2: 0 }), "TRAINING_SET_INVALID", "x"],
  ];
  for (const [name, train, code, path] of bad) {
    it(`refuses ${name} with ${code} at ${path}`, () => assert.throws(train, { code, details: { path } }));
  }
});
