/**
 * One model a node scores with (the main model, an A/B variant or a shadow): micro-batching,
 * a bound on batches in flight, following the production alias, and per-model metrics.
 *
 * Why batches: onnxruntime-node runs `run()` on the JS thread, so one run of 64 rows costs about
 * what one run of 1 row does; batching is the lever, concurrency only overlaps the awaits.
 * Alias moves: each batch captures the runner it starts with, so a batch runs wholly on one version;
 * the new version takes the next batch. No message is dropped or scored twice.
 */
import { AiotError, errorMessage, isRecord, type Clock, type Logger, type Message, type NodeMetrics, type TimerHandle } from "../../../runtime/sdk/index.ts";
import type { ModelRef, ModelResolver, ModelRunner, ModelVersionInfo } from "../../../runtime/sdk/models.ts";
import { featureReader, type FeatureReader } from "./generated-access.ts";
import { checkModelFits, featureError } from "./model-fit.ts";
import { ScoredRun, type RowSink } from "./scored-chunk.ts";

export { checkModelFits, featureError } from "./model-fit.ts";
export { inputsOf, outputsOf, type RowSink, type ScoredChunk } from "./scored-chunk.ts";

/** A message's payload: feature values by name (read into the batch's tensor when submitted, no copy). */
export type FeatureValues = Readonly<Record<string, unknown>>;

export interface SlotOptions {
  readonly maxBatch: number;
  /** 0: flush once the current burst of submissions is queued (a microtask); > 0: at most this long on the clock. */
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

/** Rows packed for one run: the tensor fills as rows are submitted, so no row is read twice. */
interface Chunk {
  features: Float32Array;
  count: number;
  /** The version whose feature order `features` follows, and its reader. */
  packedFor: ModelVersionInfo;
  read: FeatureReader;
  readonly payloads: FeatureValues[];
  readonly sinks: RowSink[];
  readonly indices: number[];
}

const LATENCY_BOUNDS_MS = [0.5, 1, 2, 5, 10, 25, 50, 100, 250];

/** Counter names of one version, built once (template strings per batch showed in profiles). */
interface VersionCounters {
  readonly batches: string;
  readonly rows: string;
  readonly latency: readonly string[];
  readonly latencyInf: string;
  readonly latencySum: string;
  readonly modelId: string;
}

export class ModelSlot {
  private current: ModelVersionInfo;
  private runner: Promise<ModelRunner> | undefined;
  private filling: Chunk | undefined;
  private readonly sealed: Chunk[] = [];
  private timer: TimerHandle | undefined;
  private microtaskQueued = false;
  private readonly running = new Set<Promise<void>>();
  private closed = false;
  private readonly unsubscribe: () => void;
  private readonly counters = new WeakMap<ModelVersionInfo, VersionCounters>();
  /** Input buffers of finished runs, for the next chunks (all of maxBatch rows of the current width). */
  private readonly free: Float32Array[] = [];

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

  /**
   * Queues rows for scoring. A payload that is not an object of finite features fails at once
   * (MODEL_FEATURE_INVALID, via `sink.failed`); the others are packed into the next run's tensor.
   * Submits the payloads of `msgs[pick[i]]` (default: every message), under their index in `msgs`.
   */
  submit(msgs: readonly Message[], sink: RowSink, pick?: readonly number[]): void {
    const { maxBatch } = this.options;
    const count = pick ? pick.length : msgs.length;
    for (let i = 0; i < count; i++) {
      const index = pick ? pick[i]! : i;
      const payload = msgs[index]!.payload as FeatureValues;
      let chunk = this.filling;
      if (chunk === undefined || chunk.packedFor !== this.current) chunk = this.startChunk();
      const width = chunk.packedFor.featureNames.length;
      if (!isRecord(payload) || chunk.read(payload, chunk.features, chunk.count * width) >= 0) {
        sink.failed(index, featureError(payload, chunk.packedFor.featureNames));
        continue;
      }
      chunk.count++;
      chunk.payloads.push(payload);
      chunk.sinks.push(sink);
      chunk.indices.push(index);
      if (chunk.count === maxBatch) {
        this.sealed.push(chunk);
        this.filling = undefined;
        this.flush();
      }
    }
    if (this.filling !== undefined) this.armTimer();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe();
    this.timer?.cancel();
    await Promise.allSettled([...this.running]);
    const runner = await this.runner?.catch(() => undefined);
    await runner?.release();
  }

  /** A new chunk for the current version; a partly filled one for an older version waits for its run. */
  private startChunk(): Chunk {
    if (this.filling !== undefined) this.sealed.push(this.filling);
    const info = this.current;
    const size = this.options.maxBatch * info.featureNames.length;
    let features = this.free.pop();
    if (features === undefined || features.length !== size) features = new Float32Array(size);
    return (this.filling = { features, count: 0, packedFor: info, read: featureReader(info.featureNames), payloads: [], sinks: [], indices: [] });
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

  /** Starts runs while there are rows and free slots; what is left waits for a run to finish. */
  private flush(): void {
    this.timer?.cancel();
    this.timer = undefined;
    while (this.running.size < this.options.concurrency) {
      let chunk = this.sealed.shift();
      if (chunk === undefined && this.filling !== undefined && this.filling.count > 0) {
        chunk = this.filling;
        this.filling = undefined;
      }
      if (chunk === undefined) break;
      const run: Promise<void> = this.runChunk(chunk).finally(() => {
        this.running.delete(run);
        if (this.sealed.length > 0) this.flush();
        else if (this.filling !== undefined && this.filling.count > 0) this.armTimer();
      });
      this.running.add(run);
    }
  }

  private async runChunk(chunk: Chunk): Promise<void> {
    let runner: ModelRunner;
    try {
      runner = await (this.runner ??= this.models.open(this.current.name, this.current.version));
    } catch (error) {
      this.runner = undefined; // try again with the next batch (e.g. after the file is restored)
      this.countError();
      return failAll(chunk, error);
    }
    const info = runner.info;
    // A chunk packed just before an alias move: repack for the version that runs it.
    if (!sameNames(info.featureNames, chunk.packedFor.featureNames)) repack(chunk, info);
    if (chunk.count === 0) return;
    const width = info.featureNames.length;
    const features = chunk.count * width === chunk.features.length ? chunk.features : chunk.features.subarray(0, chunk.count * width);
    const counters = this.countersOf(info);
    const started = performance.now();
    let outputs: Awaited<ReturnType<ModelRunner["run"]>>;
    try {
      outputs = await runner.run(features, chunk.count);
    } catch (error) {
      this.countError();
      return failAll(chunk, error);
    }
    const latencyMs = performance.now() - started;
    this.observe(counters, chunk.count, latencyMs);
    const first = outputs[info.outputs[0]?.name ?? ""] ?? Object.values(outputs)[0];
    if (!first || first.data.length % chunk.count !== 0) {
      this.countError();
      return failAll(chunk, new AiotError("MODEL_RUN_FAILED", `model ${counters.modelId} returned no output row per input row`, { model: counters.modelId }));
    }
    const scored = new ScoredRun(first.data, features, first.data.length / chunk.count, width, info, counters.modelId, runner, latencyMs, chunk.count, chunk.features, this.free);
    const { sinks, indices } = chunk;
    for (let row = 0; row < chunk.count; row++) sinks[row]!.scored(indices[row]!, scored, row);
    settleAll(sinks);
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

  private countersOf(info: ModelVersionInfo): VersionCounters {
    let counters = this.counters.get(info);
    if (!counters) {
      const prefix = `${this.options.label}.${info.name}@${info.version}`;
      counters = {
        batches: `${prefix}.batches`,
        rows: `${prefix}.rows`,
        latency: LATENCY_BOUNDS_MS.map((bound) => `${prefix}.latency_ms_le_${bound}`),
        latencyInf: `${prefix}.latency_ms_le_inf`,
        latencySum: `${prefix}.latency_us_sum`,
        modelId: `${info.name}@${info.version}`,
      };
      this.counters.set(info, counters);
    }
    return counters;
  }

  private observe(counters: VersionCounters, rows: number, latencyMs: number): void {
    const { metrics } = this.options;
    metrics.count(counters.batches);
    metrics.count(counters.rows, rows);
    for (let i = 0; i < LATENCY_BOUNDS_MS.length; i++) if (latencyMs <= LATENCY_BOUNDS_MS[i]!) metrics.count(counters.latency[i]!);
    metrics.count(counters.latencyInf);
    metrics.count(counters.latencySum, Math.round(latencyMs * 1000));
  }

  private countError(): void {
    this.options.metrics.count(`${this.options.label}.${this.current.name}@${this.current.version}.errors`);
  }
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a === b || (a.length === b.length && a.every((name, i) => name === b[i]));
}

/** Packs the chunk's rows again in `info`'s feature order; a row lacking one of its features fails. */
function repack(chunk: Chunk, info: ModelVersionInfo): void {
  const names = info.featureNames;
  const read = featureReader(names);
  const features = new Float32Array(Math.max(1, chunk.count) * names.length);
  let kept = 0;
  const failedSinks: RowSink[] = [];
  for (let row = 0; row < chunk.count; row++) {
    const bad = read(chunk.payloads[row]!, features, kept * names.length);
    if (bad >= 0) {
      failedSinks.push(chunk.sinks[row]!);
      chunk.sinks[row]!.failed(chunk.indices[row]!, new AiotError("MODEL_FEATURE_INVALID", `model ${info.name}@${info.version} needs ${names[bad]}, which the message lacks`, { model: `${info.name}@${info.version}` }));
      continue;
    }
    chunk.payloads[kept] = chunk.payloads[row]!;
    chunk.sinks[kept] = chunk.sinks[row]!;
    chunk.indices[kept] = chunk.indices[row]!;
    kept++;
  }
  chunk.payloads.length = chunk.sinks.length = chunk.indices.length = kept;
  chunk.count = kept;
  chunk.features = features;
  chunk.packedFor = info;
  chunk.read = read;
  settleAll(failedSinks);
}

function failAll(chunk: Chunk, error: unknown): void {
  for (let row = 0; row < chunk.count; row++) chunk.sinks[row]!.failed(chunk.indices[row]!, error);
  settleAll(chunk.sinks);
}

/** Tells each distinct sink once (a chunk's rows come in runs per sink). */
function settleAll(sinks: readonly RowSink[]): void {
  let last: RowSink | undefined;
  for (const sink of sinks) {
    if (sink !== last) sink.settled();
    last = sink;
  }
}
