/**
 * Turning a model's output row into what a flow acts on (score, label, probabilities), and the
 * per-variant figures a dashboard shows for A/B and shadow models: score distribution, agreement
 * with the main model, accuracy once feedback labels arrive. Counters go to ctx.metrics, so they
 * reach /metrics and the runtime's node metrics with no extra plumbing.
 */
import type { NodeMetrics } from "../../../runtime/sdk/index.ts";

export interface OutputMapping {
  /** How the score is taken from the output row. */
  readonly score: "first" | "max" | "reconstruction-error";
  /** Class names: one per output column, or [negative, positive] for a single-output model. */
  readonly labels?: readonly string[];
  /** Single-output models: the score at or above which the decision is positive. */
  readonly threshold?: number;
}

export interface Prediction {
  readonly score: number;
  readonly label?: string;
  readonly probabilities?: Readonly<Record<string, number>> | readonly number[];
  /** What feedback is compared with: the label, "1"/"0" past the threshold, or undefined. */
  readonly decision: string | undefined;
}

export function predictionOf(outputs: Float32Array, inputs: Float32Array, mapping: OutputMapping): Prediction {
  if (mapping.score === "reconstruction-error") {
    let sum = 0;
    for (let i = 0; i < outputs.length; i++) sum += (outputs[i]! - (inputs[i] ?? 0)) ** 2;
    const score = sum / Math.max(1, outputs.length);
    return { score, ...decide(score, mapping) };
  }
  if (outputs.length === 1) {
    const score = outputs[0]!;
    return { score, ...decide(score, mapping) };
  }
  let best = 0;
  for (let i = 1; i < outputs.length; i++) if (outputs[i]! > outputs[best]!) best = i;
  const values = Array.from(outputs);
  const labels = mapping.labels;
  const score = mapping.score === "max" ? outputs[best]! : outputs[0]!;
  if (labels && labels.length === outputs.length) {
    return { score, label: labels[best]!, probabilities: Object.fromEntries(labels.map((l, i) => [l, values[i]!])), decision: labels[best]! };
  }
  return { score, probabilities: values, decision: String(best) };
}

/** The prediction of a single-output model from its score (no views, no copies: the hot path). */
export function predictionOfScore(score: number, mapping: OutputMapping): Prediction {
  return mapping.threshold === undefined ? { score, decision: undefined } : { score, ...decide(score, mapping) };
}

function decide(score: number, mapping: OutputMapping): { label?: string; decision: string | undefined } {
  if (mapping.threshold === undefined) return { decision: undefined };
  const positive = score >= mapping.threshold;
  const label = mapping.labels?.[positive ? 1 : 0];
  return label !== undefined ? { label, decision: label } : { decision: positive ? "1" : "0" };
}

/** A feedback label as a decision: booleans map to the positive/negative class. */
export function feedbackDecision(label: unknown, mapping: OutputMapping): string | undefined {
  if (typeof label === "boolean") return mapping.labels?.[label ? 1 : 0] ?? (label ? "1" : "0");
  if (typeof label === "number" && Number.isFinite(label)) return String(label);
  if (typeof label === "string" && label.length > 0) return label;
  return undefined;
}

const SCORE_BINS = 10;

/** Per-variant counters: `variant.<id>.messages`, `.score_bin_<k>` (k = 0..9 over [0, 1]), `.agree` ... */
export class VariantStats {
  /** Counter names per variant, built once: template strings per message showed in profiles. */
  private readonly names = new Map<string, { messages: string; bins: string[] }>();
  constructor(private readonly metrics: NodeMetrics) {}

  scored(variant: string, score: number): void {
    const names = this.namesOf(variant);
    this.metrics.count(names.messages);
    const bin = Math.min(SCORE_BINS - 1, Math.max(0, Math.floor(score * SCORE_BINS)));
    this.metrics.count(names.bins[Number.isFinite(bin) ? bin : 0]!);
  }

  /** Scores counted in a batch and added to the counters once (a counter update per row showed in profiles). */
  tally(variant: string): ScoreTally {
    return new ScoreTally(this.metrics, this.namesOf(variant));
  }

  private namesOf(variant: string): { messages: string; bins: string[] } {
    let names = this.names.get(variant);
    if (!names) {
      names = { messages: `variant.${variant}.messages`, bins: Array.from({ length: SCORE_BINS }, (_, k) => `variant.${variant}.score_bin_${k}`) };
      this.names.set(variant, names);
    }
    return names;
  }

  compared(variant: string, agree: boolean): void {
    this.metrics.count(`variant.${variant}.${agree ? "agree" : "disagree"}`);
  }

  feedback(variant: string, predicted: string | undefined, actual: string | undefined): void {
    if (predicted === undefined || actual === undefined) return void this.metrics.count(`variant.${variant}.feedback_unjudged`);
    this.metrics.count(`variant.${variant}.feedback_${predicted === actual ? "correct" : "incorrect"}`);
  }

  failed(variant: string): void {
    this.metrics.count(`variant.${variant}.errors`);
  }
}

/** Per-batch counts behind `VariantStats.scored`: `add` per row, `flush` once per batch. */
export class ScoreTally {
  private messages = 0;
  private readonly bins = new Float64Array(SCORE_BINS);
  constructor(private readonly metrics: NodeMetrics, private readonly names: { readonly messages: string; readonly bins: readonly string[] }) {}

  add(score: number): void {
    this.messages++;
    const bin = Math.min(SCORE_BINS - 1, Math.max(0, Math.floor(score * SCORE_BINS)));
    this.bins[Number.isFinite(bin) ? bin : 0]!++;
  }

  flush(): void {
    if (this.messages === 0) return;
    this.metrics.count(this.names.messages, this.messages);
    this.messages = 0;
    for (let k = 0; k < SCORE_BINS; k++) {
      if (this.bins[k]! > 0) this.metrics.count(this.names.bins[k]!, this.bins[k]!);
      this.bins[k] = 0;
    }
  }
}

/** Sticky split: the same key always lands on the same variant (FNV-1a of the key, mod 100). */
export function variantFor<V extends { readonly percent: number }>(key: string, variants: readonly V[]): V | undefined {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193) >>> 0;
  let point = hash % 100;
  for (const variant of variants) {
    if (point < variant.percent) return variant;
    point -= variant.percent;
  }
  return variants.at(-1);
}

/** The last decision of each variant per key, bounded: what feedback labels are compared with. */
export class RecentDecisions {
  private readonly byKey = new Map<string, Map<string, string | undefined>>();
  constructor(private readonly capacity = 10_000) {}

  /** `fresh`: a new prediction for the key, replacing older decisions (the shadow's adds to it). */
  remember(key: string, variant: string, decision: string | undefined, fresh: boolean): void {
    let decisions = fresh ? undefined : this.byKey.get(key);
    if (!decisions) {
      decisions = new Map();
      this.byKey.delete(key);
      this.byKey.set(key, decisions);
      if (this.byKey.size > this.capacity) this.byKey.delete(this.byKey.keys().next().value!);
    }
    decisions.set(variant, decision);
  }

  take(key: string): ReadonlyMap<string, string | undefined> | undefined {
    const found = this.byKey.get(key);
    this.byKey.delete(key);
    return found;
  }
}
