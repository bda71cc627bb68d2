import assert from "node:assert/strict";
import { describe, it } from "node:test";
import onnxProto from "onnx-proto";
import { linearOnnx, mlpOnnx } from "./onnx-export.ts";
import { featureNamesFromMetadata, featureWidth, inspectOnnx, type OnnxSignature, type TensorSignature } from "./onnx-inspect.ts";

const { onnx } = onnxProto;
const linear = linearOnnx({ featureNames: ["temp", "vib"], weights: [1, 2], bias: 0, link: "sigmoid" });

/** `bytes` decoded, changed by `edit`, encoded again: ONNX files the exporter does not write. */
function edited(bytes: Uint8Array, edit: (model: onnxProto.onnx.ModelProto, graph: onnxProto.onnx.GraphProto) => void): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  edit(model, model.graph as onnxProto.onnx.GraphProto); // decoding builds a GraphProto, whose lists are never null
  return onnx.ModelProto.encode(model).finish();
}

describe("inspectOnnx", () => {
  it("reads inputs, outputs, opsets, producer and metadata without running the model", () => {
    const signature = inspectOnnx(linear);
    assert.deepEqual(signature.inputs, [{ name: "features", type: "float32", shape: ["N", 2] }]);
    assert.deepEqual(signature.outputs, [{ name: "score", type: "float32", shape: ["N", 1] }]);
    assert.deepEqual(signature.opsets, [{ domain: "", version: 13 }]);
    assert.equal(signature.producer, "aiotflow 1");
    assert.deepEqual(signature.metadata, { "aiotflow.features": '["temp","vib"]', "aiotflow.output": '["score"]', "aiotflow.kind": "logistic" });
  });

  it("reads a fixed batch size as a number", () => {
    const fixed = mlpOnnx({ featureNames: ["a"], layers: [{ weights: [[1]], bias: [0], activation: "identity" }], fixedBatch: 1 });
    assert.deepEqual(inspectOnnx(fixed).inputs[0]!.shape, [1, 1]);
  });

  it("reads an unset or zero dimension as unknown, and an element type it does not know as unknown", () => {
    const bytes = edited(linear, (_model, graph) => {
      const tensor = graph.input[0]!.type!.tensorType!;
      tensor.shape!.dim = [{}, { dimValue: 0 }];
      tensor.elemType = 99;
    });
    assert.deepEqual(inspectOnnx(bytes).inputs, [{ name: "features", type: "unknown", shape: [null, null] }]);
  });

  it("does not list weights that old IR versions also declare as graph inputs", () => {
    const bytes = edited(linear, (_model, graph) => {
      graph.input.push(onnx.ValueInfoProto.create({ name: graph.initializer[0]!.name ?? null, type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }, { dimValue: 2 }] } } } }));
    });
    assert.deepEqual(inspectOnnx(bytes).inputs.map((i) => i.name), ["features"]);
  });

  const refused: Array<[string, Uint8Array, RegExp]> = [
    ["CSV text", new TextEncoder().encode("temperature,vibration\n1,2\n"), /^upload\.onnx is not an ONNX model: /],
    ["random bytes", new Uint8Array([0xff, 0xff, 0xff, 0x01]), /^upload\.onnx is not an ONNX model: /],
    ["an empty file", new Uint8Array(), /no graph with inputs, outputs and nodes/],
    ["a model without graph", edited(linear, (model) => void (model.graph = null)), /no graph with inputs, outputs and nodes/],
    ["a graph without nodes", edited(linear, (_model, graph) => void (graph.node = [])), /no graph/],
    ["a graph without outputs", edited(linear, (_model, graph) => void (graph.output = [])), /no graph/],
    ["a graph whose only inputs are weights", edited(linear, (_model, graph) => void (graph.input = graph.initializer.map((t) => onnx.ValueInfoProto.create({ name: t.name ?? null })))), /no graph/],
    ["an IR version before 3", edited(linear, (model) => void (model.irVersion = 2)), /no graph/],
  ];
  for (const [name, bytes, message] of refused) {
    it(`refuses ${name} with MODEL_NOT_ONNX naming the file`, () => {
      assert.throws(() => inspectOnnx(bytes, "upload.onnx"), { code: "MODEL_NOT_ONNX", message, details: { file: "upload.onnx" } });
    });
  }
});

describe("featureWidth", () => {
  const cases: Array<[TensorSignature["shape"], number | undefined]> = [
    [["N", 3], 3],
    [[1, 3], 3],
    [["N", "F"], undefined],
    [["N", null], undefined],
    [["N", 3, 1], undefined],
    [[3], undefined],
  ];
  for (const [shape, width] of cases) {
    it(`takes ${String(width)} columns from [${shape.join(", ")}]`, () => assert.equal(featureWidth({ name: "x", type: "float32", shape }), width));
  }
});

describe("featureNamesFromMetadata", () => {
  const signature = (metadata: Record<string, string>): OnnxSignature => ({ inputs: [], outputs: [], opsets: [], producer: "", metadata });
  const cases: Array<[string, Record<string, string>, string[] | undefined]> = [
    ["the names onnx-export wrote", { "aiotflow.features": '["temp","vib"]' }, ["temp", "vib"]],
    ["a model from another producer", {}, undefined],
    ["metadata that is not JSON", { "aiotflow.features": "temp,vib" }, undefined],
    ["a JSON object", { "aiotflow.features": '{"temp":0}' }, undefined],
    ["a list with a number in it", { "aiotflow.features": '["temp",3]' }, undefined],
  ];
  for (const [name, metadata, names] of cases) it(`reads ${name} as ${JSON.stringify(names)}`, () => assert.deepEqual(featureNamesFromMetadata(signature(metadata)), names));
});
