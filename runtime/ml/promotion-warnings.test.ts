import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { FeatureReference, ModelStage, ModelVersionInfo } from "../sdk/models.ts";
import { promotionWarnings } from "./promotion-warnings.ts";

function version(reference: Record<string, FeatureReference>): ModelVersionInfo {
  return {
    name: "pump", version: 4, stage: "candidate", sha256: "0".repeat(64), size: 1, featureNames: ["temp", "vib"], outputMeaning: [],
    inputs: [], outputs: [], reference, metrics: {}, card: "", registeredAt: "", registeredBy: "test",
  };
}
const stats: FeatureReference = { mean: 1, std: 1 };

describe("promotionWarnings", () => {
  const cases: Array<[string, Record<string, FeatureReference>, ModelStage, string[]]> = [
    ["full reference statistics", { temp: stats, vib: stats }, "production", []],
    ["statistics for features the model does not use only", { other: stats }, "production", [
      "version 4 has no reference statistics: drift monitors following this model will not check drift, explanations use a zero baseline",
    ]],
    ["no reference statistics, as candidate", {}, "candidate", [
      "version 4 has no reference statistics: drift monitors following this model will not check drift, explanations use a zero baseline",
    ]],
    ["statistics for some features", { temp: stats }, "production", [
      "version 4 has no reference statistics for vib: drift monitors checking them will not check drift, explanations use a zero baseline for them",
    ]],
    ["no statistics, archived (no flow follows it)", {}, "archived", []],
  ];
  for (const [name, reference, stage, warnings] of cases) {
    it(`warns ${warnings.length === 0 ? "about nothing" : "about what is missing"} for a version with ${name}`, () => {
      assert.deepEqual(promotionWarnings(version(reference), stage), warnings);
    });
  }
});
