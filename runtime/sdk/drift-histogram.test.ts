import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SeededRandom } from "./seeded-random.ts";
import { binOf, histogramProblem, jensenShannon, psi, referenceHistogram, WindowHistogram } from "./drift-histogram.ts";

function normals(seed: number, n: number, mean = 0, std = 1): number[] {
  const random = new SeededRandom(seed);
  return Array.from({ length: n }, () => mean + std * random.gaussian());
}

describe("drift histograms", () => {
  it("puts values in [edge, next edge) bins and out-of-range values in the end bins", () => {
    const edges = [0, 1, 2, 3];
    assert.deepEqual([-5, 0, 0.5, 1, 2.99, 3, 99].map((v) => binOf(edges, v)), [0, 0, 0, 1, 2, 2, 2]);
  });

  it("computes PSI and Jensen-Shannon for a textbook case", () => {
    // Expected 50/50, actual 25/75: PSI = (0.25-0.5)ln(0.5) + (0.75-0.5)ln(1.5) = 0.2747
    assert.ok(Math.abs(psi([0.5, 0.5], [25, 75], 100) - 0.274653) < 1e-5);
    assert.equal(psi([0.5, 0.5], [50, 50], 100), 0);
    assert.equal(jensenShannon([0.5, 0.5], [50, 50], 100), 0);
    assert.ok(Math.abs(jensenShannon([1, 0], [0, 10], 10) - 1) < 1e-12, "disjoint distributions are 1 bit apart");
  });

  it("builds quantile reference bins with equal proportions from training values", () => {
    const reference = referenceHistogram(normals(1, 10_000), 10);
    assert.equal(histogramProblem(reference), undefined);
    assert.equal(reference.proportions.length, 10);
    for (const p of reference.proportions) assert.ok(Math.abs(p - 0.1) < 0.002, `proportion ${p}`);
  });

  it("stays below 0.1 PSI on windows from the training distribution and passes 0.25 after a one-sigma shift", () => {
    const reference = referenceHistogram(normals(2, 5_000), 10);
    const window = new WindowHistogram(reference);
    for (const v of normals(3, 1_000)) window.add(v);
    assert.ok(window.divergence("psi") < 0.1, `stationary PSI ${window.divergence("psi")}`);
    assert.ok(window.divergence("js") < 0.02, `stationary JS ${window.divergence("js")}`);
    window.reset();
    for (const v of normals(4, 1_000, 1)) window.add(v);
    assert.ok(window.divergence("psi") > 0.25, `shifted PSI ${window.divergence("psi")}`);
    assert.ok(window.divergence("js") > 0.05, `shifted JS ${window.divergence("js")}`);
  });

  it("gives a constant feature two bins and ignores NaN and infinite training values", () => {
    assert.deepEqual(referenceHistogram([3, 3, Number.NaN, 3, Number.POSITIVE_INFINITY]), { edges: [2.5, 3, 3.5], proportions: [0, 1] });
    assert.throws(() => referenceHistogram([Number.NaN]), { code: "TRAINING_SET_INVALID", message: /no finite values/ });
  });

  const bad: Array<[string, { edges: number[]; proportions: number[] }, RegExp]> = [
    ["one bin", { edges: [0, 1], proportions: [1] }, /at least 2 bins/],
    ["edges not matching bins", { edges: [0, 1], proportions: [0.5, 0.5] }, /needs bins \+ 1/],
    ["descending edges", { edges: [0, 2, 1], proportions: [0.5, 0.5] }, /ascending/],
    ["NaN edges", { edges: [0, Number.NaN, 1], proportions: [0.5, 0.5] }, /ascending/],
    ["proportions not summing to 1", { edges: [0, 1, 2], proportions: [0.5, 0.6] }, /sum to/],
    ["negative proportions", { edges: [0, 1, 2], proportions: [1.5, -0.5] }, /finite and >= 0/],
  ];
  for (const [name, histogram, problem] of bad) {
    it(`names the problem of a reference with ${name}`, () => assert.match(histogramProblem(histogram) ?? "", problem));
  }
});
