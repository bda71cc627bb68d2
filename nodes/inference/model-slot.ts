/**
 * One model a node scores with (the main model, an A/B variant or a shadow): micro-batching,
 * a bound on batches in flight, following the production alias, and per-model metrics.
 *
 * Why batches: onnxruntime-node runs `run()` on the JS thread, so one run of 64 rows costs about
 * what one run of 1 row does; batching is the lever, concurrency only overlaps the awaits.
 * Alias moves: each batch captures the runner it starts with, so a batch runs wholly on one version;
 * the new version takes the next batch. No message is dropped or scored twice.
 */
import { AiotError, errorMessage, type Clock, type Logger, type NodeMetrics, type TimerHandle } from "../../runtime/sdk/index.ts";
import type { ModelRef, ModelResolver, ModelRunner, ModelVersionInfo } from "../../runtime/sdk/models.ts";

/** A message's payload: feature values by name, checked finite before it is queued (no copy). */
export type FeatureValues = Readonly<Record<string, unknown>>;

/**
 * One scored row, as an index into its batch's arrays (views are made only when asked for: one
 * per message was a measurable share of the node's cost).
 */
export interface ScoredRow {
  /** The first output of the whole batch, `columns` values per row. */
  readonly batchOutputs: Float32Array;
  /** The batch's input rows as the model saw them, `width` values per row, in its feature order. */
  readonly batchInputs: Float32Array;
  readonly index: number;
  readonly columns: number;
  readonly width: number;
  readonly model: ModelVersionInfo;
  /** The runner the row was scored with, for a follow-up run (explanations) on the same version. */
  readonly runner: ModelRunner;
  readonly latencyMs: number;
}

export interface SlotOptions {
  readonly maxBatch: number;
  /** 0: flush once the current burst of deliveries is queued (a microtask); > 0: at most this long on the clock. */
  readonly maxWaitMs: number;
  readonly concurrency: number;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: NodeMetrics;
  /** Feature names the flow provides (the node's `features`), or undefined to trust the payload. */
  readonly provided: readonly string[] | undefined;
  /** Metric name prefix, e.g. "model" or "shadow". */
  readonly label: string;
  /** Told when the slot moves to another version (status, logs). */
  readonly onSwitch?: (from: ModelVersionInfo, to: ModelVersionInfo) => void;
}

interface Pending {
  readonly values: FeatureValues;
  readonly resolve: (row: ScoredRow) => void;
  readonly reject: (error: unknown) => void;
}

const LATENCY_BOUNDS_MS = [0.5, 1, 2, 5, 10, 25, 50, 100, 250];

export class ModelSlot {
  private current: ModelVersionInfo;
  private runner: Promise<ModelRunner> | undefined;
  private pending: Pending[] = [];
  private timer: TimerHandle | undefined;
  private microtaskQueued = false;
  private readonly running = new Set<Promise<void>>();
  private closed = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly models: ModelResolver,
    readonly name: string,
    private readonly ref: ModelRef,
    private readonly options: SlotOptions,
  ) {
    this.current = models.resolve(name, ref);
    checkModelFits(this.current, options.provided);
    this.unsubscribe = models.subscribe((event) => {
      if (event.name === name && event.kind === "promoted" && event.stage === ref) void this.follow();
    });
  }

  get info(): ModelVersionInfo {
    return this.current;
  }

  /** Feature names this slot's current version needs. */
  get featureNames(): readonly string[] {
    return this.current.featureNames;
  }

  /** Queues one row; resolves when its batch has run. */
  score(values: FeatureValues): Promise<ScoredRow> {
    return new Promise<ScoredRow>((resolve, reject) => {
      this.pending.push({ values, resolve, reject });
      if (this.pending.length >= this.options.maxBatch) this.flush();
      else this.armTimer();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe();
    this.timer?.cancel();
    await Promise.allSettled([...this.running]);
    const runner = await this.runner?.catch(() => undefined);
    await runner?.release();
  }

  private armTimer(): void {
    if (this.options.maxWaitMs === 0) {
      if (this.microtaskQueued) return;
      this.microtaskQueued = true;
      queueMicrotask(() => {
        this.microtaskQueued = false;
        this.flush();
      });
    } else if (!this.timer) {
      this.timer = this.options.clock.setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, this.options.maxWaitMs);
    }
  }

  /** Starts batches while there are rows and free slots; rows beyond a full batch wait for the next. */
  private flush(): void {
    this.timer?.cancel();
    this.timer = undefined;
    while (this.pending.length > 0 && this.running.size < this.options.concurrency) {
      const batch = this.pending.splice(0, this.options.maxBatch);
      const run: Promise<void> = this.runBatch(batch).finally(() => {
        this.running.delete(run);
        if (this.pending.length >= this.options.maxBatch) this.flush();
        else if (this.pending.length > 0) this.armTimer();
      });
      this.running.add(run);
    }
  }

  private async runBatch(queued: Pending[]): Promise<void> {
    let runner: ModelRunner;
    try {
      runner = await (this.runner ??= this.models.open(this.current.name, this.current.version));
    } catch (error) {
      this.runner = undefined; // try again with the next batch (e.g. after the file is restored)
      this.countError();
      for (const p of queued) p.reject(error);
      return;
    }
    const info = runner.info;
    const names = info.featureNames;
    const width = names.length;
    let features = new Float32Array(queued.length * width);
    const batch: Pending[] = [];
    for (const p of queued) {
      const offset = batch.length * width;
      let column = 0;
      for (; column < width; column++) {
        const value = p.values[names[column]!];
        if (typeof value !== "number" || !Number.isFinite(value)) break;
        features[offset + column] = value;
      }
      // A row queued just before an alias move may lack a feature only the new version needs.
      if (column < width) p.reject(new AiotError("MODEL_FEATURE_INVALID", `model ${info.name}@${info.version} needs ${names[column]}, which the message lacks`, { model: `${info.name}@${info.version}` }));
      else batch.push(p);
    }
    if (batch.length === 0) return;
    if (batch.length < queued.length) features = features.subarray(0, batch.length * width);
    const started = performance.now();
    let outputs: Awaited<ReturnType<ModelRunner["run"]>>;
    try {
      outputs = await runner.run(features, batch.length);
    } catch (error) {
      this.countError();
      for (const p of batch) p.reject(error);
      return;
    }
    const latencyMs = performance.now() - started;
    this.observe(info, batch.length, latencyMs);
    const first = outputs[info.outputs[0]?.name ?? ""] ?? Object.values(outputs)[0];
    if (!first || first.data.length % batch.length !== 0) {
      this.countError();
      const error = new AiotError("MODEL_RUN_FAILED", `model ${info.name}@${info.version} returned no output row per input row`, { model: `${info.name}@${info.version}` });
      for (const p of batch) p.reject(error);
      return;
    }
    const columns = first.data.length / batch.length;
    for (let index = 0; index < batch.length; index++) {
      batch[index]!.resolve({ batchOutputs: first.data, batchInputs: features, index, columns, width, model: info, runner, latencyMs });
    }
  }

  /** The alias moved: load the new version, then swap between batches; on failure keep serving. */
  private async follow(): Promise<void> {
    if (this.closed) return;
    const previous = this.current;
    let next: ModelVersionInfo;
    let runner: ModelRunner;
    try {
      next = this.models.resolve(this.name, this.ref);
      if (next.version === previous.version) return;
      checkModelFits(next, this.options.provided);
      runner = await this.models.open(next.name, next.version);
    } catch (error) {
      this.options.metrics.count(`${this.options.label}.switch_failed`);
      this.options.log.error(`model ${this.name}: staying on version ${previous.version}: ${errorMessage(error)}`, { code: error instanceof AiotError ? error.code : "MODEL_RUN_FAILED" });
      return;
    }
    if (this.closed) return void (await runner.release());
    const old = this.runner;
    this.current = next;
    this.runner = Promise.resolve(runner);
    this.options.metrics.count(`${this.options.label}.switches`);
    this.options.onSwitch?.(previous, next);
    // Batches already running hold the old runner: release it only once they have finished.
    const draining = [...this.running];
    void Promise.allSettled(draining).then(() => old?.then((r) => r.release(), () => undefined));
  }

  private observe(info: ModelVersionInfo, rows: number, latencyMs: number): void {
    const prefix = `${this.options.label}.${info.name}@${info.version}`;
    const { metrics } = this.options;
    metrics.count(`${prefix}.batches`);
    metrics.count(`${prefix}.rows`, rows);
    for (const bound of LATENCY_BOUNDS_MS) if (latencyMs <= bound) metrics.count(`${prefix}.latency_ms_le_${bound}`);
    metrics.count(`${prefix}.latency_ms_le_inf`);
    metrics.count(`${prefix}.latency_us_sum`, Math.round(latencyMs * 1000));
  }

  private countError(): void {
    this.options.metrics.count(`${this.options.label}.${this.current.name}@${this.current.version}.errors`);
  }
}

/** The row's output values (a view). */
export function outputsOf(row: ScoredRow): Float32Array {
  return row.batchOutputs.subarray(row.index * row.columns, (row.index + 1) * row.columns);
}

/** The row's input values in the model's feature order (a view). */
export function inputsOf(row: ScoredRow): Float32Array {
  return row.batchInputs.subarray(row.index * row.width, (row.index + 1) * row.width);
}

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
