/**
 * Reference statistics of a training set, in the registry's format (runtime/sdk/models.ts): per
 * feature mean, std, min, max, count and a quantile histogram that drift-monitor compares windows
 * against; `$score` holds the same for the model's scores on the training rows.
 */
import { referenceHistogram } from "../../sdk/drift-histogram.ts";
import type { FeatureReference } from "../../sdk/models.ts";

export function featureReference(values: readonly number[], bins = 10): FeatureReference {
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / n);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { mean, std, min, max, count: n, histogram: referenceHistogram(values, bins) };
}

/** `{ feature: stats, ..., $score: stats }` of training rows `x` and the model's `scores` on them. */
export function referenceStatistics(featureNames: readonly string[], x: readonly (readonly number[])[], scores?: readonly number[]): Record<string, FeatureReference> {
  const reference: Record<string, FeatureReference> = {};
  featureNames.forEach((name, j) => (reference[name] = featureReference(x.map((row) => row[j]!))));
  if (scores && scores.length > 0) reference["$score"] = featureReference(scores);
  return reference;
}
