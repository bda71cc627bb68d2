import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { histogramProblem } from "../../sdk/drift-histogram.ts";
import { featureReference, referenceStatistics } from "./reference.ts";

describe("featureReference", () => {
  it("gives mean, population std, min, max, count and a usable histogram", () => {
    const values = Array.from({ length: 100 }, (_, i) => i);
    const stats = featureReference(values, 4);
    assert.deepEqual([stats.mean, stats.min, stats.max, stats.count], [49.5, 0, 99, 100]);
    assert.ok(Math.abs(stats.std - Math.sqrt((100 ** 2 - 1) / 12)) < 1e-9);
    assert.equal(stats.histogram!.proportions.length, 4);
    assert.equal(histogramProblem(stats.histogram!), undefined);
  });

  it("refuses values with nothing finite to build a histogram from", () => {
    for (const values of [[], [Number.NaN, Number.POSITIVE_INFINITY]]) {
      assert.throws(() => featureReference(values), { code: "TRAINING_SET_INVALID", message: "no finite values to build a reference histogram from" });
    }
  });
});

describe("referenceStatistics", () => {
  const x = [[1, 10], [2, 20], [3, 30], [4, 40]];

  it("gives statistics per feature name, in the registry's format", () => {
    const reference = referenceStatistics(["temp", "vib"], x);
    assert.deepEqual(Object.keys(reference), ["temp", "vib"]);
    assert.deepEqual([reference["temp"]!.mean, reference["vib"]!.max], [2.5, 40]);
  });

  it("adds $score for the model's scores on the training rows, when there are any", () => {
    assert.equal(referenceStatistics(["temp", "vib"], x, [0.1, 0.2, 0.3, 0.4])["$score"]!.count, 4);
    assert.equal(Object.hasOwn(referenceStatistics(["temp", "vib"], x, []), "$score"), false);
  });
});
