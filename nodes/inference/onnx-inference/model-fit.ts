/** Checks that a model fits what the node feeds it: at deploy (the flow's features) and per message. */
import { AiotError, isRecord } from "../../../runtime/sdk/index.ts";
import type { ModelVersionInfo } from "../../../runtime/sdk/models.ts";

/**
 * Deploy check: the model takes one float [N, F] input whose F equals its feature names, and the
 * flow provides every feature it needs. Errors name the model, the feature and what the node has.
 */
export function checkModelFits(info: ModelVersionInfo, provided: readonly string[] | undefined): void {
  const model = `${info.name}@${info.version}`;
  const input = info.inputs[0];
  if (info.inputs.length !== 1 || !input) {
    throw new AiotError("MODEL_INPUT_MISMATCH", `model ${model} has ${info.inputs.length} inputs (${info.inputs.map((i) => i.name).join(", ")}); this node feeds exactly one [N, features] tensor`, { model, path: "config.model" });
  }
  const width = input.shape[1];
  if (input.type !== "float32" || input.shape.length !== 2 || (typeof width === "number" && width !== info.featureNames.length)) {
    throw new AiotError("MODEL_INPUT_MISMATCH", `model ${model} input "${input.name}" is ${input.type} [${input.shape.join(", ")}], but this node feeds float32 [N, ${info.featureNames.length}] (one column per registered feature)`, { model, path: "config.model" });
  }
  if (!provided) return;
  const missing = info.featureNames.filter((f) => !provided.includes(f));
  if (missing.length > 0) {
    throw new AiotError("MODEL_INPUT_MISMATCH", `model ${model} needs feature${missing.length > 1 ? "s" : ""} ${missing.map((m) => `"${m}"`).join(", ")}, which the node's features [${provided.join(", ")}] do not provide`, { model, path: "config.features" });
  }
}

/** MODEL_FEATURE_INVALID naming every feature of `payload` that is not a finite number. */
export function featureError(payload: unknown, needed: readonly string[]): AiotError {
  if (!isRecord(payload)) return new AiotError("MODEL_FEATURE_INVALID", "the payload is not an object of named features", { path: "payload" });
  const bad = needed.filter((n) => typeof payload[n] !== "number" || !Number.isFinite(payload[n])).map((n) => `${n}=${payload[n] === undefined ? "missing" : JSON.stringify(payload[n])}`);
  return new AiotError("MODEL_FEATURE_INVALID", `features not finite numbers: ${[...new Set(bad)].join(", ")}`, { path: "payload" });
}
