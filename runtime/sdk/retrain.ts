/**
 * The retraining loop as nodes see it: `ctx.use(RETRAIN).trigger(job, why)` hands a job to the
 * runtime, which trains a candidate from the feature store's recent rows, evaluates it against the
 * production model, registers it and promotes it when the policy allows (runtime/ml/retrain.ts).
 * `trigger` returns at once; outcomes land in the model registry and its audit log.
 */
import { serviceKey, type ServiceKey } from "./services.ts";

export type RetrainTask = "classification" | "regression" | "anomaly";

export interface RetrainJob {
  /** Registry name: the candidate becomes its next version. */
  readonly model: string;
  /** A built-in trainer, or `webhook` for an external one. */
  readonly trainer: "logistic" | "linear" | "autoencoder" | "webhook";
  /** Required for `webhook` (built-in trainers imply it): how the candidate is scored. */
  readonly task?: RetrainTask;
  /** Train on feature-store rows of the last `windowMs` (event time). */
  readonly windowMs: number;
  /** Only rows recorded by this flow. */
  readonly flowId?: string;
  /** Fewest rows to train on (default 50). */
  readonly minRows?: number;
  /** Newest share of rows held out for evaluation (default 0.2). */
  readonly holdoutShare?: number;
  /** Promote automatically when the held-out loss is this much lower than production's (relative, default 0.05). */
  readonly minImprovement?: number;
  /** false: never promote automatically; an operator approves via the API. */
  readonly autoPromote?: boolean;
  /** Largest acceptable held-out loss (error rate, MAE or reconstruction MSE); above it evaluation fails. */
  readonly maxLoss?: number;
  /** External trainer: receives the training rows, answers `{ onnxBase64 }`. */
  readonly webhook?: { readonly url: string; readonly timeoutMs?: number };
}

export interface RetrainReason {
  readonly reason: "drift" | "decay" | "schedule" | "manual";
  readonly detail?: Readonly<Record<string, unknown>>;
}

export interface RetrainService {
  /** Starts a run unless one for the same model is running or cooling down; never throws for a failed run. */
  trigger(job: RetrainJob, why: RetrainReason): void;
}

export const RETRAIN: ServiceKey<RetrainService> = serviceKey<RetrainService>("retrain");
