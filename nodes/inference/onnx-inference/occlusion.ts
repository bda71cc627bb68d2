/**
 * Per-prediction attributions by occlusion: feature i's attribution is the score of the row minus
 * the score of the same row with feature i set to its baseline (the training mean from the
 * registry's reference statistics; 0 for a feature without them, and the explanation says so). The row and its M occluded copies go through the model in one
 * batched run of M+1 rows. For a linear model f(x) = w·x + b this is exactly w_i (x_i - baseline_i).
 */
import type { ModelVersionInfo } from "../../../runtime/sdk/models.ts";

export interface Attribution {
  readonly feature: string;
  readonly value: number;
  readonly baseline: number;
  readonly attribution: number;
}

/**
 * What the baselines are, said truthfully: a version registered without reference statistics (the
 * raw upload route) has no training means, and its explanations occlude with 0.
 */
export type BaselineKind = "reference mean" | "zero (no reference statistics)" | "reference mean (zero for features without statistics)";

export interface Explanation {
  readonly method: "occlusion";
  readonly baseline: BaselineKind;
  readonly score: number;
  /** The largest attributions by magnitude, largest first. */
  readonly top: readonly Attribution[];
}

/** Baselines in the model's feature order; a feature with no reference statistics gets 0. */
export function baselinesOf(info: ModelVersionInfo): Float32Array {
  return Float32Array.from(info.featureNames, (name) => info.reference[name]?.mean ?? 0);
}

/** Which baselines `baselinesOf` gives this version: means, zeros, or a mix. */
export function baselineKindOf(info: ModelVersionInfo): BaselineKind {
  const withMean = info.featureNames.filter((name) => typeof info.reference[name]?.mean === "number").length;
  if (withMean === info.featureNames.length) return "reference mean";
  return withMean === 0 ? "zero (no reference statistics)" : "reference mean (zero for features without statistics)";
}

/** The M+1 rows: the row itself first, then one copy per feature with that feature at its baseline. */
export function occlusionRows(row: Float32Array, baselines: Float32Array): Float32Array {
  const width = row.length;
  const rows = new Float32Array((width + 1) * width);
  for (let r = 0; r <= width; r++) {
    rows.set(row, r * width);
    if (r > 0) rows[r * width + (r - 1)] = baselines[r - 1]!;
  }
  return rows;
}

/**
 * Attributions from the M+1 scores (`scores[0]` is the unoccluded row), the `top` largest by
 * magnitude.
 */
export function attributions(featureNames: readonly string[], row: Float32Array, baselines: Float32Array, scores: readonly number[], top: number, baseline: BaselineKind): Explanation {
  const score = scores[0] ?? Number.NaN;
  const all = featureNames.map((feature, i): Attribution => ({
    feature,
    value: row[i]!,
    baseline: baselines[i]!,
    attribution: score - (scores[i + 1] ?? Number.NaN),
  }));
  all.sort((a, b) => Math.abs(b.attribution) - Math.abs(a.attribution));
  return { method: "occlusion", baseline, score, top: all.slice(0, top) };
}

/**
 * A deterministic sampler: with rate 0.1, every tenth call says yes. Deterministic so a test (and an
 * operator comparing two runs) sees the same messages explained.
 */
export class RateSampler {
  private credit = 0;
  constructor(private readonly rate: number) {}
  next(): boolean {
    if (this.rate <= 0) return false;
    this.credit += this.rate;
    if (this.credit < 1 - 1e-9) return false;
    this.credit -= 1;
    return true;
  }
}
