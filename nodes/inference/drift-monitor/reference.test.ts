import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { FeatureHistogram } from "../../../runtime/sdk/drift-histogram.ts";
import type { FeatureReference, ModelVersionInfo } from "../../../runtime/sdk/models.ts";
import { inlineReference, modelReference } from "./reference.ts";

const good: FeatureHistogram = { edges: [0, 1, 2], proportions: [0.5, 0.5] };
const unsummed: FeatureHistogram = { edges: [0, 1, 2], proportions: [0.5, 0.2] };

function version(reference: Record<string, FeatureReference>): ModelVersionInfo {
  return {
    name: "pump-anomaly", version: 3, stage: "production", sha256: "0".repeat(64), size: 1, featureNames: Object.keys(reference), outputMeaning: [],
    inputs: [], outputs: [], reference, metrics: {}, card: "", registeredAt: "2026-01-01T00:00:00.000Z", registeredBy: "test",
  };
}
const stats = (histogram?: FeatureHistogram): FeatureReference => ({ mean: 1, std: 0.5, ...(histogram ? { histogram } : {}) });

describe("inlineReference", () => {
  it("checks against the inline histograms when every feature has a well-formed one", () => {
    const histograms = { temp: good, vib: good, unused: unsummed };
    assert.deepEqual(inlineReference(histograms, ["temp", "vib"]), { kind: "checked", histograms, model: undefined });
  });

  const refused: Array<[string, Record<string, FeatureHistogram>, string, RegExp, string]> = [
    ["a feature without a histogram", { temp: good }, "DRIFT_REFERENCE_MISSING", /^config\.reference\.histograms has no reference histogram for feature "vib" \(config\.features\[1\]\)$/, "config.features[1]"],
    ["proportions that do not sum to 1", { temp: good, vib: unsummed }, "DRIFT_REFERENCE_INVALID", /the histogram of "vib" proportions sum to 0\.7, not 1/, "config.features[1]"],
    ["edges out of order", { temp: { edges: [0, 2, 1], proportions: [0.5, 0.5] }, vib: good }, "DRIFT_REFERENCE_INVALID", /"temp" edges must be finite and strictly ascending/, "config.features[0]"],
    ["one edge too few", { temp: { edges: [0, 1], proportions: [0.5, 0.5] }, vib: good }, "DRIFT_REFERENCE_INVALID", /has 2 edges for 2 bins/, "config.features[0]"],
    ["a single bin", { temp: { edges: [0, 1], proportions: [1] }, vib: good }, "DRIFT_REFERENCE_INVALID", /needs at least 2 bins/, "config.features[0]"],
    ["a negative proportion", { temp: { edges: [0, 1, 2], proportions: [1.5, -0.5] }, vib: good }, "DRIFT_REFERENCE_INVALID", /finite and >= 0/, "config.features[0]"],
  ];
  for (const [name, histograms, code, message, path] of refused) {
    it(`refuses ${name} with ${code} at ${path}`, () => {
      const feature = path.endsWith("[0]") ? "temp" : "vib";
      assert.throws(() => inlineReference(histograms, ["temp", "vib"]), { code, message, details: { path, feature } });
    });
  }
});

describe("modelReference", () => {
  it("checks against the histograms registered with the version, naming it", () => {
    const reference = modelReference(version({ temp: stats(good), vib: stats(good) }), ["temp", "vib"], true);
    assert.deepEqual(reference, { kind: "checked", histograms: { temp: good, vib: good }, model: "pump-anomaly@3" });
  });

  it("ignores statistics without a histogram for features it does not check", () => {
    const reference = modelReference(version({ temp: stats(good), load: stats() }), ["temp"], true);
    assert.deepEqual(reference, { kind: "checked", histograms: { temp: good }, model: "pump-anomaly@3" });
  });

  for (const strict of [true, false]) {
    const when = strict ? "at deploy" : "after an alias move";
    it(`leaves a version with no histograms for the features unchecked ${when}, saying why`, () => {
      for (const reference of [{}, { temp: stats(), vib: stats() }, { other: stats(good) }]) {
        assert.deepEqual(modelReference(version(reference), ["temp", "vib"], strict), {
          kind: "unchecked", model: "pump-anomaly@3", reason: "no reference statistics for pump-anomaly@3: drift not checked",
        });
      }
    });
  }

  const flawed: Array<[string, Record<string, FeatureReference>, string, RegExp]> = [
    ["histograms for some features but not all", { temp: stats(good), vib: stats() }, "DRIFT_REFERENCE_MISSING", /^model pump-anomaly@3 has no reference histogram for feature "vib" \(config\.features\[1\]\)/],
    ["a malformed histogram", { temp: stats(good), vib: stats(unsummed) }, "DRIFT_REFERENCE_INVALID", /^model pump-anomaly@3: the histogram of "vib" proportions sum to 0\.7, not 1/],
  ];
  for (const [name, reference, code, message] of flawed) {
    it(`refuses a version with ${name} at deploy (${code})`, () => {
      assert.throws(() => modelReference(version(reference), ["temp", "vib"], true), { code, message, details: { path: "config.features[1]", feature: "vib" } });
    });

    it(`leaves a version with ${name} unchecked after an alias move, with the problem as the reason`, () => {
      const result = modelReference(version(reference), ["temp", "vib"], false);
      assert.equal(result.kind, "unchecked");
      assert.equal(result.model, "pump-anomaly@3");
      assert.match(result.kind === "unchecked" ? result.reason : "", new RegExp(`${message.source.slice(1)}.*: drift not checked$`));
    });
  }
});
