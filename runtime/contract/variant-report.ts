/**
 * The A/B and shadow read-out of an onnx-inference node, from the counters it exports with its
 * metrics (nodes/inference/onnx-inference/prediction.ts `VariantStats`, nodes/inference/onnx-inference/model-slot.ts latency
 * buckets): per variant its traffic, score distribution, agreement, feedback accuracy and errors,
 * and per model version its batch latency quantiles. Pure: counters in, report out, so the API,
 * a CLI or a test can call it on any snapshot.
 *
 * @example
 * const report = variantReport(snapshot.counters, { variants: [{ id: "a", percent: 90, models: ["pump@3"] }, { id: "b", percent: 10, models: ["pump@4"] }], shadow: { models: ["pump-xgb@1"] } });
 * report.variants[0].share; // 0.9 when a took 90% of the messages
 */

/** Score bins of `VariantStats`: k covers [k/10, (k+1)/10); scores below 0 count in bin 0, above 1 in bin 9. */
export const SCORE_BINS = 10;

/** What the deployed node is configured with; without it the report still lists what the counters show. */
export interface VariantLayout {
  /** The A/B variants in config order (`main` for a node without variants). */
  readonly variants: ReadonlyArray<{ readonly id: string; readonly percent?: number; readonly models?: readonly string[] }>;
  /** Model ids (`name@version`) the shadow ran on; absent: no shadow configured. */
  readonly shadow?: { readonly models?: readonly string[] };
}

export interface LatencyReport {
  /** Model runs (batches) measured. */
  readonly batches: number;
  readonly rows: number;
  readonly meanMs: number | null;
  /** Estimated from the cumulative buckets (linear within a bucket); null with no batch. */
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly p99Ms: number | null;
  /** Quantiles beyond the last finite bucket: their value is that bound, a lower limit. */
  readonly openEnded: ReadonlyArray<"p50" | "p95" | "p99">;
}

export interface VariantReport {
  readonly id: string;
  readonly role: "variant" | "shadow";
  /** false: counters name a variant the layout does not (an older config); listed, never hidden. */
  readonly configured: boolean;
  readonly percent: number | null;
  readonly messages: number;
  /** Of the messages the A/B variants scored; null for the shadow (it scores every message). */
  readonly share: number | null;
  /** Messages per score bin (SCORE_BINS of them). */
  readonly scoreBins: readonly number[];
  /** The shadow against the main model's decision; null for A/B variants. */
  readonly agreement: { readonly agree: number; readonly disagree: number; readonly rate: number | null } | null;
  readonly feedback: { readonly correct: number; readonly incorrect: number; readonly unjudged: number; readonly judged: number; readonly accuracy: number | null };
  readonly errors: number;
  /** Model ids whose latency is summed in `latency`. */
  readonly models: readonly string[];
  /** Batch latency of those models; null when the layout names none or they ran no batch. */
  readonly latency: LatencyReport | null;
}

export interface ModelLatencyReport extends LatencyReport {
  /** `name@version`. */
  readonly model: string;
  readonly role: "model" | "shadow";
  readonly errors: number;
}

export interface VariantsReport {
  readonly variants: readonly VariantReport[];
  readonly shadow: VariantReport | null;
  readonly models: readonly ModelLatencyReport[];
  /** Messages the A/B variants scored (the base of `share`). */
  readonly messages: number;
  /** Feedback labels with no remembered prediction for their key. */
  readonly feedbackUnmatched: number;
}

const VARIANT_FIELD = /^variant\.(.+)\.(messages|score_bin_(\d+)|agree|disagree|feedback_correct|feedback_incorrect|feedback_unjudged|errors)$/;
const MODEL_FIELD = /^(model|shadow)\.(.+@\d+)\.(batches|rows|errors|latency_us_sum|latency_ms_le_(inf|\d+(?:\.\d+)?))$/;

interface VariantCounts {
  messages: number;
  bins: number[];
  agree: number;
  disagree: number;
  correct: number;
  incorrect: number;
  unjudged: number;
  errors: number;
}

interface ModelCounts {
  batches: number;
  rows: number;
  errors: number;
  sumUs: number;
  /** bound (ms) -> batches at or under it; Infinity for `_inf`. */
  readonly buckets: Map<number, number>;
}

/** Counters are counts: anything else (NaN, negative, not a number) reads as 0. */
const count = (value: unknown): number => (typeof value === "number" && Number.isFinite(value) && value > 0 ? value : 0);
const ratio = (part: number, whole: number): number | null => (whole > 0 ? part / whole : null);
const emptyVariant = (): VariantCounts => ({ messages: 0, bins: new Array<number>(SCORE_BINS).fill(0), agree: 0, disagree: 0, correct: 0, incorrect: 0, unjudged: 0, errors: 0 });

export function variantReport(counters: Readonly<Record<string, unknown>> | undefined, layout?: VariantLayout): VariantsReport {
  const variants = new Map<string, VariantCounts>();
  const models = new Map<string, ModelCounts>();
  for (const [name, raw] of Object.entries(counters ?? {})) {
    const value = count(raw);
    const v = VARIANT_FIELD.exec(name);
    if (v) addVariant(variants, v[1]!, v[2]!, v[3], value);
    const m = MODEL_FIELD.exec(name);
    if (m) addModel(models, `${m[1]}.${m[2]}`, m[3]!, m[4], value);
  }

  const configured = layout?.variants ?? [];
  const ids = [...configured.map((v) => v.id), ...[...variants.keys()].filter((id) => id !== "shadow" && !configured.some((c) => c.id === id)).sort()];
  const abMessages = ids.reduce((sum, id) => sum + (variants.get(id)?.messages ?? 0), 0);
  const modelReports = [...models].map(([key, counts]) => modelReport(key, counts)).sort((a, b) => a.role.localeCompare(b.role) || a.model.localeCompare(b.model));
  const latencyOf = (role: "model" | "shadow", ids: readonly string[]) => mergedLatency(ids.map((id) => models.get(`${role}.${id}`)).filter((c): c is ModelCounts => c !== undefined));

  const report = variantRows(ids, configured, variants, abMessages, latencyOf);
  const shadowCounts = variants.get("shadow");
  const shadow = layout?.shadow || shadowCounts
    ? shadowRow(shadowCounts ?? emptyVariant(), layout?.shadow !== undefined, layout?.shadow?.models ?? [], latencyOf)
    : null;
  return { variants: report, shadow, models: modelReports, messages: abMessages, feedbackUnmatched: count(counters?.["feedback.unmatched"]) };
}

function variantRows(
  ids: readonly string[],
  configured: VariantLayout["variants"],
  variants: ReadonlyMap<string, VariantCounts>,
  abMessages: number,
  latencyOf: (role: "model" | "shadow", ids: readonly string[]) => LatencyReport | null,
): VariantReport[] {
  return ids.map((id) => {
    const config = configured.find((c) => c.id === id);
    const counts = variants.get(id) ?? emptyVariant();
    const modelIds = config?.models ?? [];
    return { ...common(id, counts, modelIds, latencyOf("model", modelIds)), role: "variant", configured: config !== undefined, percent: config?.percent ?? null, share: ratio(counts.messages, abMessages), agreement: null };
  });
}

function shadowRow(counts: VariantCounts, configured: boolean, modelIds: readonly string[], latencyOf: (role: "model" | "shadow", ids: readonly string[]) => LatencyReport | null): VariantReport {
  const compared = counts.agree + counts.disagree;
  return {
    ...common("shadow", counts, modelIds, latencyOf("shadow", modelIds)),
    role: "shadow", configured, percent: null, share: null,
    agreement: { agree: counts.agree, disagree: counts.disagree, rate: ratio(counts.agree, compared) },
  };
}

function common(id: string, counts: VariantCounts, models: readonly string[], latency: LatencyReport | null) {
  const judged = counts.correct + counts.incorrect;
  return {
    id,
    messages: counts.messages,
    scoreBins: [...counts.bins],
    feedback: { correct: counts.correct, incorrect: counts.incorrect, unjudged: counts.unjudged, judged, accuracy: ratio(counts.correct, judged) },
    errors: counts.errors,
    models: [...models],
    latency,
  };
}

function addVariant(variants: Map<string, VariantCounts>, id: string, field: string, bin: string | undefined, value: number): void {
  let counts = variants.get(id);
  if (!counts) variants.set(id, (counts = emptyVariant()));
  if (bin !== undefined) {
    const k = Number(bin);
    if (k < SCORE_BINS) counts.bins[k]! += value; // a bin past the last is not one VariantStats writes: ignored
    return;
  }
  const key = ({ messages: "messages", agree: "agree", disagree: "disagree", feedback_correct: "correct", feedback_incorrect: "incorrect", feedback_unjudged: "unjudged", errors: "errors" } as const)[field];
  if (key) counts[key] += value;
}

function addModel(models: Map<string, ModelCounts>, key: string, field: string, bound: string | undefined, value: number): void {
  let counts = models.get(key);
  if (!counts) models.set(key, (counts = { batches: 0, rows: 0, errors: 0, sumUs: 0, buckets: new Map() }));
  if (bound !== undefined) counts.buckets.set(bound === "inf" ? Infinity : Number(bound), value);
  else if (field === "batches") counts.batches = value;
  else if (field === "rows") counts.rows = value;
  else if (field === "errors") counts.errors = value;
  else if (field === "latency_us_sum") counts.sumUs = value;
}

function modelReport(key: string, counts: ModelCounts): ModelLatencyReport {
  const dot = key.indexOf(".");
  return { model: key.slice(dot + 1), role: key.slice(0, dot) === "shadow" ? "shadow" : "model", errors: counts.errors, ...latencyOf(counts) };
}

/** Several model versions of one variant (an alias that moved): their buckets add up. */
function mergedLatency(all: readonly ModelCounts[]): LatencyReport | null {
  if (all.length === 0) return null;
  const merged: ModelCounts = { batches: 0, rows: 0, errors: 0, sumUs: 0, buckets: new Map() };
  for (const c of all) {
    merged.batches += c.batches;
    merged.rows += c.rows;
    merged.sumUs += c.sumUs;
    for (const [bound, n] of c.buckets) merged.buckets.set(bound, (merged.buckets.get(bound) ?? 0) + n);
  }
  const latency = latencyOf(merged);
  return latency.batches > 0 ? latency : null;
}

function latencyOf(counts: ModelCounts): LatencyReport {
  const bounds = [...counts.buckets.keys()].sort((a, b) => a - b);
  const total = counts.buckets.get(Infinity) ?? Math.max(counts.batches, ...bounds.map((b) => counts.buckets.get(b)!), 0);
  const openEnded: Array<"p50" | "p95" | "p99"> = [];
  const quantile = (name: "p50" | "p95" | "p99", q: number): number | null => {
    const estimate = quantileOf(bounds, counts.buckets, total, q);
    if (estimate?.openEnded) openEnded.push(name);
    return estimate?.ms ?? null;
  };
  const p50Ms = quantile("p50", 0.5);
  const p95Ms = quantile("p95", 0.95);
  const p99Ms = quantile("p99", 0.99);
  return { batches: total, rows: counts.rows, meanMs: total > 0 && counts.sumUs > 0 ? counts.sumUs / 1000 / total : null, p50Ms, p95Ms, p99Ms, openEnded };
}

/**
 * The q-quantile from cumulative bucket counts, as Prometheus' histogram_quantile does: find the
 * first bucket holding the q·total-th observation and interpolate linearly inside it (from 0 for
 * the first bucket). Past the last finite bound the answer is that bound, marked open-ended.
 */
export function quantileOf(bounds: readonly number[], cumulative: ReadonlyMap<number, number>, total: number, q: number): { ms: number; openEnded: boolean } | null {
  if (!(total > 0) || !(q >= 0 && q <= 1)) return null;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const bound of bounds) {
    // Cumulative counts never go down; a snapshot taken mid-update could show one that does.
    const upTo = Math.max(lowerCount, cumulative.get(bound) ?? lowerCount);
    if (upTo >= rank && upTo > lowerCount) {
      if (bound === Infinity) return { ms: lowerBound, openEnded: true };
      return { ms: lowerBound + (bound - lowerBound) * ((rank - lowerCount) / (upTo - lowerCount)), openEnded: false };
    }
    if (bound !== Infinity) lowerBound = bound;
    lowerCount = upTo;
  }
  // No _inf bucket and the rank lies beyond every finite one.
  return { ms: lowerBound, openEnded: true };
}
