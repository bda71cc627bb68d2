import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { linearOnnx, mlpOnnx, INPUT_NAME, OUTPUT_NAME } from "./onnx-export.ts";
import { inspectOnnx, featureNamesFromMetadata } from "./onnx-inspect.ts";
import { isAiotError } from "../sdk/errors.ts";

async function run(bytes: Uint8Array, rows: number[][]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const width = rows[0]!.length;
    const result = await session.run({ [INPUT_NAME]: new ort.Tensor("float32", Float32Array.from(rows.flat()), [rows.length, width]) });
    const out = result[OUTPUT_NAME];
    assert.ok(out, "the model has a score output");
    return out.data as Float32Array;
  } finally {
    await session.release();
  }
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

describe("onnx export", () => {
  it("builds a linear model whose scores equal w·x + b", async () => {
    const bytes = linearOnnx({ featureNames: ["a", "b", "c"], weights: [0.5, -2, 0.25], bias: 1, link: "identity" });
    const rows = [[1, 2, 3], [0, 0, 0], [-4, 0.5, 8]];
    const scores = await run(bytes, rows);
    rows.forEach((x, i) => assert.ok(Math.abs(scores[i]! - (0.5 * x[0]! - 2 * x[1]! + 0.25 * x[2]! + 1)) < 1e-6));
  });

  it("builds a logistic model (sigmoid link)", async () => {
    const bytes = linearOnnx({ featureNames: ["x", "y"], weights: [1.5, -0.75], bias: -0.2, link: "sigmoid" });
    const rows = [[1, 1], [-2, 3], [0.3, -0.4]];
    const scores = await run(bytes, rows);
    rows.forEach((x, i) => assert.ok(Math.abs(scores[i]! - sigmoid(1.5 * x[0]! - 0.75 * x[1]! - 0.2)) < 1e-6));
  });

  it("builds an MLP that matches a JS forward pass", async () => {
    const layers = [
      { weights: [[0.2, -0.1], [0.4, 0.3], [-0.5, 0.6]], bias: [0.1, 0, -0.1], activation: "relu" as const },
      { weights: [[1, -1, 0.5]], bias: [0.05], activation: "tanh" as const },
    ];
    const bytes = mlpOnnx({ featureNames: ["p", "q"], layers });
    const forward = (x: number[]) => {
      const h = layers[0]!.weights.map((w, k) => Math.max(0, w[0]! * x[0]! + w[1]! * x[1]! + layers[0]!.bias[k]!));
      return Math.tanh(h[0]! - h[1]! + 0.5 * h[2]! + 0.05);
    };
    const rows = [[1, 2], [-1, 0.5], [3, -2]];
    const scores = await run(bytes, rows);
    rows.forEach((x, i) => assert.ok(Math.abs(scores[i]! - forward(x)) < 1e-5));
  });

  it("declares features [N, F] and score [N, K] with names and meaning in the metadata", () => {
    const bytes = mlpOnnx({
      featureNames: ["a", "b", "c"],
      layers: [{ weights: [[1, 0, 0], [0, 1, 0], [0, 0, 1]], bias: [0, 0, 0], activation: "identity" }],
      kind: "autoencoder",
    });
    const signature = inspectOnnx(bytes);
    assert.deepEqual(signature.inputs, [{ name: "features", type: "float32", shape: ["N", 3] }]);
    assert.deepEqual(signature.outputs, [{ name: "score", type: "float32", shape: ["N", 3] }]);
    assert.deepEqual(featureNamesFromMetadata(signature), ["a", "b", "c"]);
    assert.equal(signature.metadata["aiotflow.kind"], "autoencoder");
  });

  const refused: Array<[string, () => unknown, string, RegExp]> = [
    ["layers whose widths do not chain", () => mlpOnnx({ featureNames: ["a", "b"], layers: [{ weights: [[1, 2, 3]], bias: [0], activation: "relu" }] }), "layers[0].weights[0]", /has 3 columns, expected 2/],
    ["a non-finite weight", () => linearOnnx({ featureNames: ["a"], weights: [Number.NaN], bias: 0, link: "identity" }), "layers[0].weights[0]", /non-finite/],
    ["a non-finite bias", () => linearOnnx({ featureNames: ["a"], weights: [1], bias: Number.POSITIVE_INFINITY, link: "identity" }), "layers[0].bias", /non-finite/],
    ["fewer biases than weight rows", () => mlpOnnx({ featureNames: ["a"], layers: [{ weights: [[1], [2]], bias: [0], activation: "relu" }] }), "layers[0].bias", /1 biases but the layer has 2 weight rows/],
    ["no features", () => linearOnnx({ featureNames: [], weights: [1], bias: 0, link: "identity" }), "featureNames", /is empty/],
    ["no layers", () => mlpOnnx({ featureNames: ["a"], layers: [] }), "layers", /at least one layer/],
    ["a wrong number of output meanings", () => linearOnnx({ featureNames: ["a"], weights: [1], bias: 0, link: "identity", outputMeaning: ["p", "q"] }), "outputMeaning", /2 entries but the model has 1 outputs/],
  ];
  for (const [what, build, path, message] of refused) {
    it(`refuses ${what} with ONNX_EXPORT_INVALID naming ${path}`, () => {
      assert.throws(build, { code: "ONNX_EXPORT_INVALID", details: { path }, message });
    });
  }

  it("refuses bytes that are not ONNX with MODEL_NOT_ONNX", () => {
    for (const bytes of [new TextEncoder().encode("temperature,vibration\n1,2\n"), new Uint8Array([0xff, 0xff, 0xff, 0x01]), new Uint8Array()]) {
      assert.throws(() => inspectOnnx(bytes, "upload.onnx"), (e) => isAiotError(e) && e.code === "MODEL_NOT_ONNX" && e.details.file === "upload.onnx");
    }
  });
});
