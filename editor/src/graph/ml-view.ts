/**
 * The operator's ML read-outs, framework-free: the "why" of a scored message (meta.explanation of
 * the onnx-inference node, top features by occlusion) as signed bars, and the per-variant table of
 * GET /api/flows/:id/nodes/:node/variants. Everything read from the wire is checked here, so the
 * components only draw what these functions return.
 */
import type { LatencyReport, VariantReport } from "../../../runtime/contract/variant-report.ts";

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);
const finite = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value);

export interface ExplanationBar {
  readonly feature: string;
  readonly attribution: number;
  /** "+0.41", "-0.12". */
  readonly text: string;
  /** Bar length, 0-100 (% of the largest magnitude in this explanation). */
  readonly width: number;
  readonly sign: "up" | "down";
  /** The feature's value and the training mean it was compared with, for the tooltip. */
  readonly value: number | undefined;
  readonly baseline: number | undefined;
}

/** A signed number with two significant decimals at most: "+0.41", "-12.3", "+1.2e-5", "0". */
export function formatSigned(n: number): string {
  if (!Number.isFinite(n)) return "?";
  if (n === 0) return "0";
  const magnitude = Math.abs(n);
  const digits = magnitude >= 100 ? magnitude.toFixed(0) : magnitude >= 0.01 ? String(Number(magnitude.toPrecision(2))) : magnitude.toExponential(1);
  return `${n > 0 ? "+" : "-"}${digits}`;
}

/**
 * The bars of `meta.explanation` (undefined when the message carries none or it is malformed);
 * entries without a feature name or a finite attribution are left out, largest magnitude first.
 */
export function explanationBars(meta: unknown): ExplanationBar[] | undefined {
  const explanation = isRecord(meta) ? meta["explanation"] : undefined;
  if (!isRecord(explanation) || !Array.isArray(explanation["top"])) return undefined;
  const valid = explanation["top"].filter((a): a is Record<string, unknown> & { feature: string; attribution: number } =>
    isRecord(a) && typeof a["feature"] === "string" && a["feature"] !== "" && finite(a["attribution"]));
  if (valid.length === 0) return undefined;
  const largest = Math.max(...valid.map((a) => Math.abs(a.attribution)));
  return valid
    .map((a) => ({
      feature: a.feature,
      attribution: a.attribution,
      text: formatSigned(a.attribution),
      // A zero attribution still gets a sliver, so the row does not look broken.
      width: largest > 0 ? Math.max(2, Math.round((Math.abs(a.attribution) / largest) * 100)) : 2,
      sign: a.attribution < 0 ? "down" as const : "up" as const,
      value: finite(a["value"]) ? a["value"] : undefined,
      baseline: finite(a["baseline"]) ? a["baseline"] : undefined,
    }))
    .sort((a, b) => Math.abs(b.attribution) - Math.abs(a.attribution));
}

/** The bars of a whole message (`{ payload, meta, ... }`), as the debug list holds it. */
export function explanationBarsOf(msg: unknown): ExplanationBar[] | undefined {
  return isRecord(msg) ? explanationBars(msg["meta"]) : undefined;
}

/** "vibration_rms +0.41, temperature_mean +0.12": the one-line why of the debug list. */
export function explanationLine(bars: readonly ExplanationBar[]): string {
  return bars.map((b) => `${b.feature} ${b.text}`).join(", ");
}

/** The fields of the runtime's variants report (runtime/contract/variant-report.ts) the table shows. */
export type VariantFigures = Pick<VariantReport, "id" | "role" | "configured" | "percent" | "messages" | "share" | "scoreBins" | "agreement" | "errors" | "models"> & {
  readonly feedback: Pick<VariantReport["feedback"], "correct" | "judged" | "accuracy">;
  readonly latency: Pick<LatencyReport, "p50Ms" | "p99Ms" | "openEnded"> | null;
};

export interface VariantRow {
  readonly id: string;
  readonly label: string;
  readonly models: string;
  readonly messages: string;
  readonly share: string;
  /** Sparkline bar heights, 0-100 (% of the fullest bin), one per score bin. */
  readonly histogram: readonly number[];
  readonly histogramTitle: string;
  readonly agreement: string;
  readonly latency: string;
  readonly accuracy: string;
  readonly errors: string;
}

const percent = (ratio: number | null | undefined): string => (finite(ratio) ? `${Math.round(ratio * 1000) / 10}%` : "—");
const num = (value: unknown): number => (finite(value) && value > 0 ? value : 0);

/** A latency in ms as the table shows it: "0.42 ms", "12 ms", "≥ 250 ms" for an open-ended quantile. */
export function formatLatency(ms: number | null | undefined, openEnded = false): string {
  if (!finite(ms)) return "—";
  const text = ms >= 10 ? `${Math.round(ms)} ms` : `${Number(ms.toPrecision(2))} ms`;
  return openEnded ? `≥ ${text}` : text;
}

/** Reads one variant of the report; undefined when it lacks what a row needs (a report from another version). */
function figuresOf(raw: unknown): VariantFigures | undefined {
  if (!isRecord(raw) || typeof raw["id"] !== "string") return undefined;
  const feedback = isRecord(raw["feedback"]) ? raw["feedback"] : {};
  const agreement = isRecord(raw["agreement"]) ? raw["agreement"] : undefined;
  const latency = isRecord(raw["latency"]) ? raw["latency"] : undefined;
  return {
    id: raw["id"],
    role: raw["role"] === "shadow" ? "shadow" : "variant",
    configured: raw["configured"] !== false,
    percent: finite(raw["percent"]) ? raw["percent"] : null,
    messages: num(raw["messages"]),
    share: finite(raw["share"]) ? raw["share"] : null,
    scoreBins: Array.isArray(raw["scoreBins"]) ? raw["scoreBins"].map(num) : [],
    agreement: agreement ? { agree: num(agreement["agree"]), disagree: num(agreement["disagree"]), rate: finite(agreement["rate"]) ? agreement["rate"] : null } : null,
    feedback: { correct: num(feedback["correct"]), judged: num(feedback["judged"]), accuracy: finite(feedback["accuracy"]) ? feedback["accuracy"] : null },
    errors: num(raw["errors"]),
    models: Array.isArray(raw["models"]) ? raw["models"].filter((m): m is string => typeof m === "string") : [],
    latency: latency
      ? { p50Ms: finite(latency["p50Ms"]) ? latency["p50Ms"] : null, p99Ms: finite(latency["p99Ms"]) ? latency["p99Ms"] : null, openEnded: Array.isArray(latency["openEnded"]) ? latency["openEnded"].filter((q): q is LatencyReport["openEnded"][number] => q === "p50" || q === "p95" || q === "p99") : [] }
      : null,
  };
}

/** The table rows of a variants report: the A/B variants, then the shadow; [] for anything else. */
export function variantRows(report: unknown): VariantRow[] {
  if (!isRecord(report)) return [];
  const variants = Array.isArray(report["variants"]) ? report["variants"] : [];
  const all = [...variants, ...(report["shadow"] ? [report["shadow"]] : [])].map(figuresOf).filter((f): f is VariantFigures => f !== undefined);
  return all.map(rowOf);
}

export function rowOf(f: VariantFigures): VariantRow {
  const fullest = Math.max(0, ...f.scoreBins);
  const share = f.role === "shadow" ? "every message" : f.percent !== null ? `${percent(f.share)} of ${f.percent}%` : percent(f.share);
  const compared = f.agreement ? f.agreement.agree + f.agreement.disagree : 0;
  return {
    id: f.id,
    label: f.role === "shadow" ? "shadow" : f.configured ? f.id : `${f.id} (not in the deployed config)`,
    models: f.models.join(", ") || "—",
    messages: String(f.messages),
    share,
    histogram: f.scoreBins.map((n) => (fullest > 0 ? Math.round((n / fullest) * 100) : 0)),
    histogramTitle: f.scoreBins.map((n, k) => `${(k / f.scoreBins.length).toFixed(1)}–${((k + 1) / f.scoreBins.length).toFixed(1)}: ${n}`).join("\n"),
    agreement: f.agreement ? (compared > 0 ? `${percent(f.agreement.rate)} (${f.agreement.agree}/${compared})` : "—") : "",
    latency: f.latency ? `${formatLatency(f.latency.p50Ms, f.latency.openEnded.includes("p50"))} / ${formatLatency(f.latency.p99Ms, f.latency.openEnded.includes("p99"))}` : "—",
    accuracy: f.feedback.judged > 0 ? `${percent(f.feedback.accuracy)} (${f.feedback.correct}/${f.feedback.judged})` : "no feedback yet",
    errors: String(f.errors),
  };
}

/** The path of the report of one node. */
export const variantsPath = (flowId: string, node: string): string =>
  `/api/flows/${encodeURIComponent(flowId)}/nodes/${encodeURIComponent(node)}/variants`;

/** Node types with a live ML read-out in the side panel (data, so the panel has no type branches). */
export const NODE_TYPES_WITH_VARIANTS: ReadonlySet<string> = new Set(["onnx-inference"]);
