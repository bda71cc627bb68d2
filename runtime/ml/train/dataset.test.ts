import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkDataset, foldScaling, scaleRow, scalingOf, type Dataset } from "./dataset.ts";

describe("checkDataset", () => {
  it("accepts finite rows of the named width, with a finite label per row when labels are needed", () => {
    assert.doesNotThrow(() => checkDataset({ featureNames: ["a", "b"], x: [[1, 2], [3, 4]], y: [0, 1] }, true));
    assert.doesNotThrow(() => checkDataset({ featureNames: ["a"], x: [[1]] }, false), "an unsupervised set needs no labels");
  });

  const refused: Array<[string, Dataset, boolean, string, string, RegExp]> = [
    ["no rows", { featureNames: ["a"], x: [] }, false, "TRAINING_SET_EMPTY", "x", /has no rows/],
    ["no features", { featureNames: [], x: [[]] }, false, "TRAINING_SET_INVALID", "featureNames", /names no features/],
    ["a short row", { featureNames: ["a", "b"], x: [[1, 2], [3]] }, false, "TRAINING_SET_INVALID", "x[1]", /^row 1 has 1 features, expected 2$/],
    ["a NaN feature", { featureNames: ["a", "b"], x: [[1, Number.NaN]] }, false, "TRAINING_SET_INVALID", "x[0][1]", /^row 0: feature "b" is NaN, not a finite number$/],
    ["an infinite feature", { featureNames: ["a"], x: [[Number.POSITIVE_INFINITY]] }, false, "TRAINING_SET_INVALID", "x[0][0]", /is Infinity/],
    ["a text feature", { featureNames: ["a"], x: [["3" as unknown as number]] }, false, "TRAINING_SET_INVALID", "x[0][0]", /is 3, not a finite number/],
    ["no labels for a supervised model", { featureNames: ["a"], x: [[1], [2]] }, true, "TRAINING_SET_INVALID", "y", /^needs one label per row \(2 rows, 0 labels\)$/],
    ["one label too few", { featureNames: ["a"], x: [[1], [2]], y: [1] }, true, "TRAINING_SET_INVALID", "y", /\(2 rows, 1 labels\)/],
    ["a NaN label", { featureNames: ["a"], x: [[1], [2]], y: [1, Number.NaN] }, true, "TRAINING_SET_INVALID", "y[1]", /^label of row 1 is NaN/],
  ];
  for (const [name, data, needsLabels, code, path, message] of refused) {
    it(`refuses ${name} (${code} at ${path})`, () => assert.throws(() => checkDataset(data, needsLabels), { code, message, details: { path } }));
  }
});

describe("scaling", () => {
  it("takes each column's mean and population standard deviation", () => {
    assert.deepEqual(scalingOf([[1, 10], [3, 10], [5, 10]]), { mean: [3, 10], std: [Math.sqrt(8 / 3), 1] });
  });

  it("gives a constant column std 1, so scaling only centres it", () => {
    const s = scalingOf([[7], [7]]);
    assert.deepEqual(s, { mean: [7], std: [1] });
    assert.deepEqual(scaleRow([9], s), [2]);
  });

  it("standardises a row", () => assert.deepEqual(scaleRow([4, 0], { mean: [2, 1], std: [2, 0.5] }), [1, -2]));

  it("folds the scaling into a linear layer that then takes raw features", () => {
    const s = { mean: [2, 1], std: [2, 0.5] };
    const weights = [3, -1];
    const bias = 0.5;
    const folded = foldScaling(weights, bias, s);
    for (const row of [[4, 0], [0, 3], [2, 1]]) {
      const scaled = scaleRow(row, s).reduce((sum, v, j) => sum + v * weights[j]!, bias);
      const raw = row.reduce((sum, v, j) => sum + v * folded.weights[j]!, folded.bias);
      assert.ok(Math.abs(scaled - raw) < 1e-12, `${scaled} vs ${raw}`);
    }
  });
});
