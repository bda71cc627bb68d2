import type { ModelStage, ModelVersionInfo } from "../sdk/models.ts";

/**
 * What an operator should know when `stage` (an alias flows follow) moves to `info`: a version
 * registered without reference statistics (the raw upload route, `aiotflow models register`) leaves
 * drift monitors following the model unchecked and explanations against a zero baseline.
 */
export function promotionWarnings(info: ModelVersionInfo, stage: ModelStage): string[] {
  if (stage !== "production" && stage !== "candidate") return [];
  const missing = info.featureNames.filter((name) => !info.reference[name]);
  if (missing.length === 0) return [];
  if (missing.length === info.featureNames.length) {
    return [`version ${info.version} has no reference statistics: drift monitors following this model will not check drift, explanations use a zero baseline`];
  }
  return [`version ${info.version} has no reference statistics for ${missing.join(", ")}: drift monitors checking them will not check drift, explanations use a zero baseline for them`];
}
