/**
 * Builds small ONNX models (linear, logistic, MLP, autoencoder) from plain weights, with no Python
 * and no download: the graphs are written with onnx-proto's generated protobuf classes and load in
 * onnxruntime-node as they are.
 *
 * Contract shared by every model built here (the inference node and the registry rely on it):
 * - one float32 input named `features`, shape [N, F] with the symbolic batch dimension `N`;
 * - one float32 output named `score`, shape [N, K];
 * - metadata_props: `aiotflow.features` (JSON array of feature names, in column order),
 *   `aiotflow.output` (JSON array of what each output column means) and `aiotflow.kind`.
 *
 * @example
 * const bytes = linearOnnx({ featureNames: ["temp", "vib"], weights: [0.5, -2], bias: 1, link: "sigmoid" });
 * const session = await ort.InferenceSession.create(bytes);
 */
import onnxProto from "onnx-proto";
import { AiotError } from "../sdk/errors.ts";

const { onnx } = onnxProto;

export const INPUT_NAME = "features";
export const OUTPUT_NAME = "score";
export const FEATURES_METADATA_KEY = "aiotflow.features";
export const OUTPUT_METADATA_KEY = "aiotflow.output";
export const KIND_METADATA_KEY = "aiotflow.kind";

export type Activation = "relu" | "tanh" | "sigmoid" | "identity";

export interface LinearModelSpec {
  readonly featureNames: readonly string[];
  /** One weight per feature (a single output), or one row of weights per output column. */
  readonly weights: readonly number[] | readonly (readonly number[])[];
  /** One bias, or one per output column. */
  readonly bias: number | readonly number[];
  /** `identity` for linear regression, `sigmoid` for logistic regression. */
  readonly link: "identity" | "sigmoid";
  /** What each output column means, e.g. ["probability of failure"]. Defaults to "score". */
  readonly outputMeaning?: readonly string[];
}

export interface DenseLayer {
  /** Weights as out x in (row k holds the weights of output unit k). */
  readonly weights: readonly (readonly number[])[];
  readonly bias: readonly number[];
  readonly activation: Activation;
}

export interface MlpModelSpec {
  readonly featureNames: readonly string[];
  readonly layers: readonly DenseLayer[];
  readonly outputMeaning?: readonly string[];
  /** Stored as `aiotflow.kind`; "autoencoder" when the output is the reconstruction of the input. */
  readonly kind?: string;
  /** A fixed batch size instead of the symbolic `N` (models exported for one row at a time). */
  readonly fixedBatch?: number;
}

/** A linear (identity link) or logistic (sigmoid link) model as ONNX bytes. */
export function linearOnnx(spec: LinearModelSpec): Uint8Array {
  const rows = isMatrix(spec.weights) ? spec.weights : [spec.weights];
  const bias = typeof spec.bias === "number" ? [spec.bias] : spec.bias;
  return mlpOnnx({
    featureNames: spec.featureNames,
    layers: [{ weights: rows, bias, activation: spec.link }],
    kind: spec.link === "sigmoid" ? "logistic" : "linear",
    ...(spec.outputMeaning ? { outputMeaning: spec.outputMeaning } : {}),
  });
}

/** A stack of dense layers (Gemm + activation each) as ONNX bytes. */
export function mlpOnnx(spec: MlpModelSpec): Uint8Array {
  const featureCount = spec.featureNames.length;
  if (featureCount === 0) throw invalid("featureNames", "is empty");
  if (spec.layers.length === 0) throw invalid("layers", "is empty: at least one layer is needed");
  const nodes: onnxProto.onnx.INodeProto[] = [];
  const initializers: onnxProto.onnx.ITensorProto[] = [];
  let current = INPUT_NAME;
  let width = featureCount;
  spec.layers.forEach((layer, index) => {
    checkLayer(layer, index, width);
    const last = index === spec.layers.length - 1;
    const weightName = `layer${index}.weight`;
    const biasName = `layer${index}.bias`;
    initializers.push(floatTensor(weightName, [layer.weights.length, width], layer.weights.flat()));
    initializers.push(floatTensor(biasName, [layer.bias.length], layer.bias));
    const linearOut = last && layer.activation === "identity" ? OUTPUT_NAME : `layer${index}.linear`;
    nodes.push({
      opType: "Gemm",
      name: `layer${index}.gemm`,
      input: [current, weightName, biasName],
      output: [linearOut],
      attribute: [{ name: "transB", type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
    });
    current = linearOut;
    if (layer.activation !== "identity") {
      const activated = last ? OUTPUT_NAME : `layer${index}.out`;
      nodes.push({ opType: ACTIVATION_OPS[layer.activation], name: `layer${index}.act`, input: [current], output: [activated] });
      current = activated;
    }
    width = layer.weights.length;
  });
  const outputMeaning = spec.outputMeaning ?? (width === 1 ? ["score"] : Array.from({ length: width }, (_, k) => `score[${k}]`));
  if (outputMeaning.length !== width) {
    throw invalid("outputMeaning", `has ${outputMeaning.length} entries but the model has ${width} outputs`);
  }
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: "aiotflow",
    producerVersion: "1",
    opsetImport: [{ domain: "", version: 13 }],
    metadataProps: [
      { key: FEATURES_METADATA_KEY, value: JSON.stringify(spec.featureNames) },
      { key: OUTPUT_METADATA_KEY, value: JSON.stringify(outputMeaning) },
      { key: KIND_METADATA_KEY, value: spec.kind ?? "mlp" },
    ],
    graph: {
      name: "aiotflow-model",
      node: nodes,
      initializer: initializers,
      input: [tensorInfo(INPUT_NAME, featureCount, spec.fixedBatch)],
      output: [tensorInfo(OUTPUT_NAME, width, spec.fixedBatch)],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

const ACTIVATION_OPS: Record<Exclude<Activation, "identity">, string> = { relu: "Relu", tanh: "Tanh", sigmoid: "Sigmoid" };

function isMatrix(weights: readonly number[] | readonly (readonly number[])[]): weights is readonly (readonly number[])[] {
  return weights.length > 0 && Array.isArray(weights[0]);
}

function checkLayer(layer: DenseLayer, index: number, inputWidth: number): void {
  if (layer.weights.length === 0) throw invalid(`layers[${index}].weights`, "is empty");
  if (layer.bias.length !== layer.weights.length) {
    throw invalid(`layers[${index}].bias`, `has ${layer.bias.length} biases but the layer has ${layer.weights.length} weight rows`);
  }
  layer.weights.forEach((row, r) => {
    if (row.length !== inputWidth) {
      throw invalid(`layers[${index}].weights[${r}]`, `has ${row.length} columns, expected ${inputWidth} (the layer's input width)`);
    }
    if (!row.every(Number.isFinite)) throw invalid(`layers[${index}].weights[${r}]`, "holds a non-finite number");
  });
  if (!layer.bias.every(Number.isFinite)) throw invalid(`layers[${index}].bias`, "holds a non-finite number");
}

/** Names the spec field at fault (`layers[0].bias holds a non-finite number`): a retraining run reports it as it is. */
function invalid(path: string, problem: string): AiotError {
  return new AiotError("ONNX_EXPORT_INVALID", `onnx export: ${path} ${problem}`, { path });
}

function floatTensor(name: string, dims: number[], values: readonly number[]): onnxProto.onnx.ITensorProto {
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, floatData: [...values] };
}

function tensorInfo(name: string, columns: number, fixedBatch: number | undefined): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: [fixedBatch === undefined ? { dimParam: "N" } : { dimValue: fixedBatch }, { dimValue: columns }] },
      },
    },
  };
}
