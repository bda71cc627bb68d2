// Bench-only nodes for the chain benchmark: a source that emits synthetic pump readings as fast as
// the flow takes them, and a sink that timestamps every arrival. They are built by a factory around a
// `ChainProbe`, the harness's view of the run, so no module-level state is shared between runs.
import { performance } from "node:perf_hooks";
import { setImmediate as nextTurn } from "node:timers/promises";
import { Config, Type, defineNode, type Message } from "../../runtime/sdk/index.ts";

export interface ProbeOptions {
  /** Messages of the warm-up pass (not measured). */
  readonly warmup: number;
  /** Messages of the measured pass. */
  readonly measured: number;
  /** Keep one latency per measured message (off for the memory run, which measures the engine alone). */
  readonly record: boolean;
  /** Called every `every` measured messages, from inside the sink (the flow is running). */
  readonly progress?: { readonly every: number; readonly onProgress: (measuredSoFar: number) => void };
}

/**
 * What the harness sees of a run: when passes start and finish, the latencies and the last message.
 * The source waits on it between the warm-up and the measured pass, as Node-RED's harness does.
 * Messages are identified by their `ts`, the source's sequence number (0-based, warm-up included),
 * because a count window emits nothing for the first `count - 1` readings.
 */
export class ChainProbe {
  /** Latency of measured message `ts - warmup`; NaN where none arrived or `meta.t0` was lost. */
  readonly latencies: Float64Array;
  /** Messages that reached the sink, warm-up included. */
  received = 0;
  /** Arrivals whose `ts` was not one past the previous arrival's (reordering or loss). */
  outOfOrder = 0;
  /** Arrivals without a numeric `meta.t0` (a node dropped the lineage). */
  lostT0 = 0;
  /** `performance.now()` when the source emitted the first measured message. */
  measureStart = 0;
  lastMessage: Message | undefined;
  private lastTs = -1;
  /** Sorted by ts. */
  private readonly waiters: Array<{ ts: number; resolve: (at: number) => void }> = [];

  constructor(readonly options: ProbeOptions) {
    this.latencies = new Float64Array(options.record ? options.measured : 0).fill(Number.NaN);
  }

  /** Messages the source emits, warm-up included. */
  get total(): number {
    return this.options.warmup + this.options.measured;
  }

  /** Resolves with the arrival time of the message with sequence number `ts` (or a later one). */
  reached(ts: number): Promise<number> {
    if (this.lastTs >= ts) return Promise.resolve(performance.now());
    return new Promise((resolve) => {
      this.waiters.push({ ts, resolve });
      this.waiters.sort((a, b) => a.ts - b.ts);
    });
  }

  /** Called by the sink for every message. */
  arrive(msg: Message): void {
    const now = performance.now();
    const ts = msg.ts;
    if (this.received++ > 0 && ts !== this.lastTs + 1) this.outOfOrder++;
    this.lastTs = ts;
    this.lastMessage = msg;
    const t0 = msg.meta?.["t0"];
    if (typeof t0 !== "number") this.lostT0++;
    const measuredIndex = ts - this.options.warmup;
    if (measuredIndex >= 0) {
      if (measuredIndex < this.latencies.length && typeof t0 === "number") this.latencies[measuredIndex] = now - t0;
      const progress = this.options.progress;
      if (progress !== undefined && (measuredIndex + 1) % progress.every === 0) progress.onProgress(measuredIndex + 1);
    }
    while (this.waiters.length > 0 && this.waiters[0]!.ts <= ts) this.waiters.shift()!.resolve(now);
  }
}

/** The reading the source emits as message number `seq` (warm-up and measured passes share one sequence). */
export function reading(seq: number): Message<{ vibration: number; temperature: number }> {
  return {
    topic: "sensors/pump-1",
    key: "pump-1",
    ts: seq,
    payload: { vibration: (seq % 100) / 10, temperature: 20 + (seq % 50) },
    meta: { t0: performance.now() },
  };
}

export function createBenchNodes(probe: ChainProbe) {
  const source = defineNode({
    type: "bench-source",
    version: 1,
    family: "sources",
    title: "Bench source",
    summary: "Emits synthetic pump readings in batches per event-loop turn, honouring backpressure.",
    config: Config({
      batch: Type.Integer({ minimum: 1, default: 32, description: "Messages emitted per event-loop turn." }),
    }),
    inputs: {},
    outputs: { out: { kind: "reading", description: "Pump readings, `ts` = sequence number, `meta.t0` = emit time." } },
    examples: [{ title: "32 per turn", config: { batch: 32 } }],
    create(config, ctx) {
      let stopped = false;
      let running: Promise<void> = Promise.resolve();

      async function pass(from: number, to: number): Promise<void> {
        let seq = from;
        while (seq < to && !stopped) {
          const end = Math.min(seq + config.batch, to);
          let saturated = false;
          while (seq < end && !saturated) saturated = !ctx.emit("out", reading(seq++));
          if (saturated) await ctx.writable();
          else await nextTurn();
        }
      }

      async function run(): Promise<void> {
        const { warmup, measured } = probe.options;
        await pass(0, warmup);
        if (warmup > 0) await probe.reached(warmup - 1);
        probe.measureStart = performance.now();
        await pass(warmup, warmup + measured);
      }

      return {
        start() {
          running = run().catch((error: unknown) => ctx.log.error("bench source failed", { error: String(error) }));
        },
        async stop() {
          stopped = true;
          await running;
        },
      };
    },
  });

  const sink = defineNode({
    type: "bench-sink",
    version: 1,
    family: "sinks",
    title: "Bench sink",
    summary: "Records each message's latency since the source emitted it.",
    config: Config({}),
    inputs: { in: { kind: "any", description: "Any message carrying `meta.t0`." } },
    outputs: {},
    examples: [{ title: "Default", config: {} }],
    create: () => ({ onMessage: (msg: Message) => probe.arrive(msg) }),
  });

  return { source, sink };
}
