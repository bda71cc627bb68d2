/**
 * Where a drift monitor's training histograms come from: inline config, or the reference statistics
 * registered with a model version. A model version may have none at all (registered through the raw
 * upload route or `aiotflow models register`): that is a state of the registry, not a flow mistake,
 * so it is reported as `unchecked` rather than thrown, and the monitor keeps running without
 * checking input drift until a version with statistics holds the alias.
 */
import { AiotError } from "../../../runtime/sdk/index.ts";
import type { ModelVersionInfo } from "../../../runtime/sdk/models.ts";
import { histogramProblem, type FeatureHistogram } from "../../../runtime/sdk/drift-histogram.ts";

export type DriftReference =
  | { readonly kind: "checked"; readonly histograms: Readonly<Record<string, FeatureHistogram>>; readonly model: string | undefined }
  | { readonly kind: "unchecked"; readonly model: string; readonly reason: string };

/** The inline histograms, every configured feature present and well-formed; throws otherwise. */
export function inlineReference(histograms: Readonly<Record<string, FeatureHistogram>>, features: readonly string[]): DriftReference {
  const problem = referenceProblem(histograms, features, "config.reference.histograms");
  if (problem) throw problem;
  return { kind: "checked", histograms, model: undefined };
}

/**
 * The histograms of a model version. `strict` (at deploy): a version with histograms for some
 * configured features but not all, or a malformed one, is a flow mistake and throws; a version
 * with none at all is `unchecked`. Not strict (after an alias move, in a running flow): every
 * problem is `unchecked`, with its reason.
 */
export function modelReference(info: ModelVersionInfo, features: readonly string[], strict: boolean): DriftReference {
  const model = `${info.name}@${info.version}`;
  const histograms: Record<string, FeatureHistogram> = {};
  for (const [name, stats] of Object.entries(info.reference)) if (stats.histogram) histograms[name] = stats.histogram;
  if (!features.some((name) => histograms[name])) {
    return { kind: "unchecked", model, reason: `no reference statistics for ${model}: drift not checked` };
  }
  const problem = referenceProblem(histograms, features, `model ${model}`);
  if (!problem) return { kind: "checked", histograms, model };
  if (strict) throw problem;
  return { kind: "unchecked", model, reason: `${problem.message}: drift not checked` };
}

function referenceProblem(histograms: Readonly<Record<string, FeatureHistogram>>, features: readonly string[], where: string): AiotError | undefined {
  for (const [i, name] of features.entries()) {
    const histogram = histograms[name];
    if (!histogram) {
      return new AiotError("DRIFT_REFERENCE_MISSING", `${where} has no reference histogram for feature "${name}" (config.features[${i}])`, { path: `config.features[${i}]`, feature: name });
    }
    const problem = histogramProblem(histogram);
    if (problem) return new AiotError("DRIFT_REFERENCE_INVALID", `${where}: the histogram of "${name}" ${problem}`, { path: `config.features[${i}]`, feature: name });
  }
  return undefined;
}
