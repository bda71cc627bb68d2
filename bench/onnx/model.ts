// The benchmark's model: a 32-feature MLP (32 -> 64 relu -> 32 relu -> 1 sigmoid) with seeded
// weights, built with runtime/ml/onnx-export.ts, and the input rows fed to it.
import { mlpOnnx, type DenseLayer } from "../../runtime/ml/onnx-export.ts";

export const FEATURES = Array.from({ length: 32 }, (_, i) => `f${i}`);

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/**
 * Hidden layer widths. `small` is the benchmark's model (the 32-feature MLP); `large`
 * (32 -> 256 -> 128 -> 1, ~41k multiply-adds a row) shows how the node's fixed per-message cost
 * weighs against a model with more work per row.
 */
export const MODEL_SIZES = { small: [64, 32], large: [256, 128] } as const;
export type ModelSize = keyof typeof MODEL_SIZES;

export function modelSizeOf(value: string | undefined): ModelSize {
  if (value === undefined || value === "small" || value === "large") return value ?? "small";
  throw new Error(`--model must be small or large, not ${value}`);
}

export function benchModel(seed = 32, size: ModelSize = "small"): Uint8Array {
  const random = seeded(seed);
  const dense = (outputs: number, inputs: number, activation: DenseLayer["activation"]): DenseLayer => ({
    weights: Array.from({ length: outputs }, () => Array.from({ length: inputs }, () => (random() - 0.5) * (2 / Math.sqrt(inputs)))),
    bias: Array.from({ length: outputs }, () => (random() - 0.5) * 0.1),
    activation,
  });
  const [first, second] = MODEL_SIZES[size];
  return mlpOnnx({ featureNames: FEATURES, layers: [dense(first, 32, "relu"), dense(second, first, "relu"), dense(1, second, "sigmoid")] });
}

/** Feature values of reading `i`: deterministic, cheap, in a plausible range. */
export function readingValue(i: number, feature: number): number {
  return ((i * 31 + feature * 17) % 100) / 25 - 2;
}

/**
 * `count` readings as a gateway's input path makes them: JSON text parsed into 33-field objects
 * ({ seq, f0 .. f31 }). Parsed twice, keeping the second set: while V8 parses the first readings it
 * widens field representations (integer to double) and leaves objects on a few deprecated hidden
 * classes, which a running gateway has long moved past; measuring on them would charge every node a
 * start-up effect (polymorphic property access) that steady state does not have.
 */
export function parsedReadings(count: number): Array<Record<string, number>> {
  const parse = () =>
    Array.from({ length: count }, (_, i) => {
      let text = `{"seq":${i}`;
      for (let f = 0; f < FEATURES.length; f++) text += `,"${FEATURES[f]!}":${readingValue(i, f)}`;
      return JSON.parse(`${text}}`) as Record<string, number>;
    });
  parse();
  return parse();
}
