/**
 * The model registry as nodes see it: `const models = ctx.use(MODELS)` in `create`. The runtime
 * (serve, `aiotflow run --data-dir`, tests) provides it; the implementation is
 * runtime/ml/model-registry.ts.
 *
 * Conventions every producer and consumer of registered models shares:
 * - `reference` holds training statistics per feature name (drift detectors and explanation
 *   baselines read it): mean and std always, a histogram (bin edges + proportions) when known;
 *   `reference.$score` may hold the same statistics for the model's first output.
 * - `metrics.evaluation` is the result of evaluating the version before promotion:
 *   `{ passed: boolean, reason?: string, ... }`. A version whose `metrics.evaluation.passed` is
 *   false can never be promoted to production (MODEL_EVALUATION_FAILED); one without an
 *   evaluation can (it was registered by hand).
 */
import type { ServiceKey } from "./services.ts";
import { serviceKey } from "./services.ts";

export const MODEL_STAGES = ["candidate", "production", "archived"] as const;
export type ModelStage = (typeof MODEL_STAGES)[number];
/** What a node asks for: a stage alias (the version currently holding it) or a fixed version. */
export type ModelRef = "production" | "candidate" | number;

export interface FeatureReference {
  readonly mean: number;
  readonly std: number;
  readonly min?: number;
  readonly max?: number;
  readonly count?: number;
  /** Bin edges (ascending, bins+1 values) and the share of training rows in each bin (sums to 1). */
  readonly histogram?: { readonly edges: readonly number[]; readonly proportions: readonly number[] };
}

export interface ModelEvaluation {
  readonly passed: boolean;
  readonly reason?: string;
  readonly [extra: string]: unknown;
}

export interface ModelMetrics {
  readonly evaluation?: ModelEvaluation;
  readonly [name: string]: unknown;
}

export interface ModelTensorInfo {
  readonly name: string;
  readonly type: string;
  /** Fixed sizes, symbolic names ("N") or null for unknown dimensions. */
  readonly shape: readonly (number | string | null)[];
}

export interface ModelVersionInfo {
  readonly name: string;
  readonly version: number;
  readonly stage: ModelStage;
  readonly sha256: string;
  readonly size: number;
  /** Feature names in the input tensor's column order. */
  readonly featureNames: readonly string[];
  /** What each output column means, e.g. ["probability of failure"]. */
  readonly outputMeaning: readonly string[];
  readonly inputs: readonly ModelTensorInfo[];
  readonly outputs: readonly ModelTensorInfo[];
  readonly reference: Readonly<Record<string, FeatureReference>>;
  readonly metrics: ModelMetrics;
  /** Free text: what the model is for, how it was trained, its limits. */
  readonly card: string;
  readonly registeredAt: string;
  readonly registeredBy: string;
}

export interface ModelOutputTensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

/** A loaded model, shared by every node using the same file. */
export interface ModelRunner {
  readonly info: ModelVersionInfo;
  /** Runs `rows` rows of `featureNames.length` float32 columns; resolves with every float output. */
  run(features: Float32Array, rows: number): Promise<Readonly<Record<string, ModelOutputTensor>>>;
  /** Releases this user's hold; the session closes when its last user releases it. */
  release(): Promise<void>;
}

export interface ModelEvent {
  readonly kind: "registered" | "promoted";
  readonly name: string;
  readonly version: number;
  readonly stage: ModelStage;
  /** For a promotion to production: the version that held the alias before (now archived). */
  readonly previous?: number;
  readonly actor: string;
}

/** What nodes may do with the registry: look models up, load them, follow alias moves. */
export interface ModelResolver {
  /** The version `ref` points at now; throws MODEL_NOT_FOUND. Synchronous, so `create` can check features. */
  resolve(name: string, ref: ModelRef): ModelVersionInfo;
  /** Loads a version after checking its file hash (MODEL_HASH_MISMATCH) and that it is ONNX. */
  open(name: string, version: number): Promise<ModelRunner>;
  /** Called after every registration and promotion; returns the unsubscribe function. */
  subscribe(listener: (event: ModelEvent) => void): () => void;
}

export const MODELS: ServiceKey<ModelResolver> = serviceKey<ModelResolver>("models");
