/**
 * Builds the example's pump-failure model with no download: a logistic regression fitted by
 * gradient descent on synthetic 10 s windows drawn from the simulated-sensor's documented signals
 * (healthy: vibration ≈ 2.2 ± 0.3 mm/s, temperature ≈ 55 ± 3 °C; worn bearing: both drift up),
 * exported to ONNX with runtime/ml/onnx-export.ts. Deterministic for a given seed.
 */
import { linearOnnx } from "../../runtime/ml/onnx-export.ts";
import type { FeatureReference, ModelMetrics } from "../../runtime/sdk/models.ts";

export const FEATURES = ["vibration_rms", "temperature_mean"] as const;

export interface BuiltModel {
  readonly bytes: Uint8Array;
  readonly weights: readonly number[];
  readonly bias: number;
  readonly reference: Record<string, FeatureReference>;
  readonly metrics: ModelMetrics;
  readonly card: string;
}

export function buildPumpFailureModel(seed = 2026): BuiltModel {
  const random = seeded(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const window = (failing: boolean): { x: number[]; y: number } => {
    const wear = failing ? 0.25 + random() * 0.75 : 0; // a worn bearing is 25-100 % above normal
    const phase = 2 * Math.PI * random();
    return { x: [(2.2 + 0.3 * Math.sin(phase) + 0.05 * gaussian()) * (1 + wear), (55 + 3 * Math.sin(phase / 7) + 0.2 * gaussian()) * (1 + wear)], y: failing ? 1 : 0 };
  };
  const rows = Array.from({ length: 1200 }, (_, i) => window(i % 3 === 0));
  const [train, holdout] = [rows.slice(0, 900), rows.slice(900)];
  const mean = FEATURES.map((_, j) => average(train.map((r) => r.x[j]!)));
  const std = FEATURES.map((_, j) => Math.sqrt(average(train.map((r) => (r.x[j]! - mean[j]!) ** 2))) || 1);
  // Fit on standardised features (gradient descent converges), then fold the scaling into the weights.
  const w = FEATURES.map(() => 0);
  let b = 0;
  for (let epoch = 0; epoch < 300; epoch++) {
    const grad = FEATURES.map(() => 0);
    let gradB = 0;
    for (const { x, y } of train) {
      const z = x.reduce((sum, v, j) => sum + w[j]! * ((v - mean[j]!) / std[j]!), b);
      const error = 1 / (1 + Math.exp(-z)) - y;
      x.forEach((v, j) => (grad[j]! += error * ((v - mean[j]!) / std[j]!)));
      gradB += error;
    }
    w.forEach((_, j) => (w[j]! -= grad[j]! / train.length));
    b -= gradB / train.length;
  }
  const weights = w.map((wj, j) => wj / std[j]!);
  const bias = b - w.reduce((sum, wj, j) => sum + (wj * mean[j]!) / std[j]!, 0);
  const predict = (x: number[]) => 1 / (1 + Math.exp(-(x.reduce((sum, v, j) => sum + weights[j]! * v, bias))));
  const accuracy = holdout.filter((r) => (predict(r.x) >= 0.5 ? 1 : 0) === r.y).length / holdout.length;
  const healthy = train.filter((r) => r.y === 0);
  const reference = Object.fromEntries(FEATURES.map((name, j) => [name, statistics(healthy.map((r) => r.x[j]!))]));
  return {
    bytes: linearOnnx({ featureNames: [...FEATURES], weights, bias, link: "sigmoid", outputMeaning: ["probability that the pump is failing"] }),
    weights,
    bias,
    reference,
    metrics: { accuracy, holdoutRows: holdout.length, evaluation: { passed: accuracy >= 0.9, reason: `hold-out accuracy ${accuracy.toFixed(3)} (floor 0.9)` } },
    card: "Pump failure probability from 10 s window features. Logistic regression fitted on synthetic windows (examples/pump-failure-model/model.ts); reference statistics are those of healthy pumps.",
  };
}

function statistics(values: number[]): FeatureReference {
  const m = average(values);
  const s = Math.sqrt(average(values.map((v) => (v - m) ** 2)));
  const min = Math.min(...values);
  const max = Math.max(...values);
  const bins = 10;
  const edges = Array.from({ length: bins + 1 }, (_, i) => min + ((max - min) * i) / bins);
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor(((v - min) / (max - min || 1)) * bins))]!++;
  return { mean: m, std: s, min, max, count: values.length, histogram: { edges, proportions: counts.map((c) => c / values.length) } };
}

const average = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}
