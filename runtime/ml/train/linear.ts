/**
 * Linear and logistic regression for gateways: no dependencies, deterministic, exported to ONNX
 * through onnx-export (one Gemm, + Sigmoid for logistic). Features are standardised for training
 * and the scaling is folded back into the weights, so the exported model takes raw features.
 */
import { AiotError } from "../../sdk/errors.ts";
import { linearOnnx } from "../onnx-export.ts";
import { checkDataset, foldScaling, scaleRow, scalingOf, type Dataset } from "./dataset.ts";

export interface LinearModel {
  readonly kind: "linear" | "logistic";
  readonly featureNames: readonly string[];
  /** Weights on raw (unscaled) features. */
  readonly weights: readonly number[];
  readonly bias: number;
}

/** The model's output for one row: the value (linear) or the probability of class 1 (logistic). */
export function predictLinear(model: LinearModel, row: readonly number[]): number {
  let z = model.bias;
  for (let j = 0; j < row.length; j++) z += model.weights[j]! * row[j]!;
  return model.kind === "logistic" ? 1 / (1 + Math.exp(-z)) : z;
}

export function linearModelOnnx(model: LinearModel): Uint8Array {
  return linearOnnx({
    featureNames: model.featureNames,
    weights: model.weights,
    bias: model.bias,
    link: model.kind === "logistic" ? "sigmoid" : "identity",
    outputMeaning: [model.kind === "logistic" ? "probability of class 1" : "predicted value"],
  });
}

/** Ordinary least squares with a small ridge term (`l2`), solved in closed form on standardised features. */
export function trainLinearRegression(data: Dataset, options: { l2?: number } = {}): LinearModel {
  checkDataset(data, true);
  const scaling = scalingOf(data.x);
  const n = data.x.length;
  const width = data.featureNames.length + 1; // + intercept
  const a = Array.from({ length: width }, () => new Array<number>(width).fill(0));
  const b = new Array<number>(width).fill(0);
  data.x.forEach((raw, i) => {
    const row = [...scaleRow(raw, scaling), 1];
    for (let p = 0; p < width; p++) {
      b[p]! += row[p]! * data.y![i]!;
      for (let q = 0; q < width; q++) a[p]![q]! += row[p]! * row[q]!;
    }
  });
  const l2 = (options.l2 ?? 1e-6) * n;
  for (let p = 0; p < width - 1; p++) a[p]![p]! += l2; // the intercept is not penalised
  const solution = solve(a, b);
  const folded = foldScaling(solution.slice(0, -1), solution.at(-1)!, scaling);
  return { kind: "linear", featureNames: data.featureNames, ...folded };
}

export interface LogisticOptions {
  readonly epochs?: number;
  readonly learningRate?: number;
  /** L2 penalty on the weights (not the bias). */
  readonly l2?: number;
}

/** Logistic regression by full-batch gradient descent with L2; labels are 0/1 (>= 0.5 counts as 1). */
export function trainLogisticRegression(data: Dataset, options: LogisticOptions = {}): LinearModel {
  checkDataset(data, true);
  const { epochs = 300, learningRate = 0.5, l2 = 1e-3 } = options;
  const scaling = scalingOf(data.x);
  const x = data.x.map((r) => scaleRow(r, scaling));
  const y = data.y!.map((v) => (v >= 0.5 ? 1 : 0));
  const width = data.featureNames.length;
  const w = new Array<number>(width).fill(0);
  let bias = 0;
  const gradient = new Array<number>(width).fill(0);
  for (let epoch = 0; epoch < epochs; epoch++) {
    gradient.fill(0);
    let gradientBias = 0;
    for (let i = 0; i < x.length; i++) {
      const row = x[i]!;
      let z = bias;
      for (let j = 0; j < width; j++) z += w[j]! * row[j]!;
      const error = 1 / (1 + Math.exp(-z)) - y[i]!;
      for (let j = 0; j < width; j++) gradient[j]! += error * row[j]!;
      gradientBias += error;
    }
    for (let j = 0; j < width; j++) w[j]! -= learningRate * (gradient[j]! / x.length + l2 * w[j]!);
    bias -= (learningRate * gradientBias) / x.length;
  }
  if (!w.every(Number.isFinite) || !Number.isFinite(bias)) {
    throw new AiotError("TRAINING_SET_INVALID", "logistic regression diverged (non-finite weights); lower the learning rate", { path: "learningRate" });
  }
  return { kind: "logistic", featureNames: data.featureNames, ...foldScaling(w, bias, scaling) };
}

/** Gaussian elimination with partial pivoting; the ridge term keeps the system well conditioned. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    [b[col], b[pivot]] = [b[pivot]!, b[col]!];
    const d = a[col]![col]!;
    if (Math.abs(d) < 1e-12) throw new AiotError("TRAINING_SET_INVALID", "the features are linearly dependent; drop a duplicate feature or add rows", { path: "x" });
    for (let r = col + 1; r < n; r++) {
      const f = a[r]![col]! / d;
      for (let c = col; c < n; c++) a[r]![c]! -= f * a[col]![c]!;
      b[r]! -= f * b[col]!;
    }
  }
  const out = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r]!;
    for (let c = r + 1; c < n; c++) s -= a[r]![c]! * out[c]!;
    out[r] = s / a[r]![r]!;
  }
  return out;
}
