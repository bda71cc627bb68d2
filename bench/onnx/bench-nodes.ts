// Bench-only nodes: a source of 32-feature readings (as fast as the flow takes them, or paced at a
// fixed rate on the real clock) and a sink that records sensor-to-decision latency from meta.t0.
// Built by a factory around a probe so no module-level state is shared.
import { performance } from "node:perf_hooks";
import { Config, Type, defineNode } from "../../runtime/sdk/index.ts";
import { parsedReadings } from "./model.ts";

export interface OnnxProbeOptions {
  /** Messages in all (warm-up included). */
  readonly total: number;
  readonly warmup: number;
  /** Messages per second, or 0 for as fast as the flow accepts. */
  readonly rate: number;
  /** Unpaced runs: messages emitted per event-loop turn. */
  readonly burst: number;
}

export class OnnxProbe {
  readonly latencies: Float64Array;
  received = 0;
  decisions = 0;
  measureStart = 0;
  private finished: (at: number) => void = () => undefined;
  readonly done = new Promise<number>((resolve) => (this.finished = resolve));
  constructor(readonly options: OnnxProbeOptions) {
    this.latencies = new Float64Array(options.total - options.warmup).fill(Number.NaN);
  }
  arrive(seq: number, t0: number, decided: boolean): void {
    const now = performance.now();
    if (seq >= this.options.warmup) this.latencies[seq - this.options.warmup] = now - t0;
    if (decided) this.decisions++;
    if (++this.received === this.options.total) this.finished(now);
  }
}

/**
 * Readings as a gateway receives them: JSON text parsed into objects (as mqtt-in does), made before
 * the run and reused (messages are immutable), so the source's own cost does not hide the flow's.
 * Built by keyed stores instead, a 33-field object falls into V8's slow dictionary mode, which no
 * real input path produces and which doubled the cost of every later copy.
 */
const POOL = parsedReadings(4096);

function reading(i: number): Record<string, number> {
  return POOL[i % POOL.length]!;
}

export function createOnnxBenchNodes(probe: OnnxProbe) {
  const source = defineNode({
    type: "bench-onnx-source",
    version: 1,
    family: "sources",
    title: "Bench readings",
    summary: "Emits 32-feature readings for the ONNX benchmark.",
    config: Config({}),
    inputs: {},
    outputs: { out: { kind: "features", description: "Readings." } },
    examples: [{ title: "Default", config: {} }],
    create: (_config, ctx) => {
      let stopped = false;
      const emit = (i: number) => {
        if (i === probe.options.warmup) probe.measureStart = performance.now();
        return ctx.emit("out", { topic: "bench", key: `m${i % 16}`, ts: i, payload: reading(i), meta: { t0: performance.now() } });
      };
      // As fast as the flow takes them, `burst` per event-loop turn (as a busy gateway's inputs
      // arrive), never a backlog of the whole run in memory.
      const fast = async () => {
        for (let i = 0; i < probe.options.total && !stopped; ) {
          const end = Math.min(probe.options.total, i + probe.options.burst);
          for (; i < end; i++) if (!emit(i)) await ctx.writable();
          await new Promise((resolve) => setImmediate(resolve));
        }
      };
      const paced = () => {
        let sent = 0;
        const start = performance.now();
        const tick = () => {
          if (stopped) return;
          const due = Math.min(probe.options.total, Math.floor(((performance.now() - start) / 1000) * probe.options.rate));
          while (sent < due) emit(sent++);
          if (sent < probe.options.total) setTimeout(tick, 0);
        };
        tick();
      };
      return {
        start: () => void (probe.options.rate > 0 ? paced() : fast()),
        stop: () => void (stopped = true),
      };
    },
  });
  const sink = defineNode({
    type: "bench-onnx-sink",
    version: 1,
    family: "sinks",
    title: "Bench decisions",
    summary: "Records sensor-to-decision latency.",
    config: Config({ decided: Type.Boolean({ default: false, description: "Messages arriving here are alarms." }) }),
    inputs: { in: { kind: "any", description: "Decisions." } },
    outputs: {},
    examples: [{ title: "Default", config: {} }],
    create: (config) => ({
      onMessage: (msg) => probe.arrive(msg.ts, Number(msg.meta?.["t0"]), config.decided),
    }),
  });
  return { source, sink };
}
