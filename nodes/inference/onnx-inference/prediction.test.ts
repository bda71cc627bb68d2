import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { attributions, occlusionRows, RateSampler } from "./occlusion.ts";
import { feedbackDecision, predictionOf, RecentDecisions, variantFor } from "./prediction.ts";

describe("prediction mapping", () => {
  it("maps single outputs, class probabilities and reconstruction error", () => {
    assert.deepEqual(predictionOf(Float32Array.of(0.9), Float32Array.of(1), { score: "first", threshold: 0.5, labels: ["ok", "fault"] }), { score: Math.fround(0.9), label: "fault", decision: "fault" });
    assert.deepEqual(predictionOf(Float32Array.of(0.2), Float32Array.of(1), { score: "first", threshold: 0.5 }), { score: Math.fround(0.2), decision: "0" });
    const classes = predictionOf(Float32Array.of(0.1, 0.7, 0.2), Float32Array.of(1), { score: "max", labels: ["a", "b", "c"] });
    assert.equal(classes.label, "b");
    assert.equal(classes.score, Math.fround(0.7));
    assert.deepEqual(Object.keys(classes.probabilities ?? {}), ["a", "b", "c"]);
    const error = predictionOf(Float32Array.of(1, 2), Float32Array.of(0, 4), { score: "reconstruction-error" });
    assert.equal(error.score, (1 + 4) / 2);
  });

  it("reads feedback labels as decisions, and refuses labels it cannot judge", () => {
    assert.equal(feedbackDecision(true, { score: "first", threshold: 0.5, labels: ["ok", "fault"] }), "fault");
    assert.equal(feedbackDecision(false, { score: "first", threshold: 0.5 }), "0");
    assert.equal(feedbackDecision(1, { score: "first" }), "1");
    for (const bad of [undefined, null, "", Number.NaN, {}]) assert.equal(feedbackDecision(bad, { score: "first" }), undefined);
  });

  it("splits keys stickily and in proportion to the percents", () => {
    const variants = [{ id: "a", percent: 80 }, { id: "b", percent: 20 }];
    const counts = { a: 0, b: 0 };
    for (let i = 0; i < 5000; i++) {
      const chosen = variantFor(`device-${i}`, variants)!;
      assert.equal(variantFor(`device-${i}`, variants), chosen, "the same key always gets the same variant");
      counts[chosen.id as "a" | "b"]++;
    }
    assert.ok(counts.b > 800 && counts.b < 1200, `b got ${counts.b} of 5000 keys for 20 %`);
  });

  it("keeps a bounded number of recent decisions", () => {
    const recent = new RecentDecisions(2);
    recent.remember("k1", "a", "x", true);
    recent.remember("k2", "a", "y", true);
    recent.remember("k3", "a", "z", true);
    assert.equal(recent.take("k1"), undefined, "the oldest key was dropped");
    assert.equal(recent.take("k3")?.get("a"), "z");
  });
});

describe("occlusion", () => {
  it("builds M+1 rows with one feature at its baseline in each", () => {
    assert.deepEqual([...occlusionRows(Float32Array.of(1, 2), Float32Array.of(10, 20))], [1, 2, 10, 2, 1, 20]);
  });

  it("ranks attributions by magnitude", () => {
    const explanation = attributions(["a", "b"], Float32Array.of(1, 2), Float32Array.of(0, 0), [5, 4, 8], 2, "reference mean");
    assert.deepEqual(explanation.top.map((t) => [t.feature, t.attribution]), [["b", -3], ["a", 1]]);
  });

  it("samples a steady share of messages, none at rate 0", () => {
    const quarter = new RateSampler(0.25);
    assert.deepEqual(Array.from({ length: 8 }, () => quarter.next()), [false, false, false, true, false, false, false, true]);
    const never = new RateSampler(0);
    assert.ok(Array.from({ length: 100 }, () => never.next()).every((x) => !x));
  });
});
