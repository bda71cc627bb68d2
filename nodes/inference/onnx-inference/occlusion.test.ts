import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { FeatureReference, ModelVersionInfo } from "../../../runtime/sdk/models.ts";
import { attributions, baselineKindOf, baselinesOf, occlusionRows, RateSampler } from "./occlusion.ts";

function model(reference: Record<string, FeatureReference>): ModelVersionInfo {
  return {
    name: "pump", version: 1, stage: "production", sha256: "0".repeat(64), size: 1, featureNames: ["temp", "vib", "load"], outputMeaning: [],
    inputs: [], outputs: [], reference, metrics: {}, card: "", registeredAt: "", registeredBy: "test",
  };
}

describe("baselines", () => {
  const cases: Array<[string, Record<string, FeatureReference>, number[], string]> = [
    ["every feature's training mean", { temp: { mean: 70, std: 5 }, vib: { mean: 2, std: 1 }, load: { mean: 0.5, std: 0.1 } }, [70, 2, 0.5], "reference mean"],
    ["zeros without reference statistics", {}, [0, 0, 0], "zero (no reference statistics)"],
    ["zeros where statistics are missing", { vib: { mean: 2, std: 1 }, other: { mean: 9, std: 1 } }, [0, 2, 0], "reference mean (zero for features without statistics)"],
  ];
  for (const [name, reference, baselines, kind] of cases) {
    it(`occludes with ${name}, and says so`, () => {
      const info = model(reference);
      assert.deepEqual([...baselinesOf(info)], baselines);
      assert.equal(baselineKindOf(info), kind);
    });
  }
});

describe("occlusionRows", () => {
  it("lays out the row itself, then one copy per feature with that feature at its baseline", () => {
    const rows = occlusionRows(Float32Array.of(1, 2, 3), Float32Array.of(10, 20, 30));
    assert.deepEqual([...rows], [1, 2, 3, 10, 2, 3, 1, 20, 3, 1, 2, 30]);
  });

  it("leaves the row it was given as it was", () => {
    const row = Float32Array.of(1, 2);
    occlusionRows(row, Float32Array.of(0, 0));
    assert.deepEqual([...row], [1, 2]);
  });

  it("gives no rows for a model without features", () => assert.equal(occlusionRows(new Float32Array(0), new Float32Array(0)).length, 0));
});

describe("attributions", () => {
  it("attributes to each feature the score change its occlusion causes, largest magnitude first", () => {
    // f(x) = 0.5 temp - 2 vib + 0.25 load at (80, 5, 0.9), baselines (70, 2, 0.5)
    const explanation = attributions(["temp", "vib", "load"], Float32Array.of(80, 5, 0.9), Float32Array.of(70, 2, 0.5), [30.225, 25.225, 36.225, 30.125], 3, "reference mean");
    assert.equal(explanation.method, "occlusion");
    assert.equal(explanation.baseline, "reference mean");
    assert.equal(explanation.score, 30.225);
    assert.deepEqual(explanation.top.map((a) => a.feature), ["vib", "temp", "load"]);
    const [vib, temp, load] = explanation.top;
    assert.ok(Math.abs(vib!.attribution - -6) < 1e-9 && Math.abs(temp!.attribution - 5) < 1e-9 && Math.abs(load!.attribution - 0.1) < 1e-9);
    assert.deepEqual([vib!.value, vib!.baseline], [5, 2]);
  });

  it("lists only the `top` largest", () => {
    const explanation = attributions(["a", "b", "c"], Float32Array.of(1, 1, 1), Float32Array.of(0, 0, 0), [10, 9, 1, 8], 1, "zero (no reference statistics)");
    assert.deepEqual(explanation.top.map((a) => [a.feature, a.attribution]), [["b", 9]]);
  });

  it("gives NaN attributions, never invented ones, when the run returned too few scores", () => {
    const explanation = attributions(["a", "b"], Float32Array.of(1, 1), Float32Array.of(0, 0), [3], 2, "reference mean");
    assert.ok(explanation.top.every((a) => Number.isNaN(a.attribution)));
    assert.ok(Number.isNaN(attributions(["a"], Float32Array.of(1), Float32Array.of(0), [], 1, "reference mean").score));
  });
});

describe("RateSampler", () => {
  const rates: Array<[number, number, number]> = [
    [0, 100, 0],
    [-1, 100, 0],
    [1, 100, 100],
    [0.1, 100, 10],
    [0.25, 8, 2],
    [1 / 3, 9, 3],
  ];
  for (const [rate, calls, yes] of rates) {
    it(`says yes ${yes} times in ${calls} at rate ${rate.toFixed(3)}`, () => {
      const sampler = new RateSampler(rate);
      assert.equal(Array.from({ length: calls }, () => sampler.next()).filter(Boolean).length, yes);
    });
  }

  it("picks the same calls every run: every tenth at rate 0.1", () => {
    const picked = (sampler: RateSampler) => Array.from({ length: 30 }, (_, i) => (sampler.next() ? i : -1)).filter((i) => i >= 0);
    assert.deepEqual(picked(new RateSampler(0.1)), [9, 19, 29]);
    assert.deepEqual(picked(new RateSampler(0.1)), picked(new RateSampler(0.1)));
  });
});
