import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { quantileOf, variantReport, type VariantLayout } from "./variant-report.ts";

const LAYOUT: VariantLayout = { variants: [{ id: "a", percent: 75, models: ["pump@1"] }, { id: "b", percent: 25, models: ["pump@2"] }], shadow: { models: ["pump-xgb@1"] } };

/** Cumulative latency buckets as model-slot.ts writes them, from individual batch latencies. */
function latencyCounters(prefix: string, latencies: readonly number[]): Record<string, number> {
  const bounds = [0.5, 1, 2, 5, 10, 25, 50, 100, 250];
  const out: Record<string, number> = { [`${prefix}.batches`]: latencies.length, [`${prefix}.rows`]: latencies.length * 4, [`${prefix}.latency_ms_le_inf`]: latencies.length };
  for (const bound of bounds) out[`${prefix}.latency_ms_le_${bound}`] = latencies.filter((l) => l <= bound).length;
  out[`${prefix}.latency_us_sum`] = Math.round(latencies.reduce((s, l) => s + l, 0) * 1000);
  return out;
}

describe("variantReport", () => {
  it("reports traffic share, score bins, feedback accuracy and errors per A/B variant", () => {
    const report = variantReport({
      "variant.a.messages": 30, "variant.a.score_bin_0": 10, "variant.a.score_bin_9": 20, "variant.a.feedback_correct": 6, "variant.a.feedback_incorrect": 2, "variant.a.feedback_unjudged": 1, "variant.a.errors": 3,
      "variant.b.messages": 10, "variant.b.score_bin_5": 10,
      "feedback.unmatched": 4,
    }, LAYOUT);
    assert.equal(report.messages, 40);
    const [a, b] = report.variants;
    assert.deepEqual([a!.id, a!.share, a!.percent, a!.configured], ["a", 0.75, 75, true]);
    assert.deepEqual(a!.scoreBins, [10, 0, 0, 0, 0, 0, 0, 0, 0, 20]);
    assert.deepEqual(a!.feedback, { correct: 6, incorrect: 2, unjudged: 1, judged: 8, accuracy: 0.75 });
    assert.equal(a!.errors, 3);
    assert.equal(a!.agreement, null, "agreement is the shadow's");
    assert.deepEqual([b!.share, b!.feedback.accuracy], [0.25, null], "no judged feedback: no accuracy, not 0");
    assert.equal(report.feedbackUnmatched, 4);
  });

  it("reports the shadow's agreement with the main model, outside the traffic shares", () => {
    const report = variantReport({ "variant.a.messages": 8, "variant.shadow.messages": 8, "variant.shadow.agree": 6, "variant.shadow.disagree": 2, "variant.shadow.score_bin_3": 8 }, LAYOUT);
    assert.equal(report.messages, 8, "the shadow's messages are not traffic");
    assert.deepEqual(report.shadow?.agreement, { agree: 6, disagree: 2, rate: 0.75 });
    assert.equal(report.shadow?.share, null);
    assert.equal(report.variants.find((v) => v.id === "a")?.share, 1);
  });

  it("estimates batch latency quantiles per model and per variant from the cumulative buckets", () => {
    // 100 batches: 90 at 0.8 ms (bucket (0.5, 1]), 10 at 30 ms (bucket (25, 50]).
    const latencies = [...new Array<number>(90).fill(0.8), ...new Array<number>(10).fill(30)];
    const report = variantReport({ "variant.a.messages": 400, ...latencyCounters("model.pump@1", latencies), ...latencyCounters("shadow.pump-xgb@1", [3]) }, LAYOUT);
    const a = report.variants[0]!.latency!;
    assert.equal(a.batches, 100);
    assert.ok(Math.abs(a.p50Ms! - (0.5 + 0.5 * (50 / 90))) < 1e-9, `p50 interpolated in (0.5, 1]: ${a.p50Ms}`);
    assert.ok(a.p95Ms! > 25 && a.p95Ms! <= 50, `p95 in (25, 50]: ${a.p95Ms}`);
    assert.ok(Math.abs(a.meanMs! - 3.72) < 1e-9, `mean ${a.meanMs}`);
    assert.deepEqual(a.openEnded, []);
    assert.equal(report.variants[1]!.latency, null, "b ran no batch");
    assert.deepEqual(report.models.map((m) => [m.role, m.model, m.batches]), [["model", "pump@1", 100], ["shadow", "pump-xgb@1", 1]]);
    assert.ok(report.shadow!.latency!.p99Ms! > 2 && report.shadow!.latency!.p99Ms! <= 5);
  });

  it("sums the latency of every version a variant ran on (an alias that moved)", () => {
    const report = variantReport({ ...latencyCounters("model.pump@1", [1, 1]), ...latencyCounters("model.pump@2", [1]) }, { variants: [{ id: "main", models: ["pump@1", "pump@2"] }] });
    assert.equal(report.variants[0]!.latency!.batches, 3);
  });

  it("marks quantiles beyond the last finite bucket as open-ended lower limits", () => {
    const report = variantReport(latencyCounters("model.pump@1", [400, 500]), LAYOUT);
    const latency = report.variants[0]!.latency!;
    assert.equal(latency.p99Ms, 250);
    assert.deepEqual(latency.openEnded, ["p50", "p95", "p99"]);
  });

  it("answers an empty report for no counters, zero messages or no layout, with nulls instead of NaN", () => {
    for (const counters of [undefined, {}, { "variant.a.messages": 0 }]) {
      const report = variantReport(counters, LAYOUT);
      assert.equal(report.messages, 0);
      assert.deepEqual(report.variants.map((v) => [v.id, v.messages, v.share]), [["a", 0, null], ["b", 0, null]]);
      assert.deepEqual(report.shadow?.agreement, { agree: 0, disagree: 0, rate: null });
      assert.ok(!JSON.stringify(report).includes("NaN"));
    }
    assert.deepEqual(variantReport(undefined), { variants: [], shadow: null, models: [], messages: 0, feedbackUnmatched: 0 });
  });

  it("lists variants the counters name but the layout does not, and ignores bad values and foreign counters", () => {
    const report = variantReport({
      "variant.a.messages": 5, "variant.old.v2.messages": 5, "variant.a.errors": Number.NaN, "variant.a.score_bin_12": 7, "variant.a.score_bin_1": -3,
      "variant.a.unknown_field": 9, "model.switches": 2, "in": 99, "model.pump@1.latency_ms_le_x": 1,
    }, { variants: [{ id: "a" }] });
    assert.deepEqual(report.variants.map((v) => [v.id, v.configured, v.share]), [["a", true, 0.5], ["old.v2", false, 0.5]]);
    const a = report.variants[0]!;
    assert.equal(a.errors, 0);
    assert.deepEqual(a.scoreBins, new Array(10).fill(0));
    assert.deepEqual(report.models, []);
    assert.equal(report.shadow, null);
  });
});

describe("quantileOf", () => {
  const bounds = [1, 2, Infinity];
  it("interpolates inside the bucket holding the rank, and refuses an empty histogram or a bad q", () => {
    const cumulative = new Map([[1, 0], [2, 10], [Infinity, 10]]);
    assert.deepEqual(quantileOf(bounds, cumulative, 10, 0.5), { ms: 1.5, openEnded: false });
    assert.equal(quantileOf(bounds, cumulative, 0, 0.5), null);
    assert.equal(quantileOf(bounds, cumulative, 10, 1.5), null);
    assert.equal(quantileOf(bounds, cumulative, 10, Number.NaN), null);
  });
  it("reads a count that goes down between buckets (a snapshot mid-update) as flat", () => {
    const cumulative = new Map([[1, 5], [2, 3], [Infinity, 10]]);
    assert.deepEqual(quantileOf(bounds, cumulative, 10, 0.9), { ms: 2, openEnded: true });
  });
});
