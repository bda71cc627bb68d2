/**
 * A small MLP autoencoder for anomaly scores: features -> `hidden` tanh units -> features, trained
 * with Adam on mini-batches of standardised rows. Seeded (weights and batch order), so the same data
 * and seed give the same model. The anomaly score is the mean squared reconstruction error, which
 * the inference node computes with `output.score: "reconstruction-error"`.
 *
 * Standardisation is folded into the exported layers (first layer divides by std, last layer
 * multiplies back and adds the mean), so the ONNX model takes and returns raw feature values.
 */
import { SeededRandom } from "../../sdk/seeded-random.ts";
import { AiotError } from "../../sdk/errors.ts";
import { mlpOnnx } from "../onnx-export.ts";
import { checkDataset, scaleRow, scalingOf, type Dataset } from "./dataset.ts";

export interface AutoencoderOptions {
  readonly hidden?: number;
  readonly epochs?: number;
  readonly batchSize?: number;
  readonly learningRate?: number;
  readonly seed?: number;
}

export interface AutoencoderModel {
  readonly featureNames: readonly string[];
  /** Layers on raw features, as onnx-export takes them (weights out x in). */
  readonly encoder: { readonly weights: number[][]; readonly bias: number[] };
  readonly decoder: { readonly weights: number[][]; readonly bias: number[] };
}

export function trainAutoencoder(data: Dataset, options: AutoencoderOptions = {}): AutoencoderModel {
  checkDataset(data, false);
  const { hidden = Math.max(1, Math.ceil(data.featureNames.length / 2)), epochs = 60, batchSize = 32, learningRate = 0.01, seed = 1 } = options;
  const f = data.featureNames.length;
  const random = new SeededRandom(seed);
  const scaling = scalingOf(data.x);
  const z = data.x.map((r) => scaleRow(r, scaling));
  const xavier = (fanIn: number, fanOut: number) => Math.sqrt(6 / (fanIn + fanOut)) * (2 * random.next() - 1);
  // Parameters in one flat vector so Adam is one loop: W1 (h x f), b1 (h), W2 (f x h), b2 (f).
  const offsets = { w1: 0, b1: hidden * f, w2: hidden * f + hidden, b2: 2 * hidden * f + hidden };
  const size = offsets.b2 + f;
  const p = new Float64Array(size);
  for (let i = 0; i < hidden * f; i++) p[offsets.w1 + i] = xavier(f, hidden);
  for (let i = 0; i < hidden * f; i++) p[offsets.w2 + i] = xavier(hidden, f);
  const grad = new Float64Array(size);
  const m = new Float64Array(size);
  const v = new Float64Array(size);
  const h = new Float64Array(hidden);
  const dh = new Float64Array(hidden);
  const order = z.map((_, i) => i);
  let step = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random.next() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (let start = 0; start < order.length; start += batchSize) {
      const batch = order.slice(start, start + batchSize);
      grad.fill(0);
      for (const index of batch) {
        const row = z[index]!;
        for (let k = 0; k < hidden; k++) {
          let a = p[offsets.b1 + k]!;
          for (let j = 0; j < f; j++) a += p[offsets.w1 + k * f + j]! * row[j]!;
          h[k] = Math.tanh(a);
        }
        dh.fill(0);
        for (let j = 0; j < f; j++) {
          let r = p[offsets.b2 + j]!;
          for (let k = 0; k < hidden; k++) r += p[offsets.w2 + j * hidden + k]! * h[k]!;
          const dr = (2 * (r - row[j]!)) / (f * batch.length);
          grad[offsets.b2 + j]! += dr;
          for (let k = 0; k < hidden; k++) {
            grad[offsets.w2 + j * hidden + k]! += dr * h[k]!;
            dh[k]! += dr * p[offsets.w2 + j * hidden + k]!;
          }
        }
        for (let k = 0; k < hidden; k++) {
          const da = dh[k]! * (1 - h[k]! * h[k]!);
          grad[offsets.b1 + k]! += da;
          for (let j = 0; j < f; j++) grad[offsets.w1 + k * f + j]! += da * row[j]!;
        }
      }
      step += 1;
      adam(p, grad, m, v, step, learningRate);
    }
  }
  if (!p.every(Number.isFinite)) throw new AiotError("TRAINING_SET_INVALID", "the autoencoder diverged (non-finite weights); lower the learning rate", { path: "learningRate" });
  const { mean, std } = scaling;
  const encoder = {
    weights: Array.from({ length: hidden }, (_, k) => Array.from({ length: f }, (_, j) => p[offsets.w1 + k * f + j]! / std[j]!)),
    bias: Array.from({ length: hidden }, (_, k) => p[offsets.b1 + k]! - Array.from({ length: f }, (_, j) => (p[offsets.w1 + k * f + j]! * mean[j]!) / std[j]!).reduce((a, b) => a + b, 0)),
  };
  const decoder = {
    weights: Array.from({ length: f }, (_, j) => Array.from({ length: hidden }, (_, k) => std[j]! * p[offsets.w2 + j * hidden + k]!)),
    bias: Array.from({ length: f }, (_, j) => std[j]! * p[offsets.b2 + j]! + mean[j]!),
  };
  return { featureNames: data.featureNames, encoder, decoder };
}

function adam(p: Float64Array, g: Float64Array, m: Float64Array, v: Float64Array, t: number, lr: number): void {
  const beta1 = 0.9;
  const beta2 = 0.999;
  const c1 = 1 - beta1 ** t;
  const c2 = 1 - beta2 ** t;
  for (let i = 0; i < p.length; i++) {
    m[i] = beta1 * m[i]! + (1 - beta1) * g[i]!;
    v[i] = beta2 * v[i]! + (1 - beta2) * g[i]! * g[i]!;
    p[i]! -= (lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + 1e-8);
  }
}

/** The reconstruction of one raw row. */
export function reconstruct(model: AutoencoderModel, row: readonly number[]): number[] {
  const hidden = model.encoder.weights.map((w, k) => Math.tanh(w.reduce((s, wj, j) => s + wj * row[j]!, model.encoder.bias[k]!)));
  return model.decoder.weights.map((w, j) => w.reduce((s, wk, k) => s + wk * hidden[k]!, model.decoder.bias[j]!));
}

/** Mean squared reconstruction error of one raw row: the anomaly score. */
export function anomalyScore(model: AutoencoderModel, row: readonly number[]): number {
  const r = reconstruct(model, row);
  return r.reduce((s, v, j) => s + (v - row[j]!) ** 2, 0) / row.length;
}

export function autoencoderOnnx(model: AutoencoderModel): Uint8Array {
  return mlpOnnx({
    featureNames: model.featureNames,
    kind: "autoencoder",
    outputMeaning: model.featureNames.map((n) => `reconstructed ${n}`),
    layers: [
      { ...model.encoder, activation: "tanh" },
      { ...model.decoder, activation: "identity" },
    ],
  });
}
