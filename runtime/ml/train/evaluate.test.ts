import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chronologicalSplit, heldOutLoss, scoreOf } from "./evaluate.ts";

describe("heldOutLoss", () => {
  it("is the error rate of a classifier, score >= 0.5 being class 1", () => {
    const x = [[0], [0], [0], [0]];
    assert.equal(heldOutLoss("classification", x, [1, 0, 1, 0], [[0.9], [0.2], [0.4], [0.5]]), 0.5);
  });

  it("is the mean absolute error of a regression", () => {
    assert.equal(heldOutLoss("regression", [[0], [0]], [10, 20], [[12], [17]]), 2.5);
  });

  it("is the mean squared reconstruction error of an autoencoder, labels ignored", () => {
    assert.equal(heldOutLoss("anomaly", [[1, 2], [0, 0]], [null, null], [[1, 4], [1, 1]]), (2 + 1) / 2);
  });

  it("is zero for perfect predictions", () => {
    assert.equal(heldOutLoss("classification", [[0]], [1], [[1]]), 0);
    assert.equal(heldOutLoss("regression", [[0]], [3], [[3]]), 0);
  });
});

describe("scoreOf", () => {
  it("scores a classifier or regression by its output, an autoencoder by its reconstruction error", () => {
    assert.equal(scoreOf("classification", [1, 2], [0.8]), 0.8);
    assert.equal(scoreOf("regression", [1, 2], [42]), 42);
    assert.equal(scoreOf("anomaly", [1, 2], [1, 4]), 2);
  });
});

describe("chronologicalSplit", () => {
  const cases: Array<[number, number, number, number]> = [
    [10, 0.2, 8, 2],
    [10, 0.25, 8, 2],
    [3, 0.5, 2, 1],
    [2, 0.9, 1, 1],
    [2, 0, 1, 1],
    [5, 1, 1, 4],
  ];
  for (const [rows, share, train, holdout] of cases) {
    it(`keeps the newest rows for holdout: ${rows} rows at ${share} -> ${train} + ${holdout}, never an empty side`, () => {
      const split = chronologicalSplit(Array.from({ length: rows }, (_, i) => i), share);
      assert.deepEqual([split.train.length, split.holdout.length], [train, holdout]);
      assert.deepEqual([...split.train, ...split.holdout], Array.from({ length: rows }, (_, i) => i), "order kept");
    });
  }
});
