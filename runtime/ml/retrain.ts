/**
 * The retraining loop: a drift or decay event, a schedule or an operator triggers a run that
 * 1. takes the feature store's rows of the last `windowMs` (labelled ones for supervised models),
 *    oldest first, holding out the newest share for evaluation;
 * 2. trains a candidate with a built-in trainer, or posts the training rows to an external trainer's
 *    webhook, which answers `{ onnxBase64 }`;
 * 3. scores candidate and production on the held-out rows, both through onnxruntime;
 * 4. registers the candidate with reference statistics of its training rows and its evaluation
 *    (`metrics.evaluation.passed` false when a check fails: the registry then refuses to promote it);
 * 5. promotes it when it passed, policy allows and its loss is lower by `minImprovement`; otherwise
 *    it waits for an operator (POST /api/models/<name>/versions/<v>/promote).
 * The registry audits every registration and promotion. A run never throws: its outcome is returned
 * and kept in `history`.
 */
import * as ort from "onnxruntime-node";
import { AiotError, errorMessage, isAiotError } from "../sdk/errors.ts";
import type { Logger } from "../sdk/define.ts";
import type { ModelEvaluation } from "../sdk/models.ts";
import { FEATURE_STORE } from "../sdk/feature-store.ts";
import { RETRAIN, type RetrainJob, type RetrainReason, type RetrainService, type RetrainTask } from "../sdk/retrain.ts";
import { provide, type ServiceBinding } from "../sdk/services.ts";
import { openFeatureStore, type FeatureStore, type TrainingSet } from "./feature-store.ts";
import type { ModelRegistry } from "./model-registry.ts";
import { INPUT_NAME, OUTPUT_NAME } from "./onnx-export.ts";
import { autoencoderOnnx, trainAutoencoder } from "./train/autoencoder.ts";
import { chronologicalSplit, heldOutLoss, scoreOf } from "./train/evaluate.ts";
import { linearModelOnnx, trainLinearRegression, trainLogisticRegression } from "./train/linear.ts";
import { referenceStatistics } from "./train/reference.ts";

export type RetrainOutcome =
  | { readonly status: "promoted" | "awaiting-approval" | "failed-evaluation"; readonly model: string; readonly version: number; readonly evaluation: Evaluation }
  | { readonly status: "skipped"; readonly model: string; readonly reason: string }
  | { readonly status: "failed"; readonly model: string; readonly error: { code: string; message: string } };

export interface Evaluation extends ModelEvaluation {
  readonly task: RetrainTask;
  readonly candidateLoss: number;
  readonly productionLoss?: number;
  readonly productionVersion?: number;
  /** (production - candidate) / production: 0.1 = 10% lower loss. */
  readonly improvement?: number;
  readonly trainRows: number;
  readonly holdoutRows: number;
  readonly trigger: RetrainReason["reason"];
}

export interface RetrainerOptions {
  readonly registry: ModelRegistry;
  readonly store: FeatureStore;
  readonly logger?: Logger;
  /** Wall clock; the training window ends now. */
  readonly now?: () => number;
  /** A model is not retrained again within this long after a run (default 10 minutes). */
  readonly cooldownMs?: number;
}

const TASK_OF = { logistic: "classification", linear: "regression", autoencoder: "anomaly" } as const;

export class Retrainer implements RetrainService {
  readonly history: RetrainOutcome[] = [];
  private readonly running = new Map<string, Promise<RetrainOutcome>>();
  private readonly lastRun = new Map<string, number>();

  constructor(private readonly options: RetrainerOptions) {}

  trigger(job: RetrainJob, why: RetrainReason): void {
    void this.run(job, why);
  }

  /** One run (or the running one's outcome, or "skipped" while cooling down). */
  run(job: RetrainJob, why: RetrainReason): Promise<RetrainOutcome> {
    const busy = this.running.get(job.model);
    if (busy) return busy;
    const now = this.now();
    const last = this.lastRun.get(job.model);
    const cooldown = this.options.cooldownMs ?? 600_000;
    if (why.reason !== "manual" && last !== undefined && now - last < cooldown) {
      return Promise.resolve(this.remember({ status: "skipped", model: job.model, reason: `retrained ${Math.round((now - last) / 1000)} s ago (cooldown ${cooldown / 1000} s)` }));
    }
    this.lastRun.set(job.model, now);
    const run = this.execute(job, why)
      .catch((error: unknown): RetrainOutcome => {
        const code = isAiotError(error) ? error.code : "RETRAIN_FAILED";
        this.options.logger?.warn(`retraining ${job.model} failed: ${errorMessage(error)}`, { code });
        return { status: "failed", model: job.model, error: { code, message: errorMessage(error) } };
      })
      .then((outcome) => this.remember(outcome))
      .finally(() => this.running.delete(job.model));
    this.running.set(job.model, run);
    return run;
  }

  private async execute(job: RetrainJob, why: RetrainReason): Promise<RetrainOutcome> {
    const task = job.trainer === "webhook" ? job.task : TASK_OF[job.trainer];
    if (!task) throw new AiotError("RETRAIN_FAILED", `job for ${job.model}: a webhook trainer needs "task"`, { path: "task" });
    const now = this.now();
    const set = this.options.store.trainingSet({ from: now - job.windowMs, to: now + 1, ...(job.flowId ? { flowId: job.flowId } : {}), ...(task === "anomaly" ? {} : { labelled: true }) });
    const minRows = job.minRows ?? 50;
    if (set.rows.length < minRows) {
      throw new AiotError("TRAINING_SET_EMPTY", `model ${job.model}: ${set.rows.length} ${task === "anomaly" ? "" : "labelled "}rows in the last ${job.windowMs} ms, needs ${minRows}`, { model: job.model });
    }
    const { train, holdout } = chronologicalSplit(set.rows, job.holdoutShare ?? 0.2);
    const trainX = train.map((r) => r.x);
    const trainY = train.map((r) => r.label ?? Number.NaN);
    const data = { featureNames: set.featureNames, x: trainX, y: trainY };
    const bytes =
      job.trainer === "logistic" ? linearModelOnnx(trainLogisticRegression(data))
      : job.trainer === "linear" ? linearModelOnnx(trainLinearRegression(data))
      : job.trainer === "autoencoder" ? autoencoderOnnx(trainAutoencoder({ featureNames: set.featureNames, x: trainX }))
      : await this.external(job, why, set, train);

    const candidateOut = await runBytes(bytes, trainX.concat(holdout.map((r) => r.x)));
    const holdoutX = holdout.map((r) => r.x);
    const holdoutY = holdout.map((r) => r.label);
    const candidateLoss = heldOutLoss(task, holdoutX, holdoutY, candidateOut.slice(train.length));
    const production = await this.productionLoss(job.model, set.featureNames, task, holdoutX, holdoutY);
    const improvement = production && production.loss > 0 ? (production.loss - candidateLoss) / production.loss : undefined;
    const problems: string[] = [];
    if (!Number.isFinite(candidateLoss)) problems.push("the held-out loss is not finite");
    if (job.maxLoss !== undefined && candidateLoss > job.maxLoss) problems.push(`held-out loss ${round(candidateLoss)} is above maxLoss ${job.maxLoss}`);
    if (production && candidateLoss > production.loss) problems.push(`held-out loss ${round(candidateLoss)} is worse than production v${production.version}'s ${round(production.loss)}`);
    const evaluation: Evaluation = {
      passed: problems.length === 0,
      ...(problems.length ? { reason: problems.join("; ") } : {}),
      task,
      candidateLoss,
      ...(production ? { productionLoss: production.loss, productionVersion: production.version } : {}),
      ...(improvement !== undefined ? { improvement } : {}),
      trainRows: train.length,
      holdoutRows: holdout.length,
      trigger: why.reason,
    };
    const scores = trainX.map((row, i) => scoreOf(task, row, candidateOut[i]!));
    const { registry } = this.options;
    const actor = `retrain:${why.reason}`;
    const card = `Retrained by aiotflow (${job.trainer}, ${why.reason}) on ${train.length} feature-store rows, evaluated on the newest ${holdout.length}.`;
    const info = await registry.register({ name: job.model, bytes, featureNames: set.featureNames, reference: referenceStatistics(set.featureNames, trainX, scores), metrics: { evaluation, trigger: why.detail ?? {} }, card, actor });
    const better = improvement === undefined ? !production : improvement >= (job.minImprovement ?? 0.05);
    if (evaluation.passed && better && job.autoPromote !== false) {
      await registry.promote(job.model, info.version, "production", actor);
      return { status: "promoted", model: job.model, version: info.version, evaluation };
    }
    return { status: evaluation.passed ? "awaiting-approval" : "failed-evaluation", model: job.model, version: info.version, evaluation };
  }

  /** The production version's held-out loss, or undefined when there is none or it reads other features. */
  private async productionLoss(name: string, featureNames: readonly string[], task: RetrainTask, x: readonly (readonly number[])[], y: readonly (number | null)[]) {
    let info;
    try {
      info = this.options.registry.resolve(name, "production");
    } catch {
      return undefined;
    }
    if (info.featureNames.join("\u0000") !== featureNames.join("\u0000")) return undefined;
    const runner = await this.options.registry.open(name, info.version);
    try {
      const outputs = await runner.run(Float32Array.from(x.flat()), x.length);
      const tensor = outputs[OUTPUT_NAME] ?? Object.values(outputs)[0]!;
      const width = tensor.dims[1] ?? 1;
      const rows = x.map((_, i) => Array.from(tensor.data.subarray(i * width, (i + 1) * width)));
      return { version: info.version, loss: heldOutLoss(task, x, y, rows) };
    } finally {
      await runner.release();
    }
  }

  /** Posts the training rows (not the held-out ones) to the external trainer; returns its ONNX bytes. */
  private async external(job: RetrainJob, why: RetrainReason, set: TrainingSet, train: TrainingSet["rows"]): Promise<Uint8Array> {
    const url = job.webhook?.url;
    if (!url) throw new AiotError("RETRAIN_WEBHOOK_FAILED", `job for ${job.model}: trainer "webhook" needs webhook.url`, { path: "webhook.url" });
    let reply: Response;
    try {
      reply = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: job.model, task: job.task, trigger: why, featureNames: set.featureNames, featureHash: set.featureHash, rows: train }),
        signal: AbortSignal.timeout(job.webhook?.timeoutMs ?? 60_000),
      });
    } catch (error) {
      throw new AiotError("RETRAIN_WEBHOOK_FAILED", `external trainer ${url}: ${errorMessage(error)}`, { url }, { cause: error });
    }
    const body = (await reply.json().catch(() => undefined)) as { onnxBase64?: unknown } | undefined;
    if (!reply.ok || typeof body?.onnxBase64 !== "string") {
      throw new AiotError("RETRAIN_WEBHOOK_FAILED", `external trainer ${url} answered ${reply.status} without { onnxBase64 }`, { url, status: reply.status });
    }
    return Buffer.from(body.onnxBase64, "base64");
  }

  private remember(outcome: RetrainOutcome): RetrainOutcome {
    this.history.push(outcome);
    if (this.history.length > 100) this.history.shift();
    return outcome;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }
}

/** Outputs of ONNX `bytes` for `rows`, one array per row. */
async function runBytes(bytes: Uint8Array, rows: readonly (readonly number[])[]): Promise<number[][]> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes);
  } catch (error) {
    throw new AiotError("MODEL_NOT_ONNX", `the trained candidate does not load in onnxruntime: ${errorMessage(error)}`, {}, { cause: error });
  }
  try {
    const width = rows[0]!.length;
    const result = await session.run({ [INPUT_NAME]: new ort.Tensor("float32", Float32Array.from(rows.flat()), [rows.length, width]) });
    const out = result[OUTPUT_NAME] ?? Object.values(result)[0]!;
    const data = out.data as Float32Array;
    const columns = out.dims[1] ?? 1;
    return rows.map((_, i) => Array.from(data.subarray(i * columns, (i + 1) * columns)));
  } finally {
    await session.release();
  }
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

/**
 * The feature store and retraining loop of a runtime with a data directory, as service bindings
 * (`aiotflow run --data-dir`; serve wires the same parts itself, with flow versions).
 */
export function openMlops(dataDir: string, registry: ModelRegistry, logger: Logger): { bindings: ServiceBinding[]; close(): void } {
  const store = openFeatureStore(dataDir, logger, () => undefined);
  if (!store) return { bindings: [], close: () => undefined };
  const retrainer = new Retrainer({ registry, store, logger });
  return { bindings: [provide(FEATURE_STORE, store), provide(RETRAIN, retrainer)], close: () => store.close() };
}
