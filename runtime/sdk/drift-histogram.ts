/**
 * Input drift of one feature: a window's histogram against the reference histogram the model was
 * trained on, scored by PSI (population stability index) or Jensen-Shannon divergence. Not a node;
 * drift-monitor and the retraining loop (reference statistics of a new candidate) share it.
 *
 * A histogram is `{ edges, proportions }` as numpy.histogram gives it: `edges` ascending, one more
 * than `proportions`; bin i is [edges[i], edges[i+1]). Values below the first or above the last edge
 * count in the end bins, so a shifted feature shows up in them instead of vanishing.
 */
import { AiotError } from "./errors.ts";

export interface FeatureHistogram {
  readonly edges: readonly number[];
  readonly proportions: readonly number[];
}

export type DivergenceStatistic = "psi" | "js";

/** Floor for an empty bin, so PSI stays finite (the usual 1e-4 of the textbooks). */
const EMPTY_BIN = 1e-4;

/** Why a histogram cannot be used, or undefined when it is well formed. */
export function histogramProblem(histogram: FeatureHistogram): string | undefined {
  const { edges, proportions } = histogram;
  if (proportions.length < 2) return "needs at least 2 bins";
  if (edges.length !== proportions.length + 1) return `has ${edges.length} edges for ${proportions.length} bins (needs bins + 1)`;
  for (let i = 1; i < edges.length; i++) {
    if (!(edges[i]! > edges[i - 1]!)) return `edges must be finite and strictly ascending (edges[${i}])`;
  }
  let total = 0;
  for (const p of proportions) {
    if (!Number.isFinite(p) || p < 0) return "proportions must be finite and >= 0";
    total += p;
  }
  if (Math.abs(total - 1) > 1e-6) return `proportions sum to ${total}, not 1`;
  return undefined;
}

/** Index of the bin `value` falls in; out-of-range values go to the end bins. Binary search: O(log bins). */
export function binOf(edges: readonly number[], value: number): number {
  let lo = 0;
  let hi = edges.length - 2; // last bin index
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (value >= edges[mid]!) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** PSI = Σ (a - e) ln(a / e): < 0.1 stable, 0.1-0.25 moderate shift, > 0.25 significant shift. */
export function psi(expected: readonly number[], counts: ArrayLike<number>, total: number): number {
  let sum = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i]!, EMPTY_BIN);
    const a = Math.max(counts[i]! / total, EMPTY_BIN);
    sum += (a - e) * Math.log(a / e);
  }
  return sum;
}

/** Jensen-Shannon divergence in bits: 0 for equal distributions, 1 for disjoint ones. */
export function jensenShannon(expected: readonly number[], counts: ArrayLike<number>, total: number): number {
  let sum = 0;
  for (let i = 0; i < expected.length; i++) {
    const p = expected[i]!;
    const q = counts[i]! / total;
    const m = (p + q) / 2;
    if (p > 0) sum += p * Math.log2(p / m);
    if (q > 0) sum += q * Math.log2(q / m);
  }
  return Math.max(0, sum / 2);
}

/** Counts of one feature over the current window, compared with its reference when the window closes. */
export class WindowHistogram {
  readonly counts: Float64Array;
  total = 0;

  constructor(readonly reference: FeatureHistogram) {
    this.counts = new Float64Array(reference.proportions.length);
  }

  add(value: number): void {
    this.counts[binOf(this.reference.edges, value)]! += 1;
    this.total += 1;
  }

  /** The window's divergence from the reference (0 for an empty window). */
  divergence(statistic: DivergenceStatistic): number {
    if (this.total === 0) return 0;
    return statistic === "psi"
      ? psi(this.reference.proportions, this.counts, this.total)
      : jensenShannon(this.reference.proportions, this.counts, this.total);
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
  }
}

/**
 * The reference histogram of a training feature: `bins` quantile bins (equal-frequency, the usual
 * choice for PSI) between the observed min and max. Ties collapse bins, so a constant feature
 * gets 2 bins around its value. NaN and infinite values are ignored.
 */
export function referenceHistogram(values: readonly number[], bins = 10): FeatureHistogram {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) throw new AiotError("TRAINING_SET_INVALID", "no finite values to build a reference histogram from");
  const min = sorted[0]!;
  const max = sorted[sorted.length - 1]!;
  if (min === max) return { edges: [min - 0.5, min, min + 0.5], proportions: [0, 1] };
  const edges = [min];
  for (let b = 1; b < bins; b++) {
    const cut = sorted[Math.floor((b * sorted.length) / bins)]!;
    if (cut > edges[edges.length - 1]! && cut < max) edges.push(cut);
  }
  edges.push(max);
  const counts = new Array<number>(edges.length - 1).fill(0);
  for (const v of sorted) counts[binOf(edges, v)]! += 1;
  return { edges, proportions: counts.map((c) => c / sorted.length) };
}
