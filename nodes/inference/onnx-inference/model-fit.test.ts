import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ModelTensorInfo, ModelVersionInfo } from "../../../runtime/sdk/models.ts";
import { checkModelFits, featureError } from "./model-fit.ts";

function model(inputs: ModelTensorInfo[], featureNames = ["temp", "vib", "load"]): ModelVersionInfo {
  return {
    name: "pump", version: 2, stage: "production", sha256: "0".repeat(64), size: 1, featureNames, outputMeaning: [],
    inputs, outputs: [{ name: "score", type: "float32", shape: ["N", 1] }], reference: {}, metrics: {}, card: "", registeredAt: "", registeredBy: "test",
  };
}
const features = (shape: ModelTensorInfo["shape"], type = "float32"): ModelTensorInfo => ({ name: "features", type, shape });

describe("checkModelFits", () => {
  const fitting: Array<[string, ModelVersionInfo, readonly string[] | undefined]> = [
    ["a float32 [N, 3] input for three features", model([features(["N", 3])]), ["temp", "vib", "load"]],
    ["a batch dimension of unknown size", model([features([null, 3])]), undefined],
    ["a symbolic feature dimension", model([features(["N", "F"])]), undefined],
    ["a flow that provides more features than the model needs", model([features(["N", 3])]), ["load", "extra", "vib", "temp"]],
  ];
  for (const [name, info, provided] of fitting) it(`accepts ${name}`, () => assert.doesNotThrow(() => checkModelFits(info, provided)));

  const refused: Array<[string, ModelVersionInfo, readonly string[] | undefined, RegExp, string]> = [
    ["no input", model([]), undefined, /^model pump@2 has 0 inputs \(\); this node feeds exactly one \[N, features\] tensor$/, "config.model"],
    ["two inputs", model([features(["N", 3]), { name: "mask", type: "float32", shape: ["N", 3] }]), undefined, /has 2 inputs \(features, mask\)/, "config.model"],
    ["an int64 input", model([features(["N", 3], "int64")]), undefined, /input "features" is int64 \[N, 3\], but this node feeds float32 \[N, 3\]/, "config.model"],
    ["a rank-3 input", model([features(["N", 3, 1])]), undefined, /is float32 \[N, 3, 1\]/, "config.model"],
    ["a width other than its feature names", model([features(["N", 4])]), undefined, /is float32 \[N, 4\], but this node feeds float32 \[N, 3\] \(one column per registered feature\)/, "config.model"],
    ["a feature the flow does not provide", model([features(["N", 3])]), ["temp", "load"], /^model pump@2 needs feature "vib", which the node's features \[temp, load\] do not provide$/, "config.features"],
    ["several features the flow does not provide", model([features(["N", 3])]), ["load"], /needs features "temp", "vib", which/, "config.features"],
  ];
  for (const [name, info, provided, message, path] of refused) {
    it(`refuses a model with ${name} (MODEL_INPUT_MISMATCH at ${path})`, () => {
      assert.throws(() => checkModelFits(info, provided), { code: "MODEL_INPUT_MISMATCH", message, details: { model: "pump@2", path } });
    });
  }
});

describe("featureError", () => {
  const needed = ["temp", "vib", "load"];
  const cases: Array<[string, unknown, string]> = [
    ["a payload that is not an object", 42, "the payload is not an object of named features"],
    ["a null payload", null, "the payload is not an object of named features"],
    ["an array payload", [1, 2, 3], "the payload is not an object of named features"],
    ["a missing feature", { temp: 1, load: 2 }, "features not finite numbers: vib=missing"],
    ["text and NaN", { temp: "61", vib: Number.NaN, load: 1 }, 'features not finite numbers: temp="61", vib=null'],
    ["infinity and null", { temp: Number.POSITIVE_INFINITY, vib: null, load: 1 }, "features not finite numbers: temp=null, vib=null"],
  ];
  for (const [name, payload, message] of cases) {
    it(`names what is wrong with ${name} (MODEL_FEATURE_INVALID at payload)`, () => {
      const error = featureError(payload, needed);
      assert.deepEqual([error.code, error.message, error.details], ["MODEL_FEATURE_INVALID", message, { path: "payload" }]);
    });
  }

  it("names a feature the model lists twice once", () => {
    assert.equal(featureError({}, ["a", "a"]).message, "features not finite numbers: a=missing");
  });
});
