import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { explanationBars, explanationBarsOf, explanationLine, formatLatency, formatSigned, variantRows, variantsPath } from "./ml-view.ts";

const explained = (top: unknown) => ({ model: "pump@1", explanation: { method: "occlusion", baseline: "reference mean", score: 0.9, top } });

describe("explanation bars", () => {
  it("scales bars to the largest magnitude, signs them and keeps value and baseline for the tooltip", () => {
    const bars = explanationBars(explained([
      { feature: "temperature_mean", value: 71, baseline: 65, attribution: 0.12 },
      { feature: "vibration_rms", value: 9.1, baseline: 2, attribution: 0.41 },
      { feature: "load", value: 0.2, baseline: 0.5, attribution: -0.205 },
    ]))!;
    assert.deepEqual(bars.map((b) => [b.feature, b.text, b.width, b.sign]), [
      ["vibration_rms", "+0.41", 100, "up"],
      ["load", "-0.2", 50, "down"],
      ["temperature_mean", "+0.12", 29, "up"],
    ]);
    assert.deepEqual([bars[0]!.value, bars[0]!.baseline], [9.1, 2]);
    assert.equal(explanationLine(bars), "vibration_rms +0.41, load -0.2, temperature_mean +0.12");
  });

  it("reads nothing from a message without a usable explanation", () => {
    for (const meta of [undefined, null, "x", {}, { explanation: null }, { explanation: { top: "no" } }, explained([]), explained([{ feature: "a", attribution: Number.NaN }, { attribution: 1 }, null])]) {
      assert.equal(explanationBars(meta), undefined, JSON.stringify(meta));
      assert.equal(explanationBarsOf({ payload: {}, meta }), undefined);
    }
    assert.equal(explanationBarsOf("not a message"), undefined);
    assert.equal(explanationBarsOf({ meta: explained([{ feature: "a", attribution: 1 }]) })?.[0]?.text, "+1");
  });

  it("drops malformed entries, and gives all-zero attributions a sliver instead of dividing by zero", () => {
    const bars = explanationBars(explained([{ feature: "a", attribution: 0 }, { feature: "", attribution: 1 }, { feature: "b", attribution: "1" }]))!;
    assert.deepEqual(bars.map((b) => [b.feature, b.text, b.width, b.value]), [["a", "0", 2, undefined]]);
  });

  it("formats signed numbers compactly", () => {
    const cases: Array<[number, string]> = [[0.4123, "+0.41"], [-0.12, "-0.12"], [12.34, "+12"], [-250.6, "-251"], [0.00042, "+4.2e-4"], [0, "0"], [Number.NaN, "?"]];
    for (const [n, text] of cases) assert.equal(formatSigned(n), text, String(n));
  });
});

describe("variant rows", () => {
  const report = {
    variants: [
      { id: "a", role: "variant", configured: true, percent: 90, messages: 18, share: 0.9, scoreBins: [0, 2, 0, 0, 0, 0, 0, 0, 0, 16], agreement: null, feedback: { correct: 6, incorrect: 2, unjudged: 0, judged: 8, accuracy: 0.75 }, errors: 1, models: ["pump@3"], latency: { batches: 4, rows: 18, meanMs: 1, p50Ms: 0.42, p95Ms: 2, p99Ms: 300, openEnded: ["p99"] } },
      { id: "old", role: "variant", configured: false, percent: null, messages: 2, share: 0.1, scoreBins: [2, 0, 0, 0, 0, 0, 0, 0, 0, 0], agreement: null, feedback: { correct: 0, incorrect: 0, unjudged: 0, judged: 0, accuracy: null }, errors: 0, models: [], latency: null },
    ],
    shadow: { id: "shadow", role: "shadow", configured: true, percent: null, messages: 20, share: null, scoreBins: new Array(10).fill(0), agreement: { agree: 17, disagree: 3, rate: 0.85 }, feedback: { correct: 0, incorrect: 0, unjudged: 0, judged: 0, accuracy: null }, errors: 0, models: ["pump-xgb@1"], latency: { p50Ms: 12.4, p99Ms: 20, openEnded: [] } },
  };

  it("shows share against the configured percent, a sparkline, agreement, latency and accuracy with counts", () => {
    const [a, old, shadow] = variantRows(report);
    assert.deepEqual([a!.label, a!.share, a!.accuracy, a!.latency, a!.agreement, a!.errors], ["a", "90% of 90%", "75% (6/8)", "0.42 ms / ≥ 300 ms", "", "1"]);
    assert.deepEqual(a!.histogram, [0, 13, 0, 0, 0, 0, 0, 0, 0, 100]);
    assert.match(a!.histogramTitle, /^0\.0–0\.1: 0\n0\.1–0\.2: 2/);
    assert.deepEqual([old!.label, old!.share, old!.accuracy, old!.latency, old!.models], ["old (not in the deployed config)", "10%", "no feedback yet", "—", "—"]);
    assert.deepEqual([shadow!.label, shadow!.share, shadow!.agreement, shadow!.latency], ["shadow", "every message", "85% (17/20)", "12 ms / 20 ms"]);
    assert.deepEqual(shadow!.histogram, new Array(10).fill(0), "no scores: flat, not NaN");
  });

  it("answers no rows for a body that is not a report, and skips variants without an id", () => {
    for (const body of [undefined, null, [], "report", { variants: "x" }, { error: { code: "VARIANTS_NODE_NOT_RUNNING" } }]) assert.deepEqual(variantRows(body), []);
    const rows = variantRows({ variants: [{ messages: 3 }, { id: "b", messages: "many", scoreBins: [1, Number.NaN, -1] }], shadow: null });
    assert.deepEqual(rows.map((r) => [r.id, r.messages, r.histogram, r.agreement, r.accuracy]), [["b", "0", [100, 0, 0], "", "no feedback yet"]]);
  });

  it("formats latency and builds the route path with escaped ids", () => {
    assert.deepEqual([formatLatency(0.4249), formatLatency(3.14159), formatLatency(42.6), formatLatency(250, true), formatLatency(null)], ["0.42 ms", "3.1 ms", "43 ms", "≥ 250 ms", "—"]);
    assert.equal(variantsPath("line 1", "score/x"), "/api/flows/line%201/nodes/score%2Fx/variants");
  });
});
