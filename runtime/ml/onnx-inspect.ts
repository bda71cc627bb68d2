/**
 * Reads what a model file declares (input/output names, element types, shapes, metadata) without
 * running it, so the registry can refuse a file that is not ONNX and the inference node can check a
 * flow's features against the model at deploy time.
 */
import onnxProto from "onnx-proto";
import { AiotError, errorMessage } from "../sdk/errors.ts";

const { onnx } = onnxProto;

/** A dimension: a fixed size, a symbolic name (e.g. the batch dimension "N"), or unknown (null). */
export type Dim = number | string | null;

export interface TensorSignature {
  readonly name: string;
  /** onnxruntime's type name: float32, float64, int64, ... (or "unknown" for non-tensor values). */
  readonly type: string;
  readonly shape: readonly Dim[];
}

export interface OnnxSignature {
  readonly inputs: readonly TensorSignature[];
  readonly outputs: readonly TensorSignature[];
  readonly opsets: readonly { readonly domain: string; readonly version: number }[];
  readonly producer: string;
  readonly metadata: Readonly<Record<string, string>>;
}

const ELEMENT_TYPES: Record<number, string> = {
  1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64", 8: "string",
  9: "bool", 10: "float16", 11: "float64", 12: "uint32", 13: "uint64",
};

/**
 * Decodes `bytes` as an ONNX ModelProto. Throws MODEL_NOT_ONNX when the bytes do not decode or hold
 * no graph with inputs and outputs (protobuf decodes many random byte strings "successfully").
 */
export function inspectOnnx(bytes: Uint8Array, file = "model"): OnnxSignature {
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new AiotError("MODEL_NOT_ONNX", `${file} is not an ONNX model: ${errorMessage(error)}`, { file });
  }
  const graph = model.graph;
  // Initializers are graph inputs in old IR versions; they are weights, not what a flow feeds.
  const weights = new Set((graph?.initializer ?? []).map((t) => t.name));
  const inputs = (graph?.input ?? []).filter((v) => !weights.has(v.name)).map(signatureOf);
  const outputs = (graph?.output ?? []).map(signatureOf);
  if (!graph || Number(model.irVersion) < 3 || inputs.length === 0 || outputs.length === 0 || (graph.node ?? []).length === 0) {
    throw new AiotError("MODEL_NOT_ONNX", `${file} is not an ONNX model: no graph with inputs, outputs and nodes`, { file });
  }
  const metadata: Record<string, string> = {};
  for (const prop of model.metadataProps ?? []) if (prop.key) metadata[prop.key] = prop.value ?? "";
  return {
    inputs,
    outputs,
    opsets: (model.opsetImport ?? []).map((o) => ({ domain: o.domain ?? "", version: Number(o.version) })),
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(" "),
    metadata,
  };
}

function signatureOf(value: onnxProto.onnx.IValueInfoProto): TensorSignature {
  const tensor = value.type?.tensorType;
  const dims = tensor?.shape?.dim ?? [];
  return {
    name: value.name ?? "",
    type: tensor ? (ELEMENT_TYPES[tensor.elemType ?? 0] ?? "unknown") : "unknown",
    shape: dims.map((d): Dim => (d.dimParam ? d.dimParam : d.dimValue !== null && d.dimValue !== undefined && Number(d.dimValue) > 0 ? Number(d.dimValue) : null)),
  };
}

/** The number of feature columns a [N, F] input takes, or undefined when the model does not fix it. */
export function featureWidth(input: TensorSignature): number | undefined {
  const last = input.shape[input.shape.length - 1];
  return input.shape.length === 2 && typeof last === "number" ? last : undefined;
}

/** Feature names written by onnx-export (`aiotflow.features`), or undefined for other producers. */
export function featureNamesFromMetadata(signature: OnnxSignature): string[] | undefined {
  const raw = signature.metadata["aiotflow.features"];
  if (raw === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) && parsed.every((n) => typeof n === "string") ? parsed : undefined;
  } catch {
    return undefined;
  }
}
