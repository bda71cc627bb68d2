// aiotflow side of the chain benchmark: one run in this (fresh) process, one JSON line on stdout.
//
//   node dist/bench/chain/aiotflow.js [--n 1000000] [--batch 32] [--warmup 0.1]   (after npm run build; or via tsx from source)
//   node --expose-gc dist/bench/chain/aiotflow.js --memory [--n 10000000] [--every 1000000]
//
// --memory: no latency array; after every `every` measured messages the sink runs `gc()` and samples
// heapUsed and rss, so the samples show what the engine and nodes retain per message.
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { loadCatalog } from "../../runtime/catalog/catalog.ts";
import { Engine } from "../../runtime/core/engine.ts";
import { ChainProbe, createBenchNodes } from "./bench-nodes.ts";
import { WINDOW, chainFlow, referenceMean } from "./flow.ts";
import { percentile } from "./stats.ts";

const { values } = parseArgs({
  options: {
    n: { type: "string" },
    batch: { type: "string", default: "32" },
    warmup: { type: "string", default: "0.1" },
    memory: { type: "boolean", default: false },
    every: { type: "string", default: "1000000" },
    "stall-s": { type: "string", default: "15" },
  },
});

const memoryRun = values.memory;
const N = Number(values.n ?? (memoryRun ? 10_000_000 : 1_000_000));
const BATCH = Number(values.batch);
const WARMUP = memoryRun ? 0 : Math.min(Math.round(N * Number(values.warmup)), 100_000);
const EVERY = Number(values.every);

interface MemorySample {
  readonly messages: number;
  readonly heap_used_mb: number;
  readonly rss_mb: number;
}
const samples: MemorySample[] = [];
const MB = 1024 * 1024;

function sampleMemory(messages: number): void {
  if (typeof globalThis.gc !== "function") throw new Error("--memory needs node --expose-gc");
  globalThis.gc();
  const m = process.memoryUsage();
  samples.push({ messages, heap_used_mb: m.heapUsed / MB, rss_mb: m.rss / MB });
}

async function main(): Promise<void> {
  const probe = new ChainProbe({
    warmup: WARMUP,
    measured: N,
    record: !memoryRun,
    ...(memoryRun ? { progress: { every: EVERY, onProgress: sampleMemory } } : {}),
  });
  const { source, sink } = createBenchNodes(probe);
  // As `aiotflow run` does: only the node types the flow names are loaded.
  const catalog = await loadCatalog([source, sink], { types: chainFlow(BATCH).nodes.map((n) => n.type) });
  const engine = new Engine({ catalog });
  if (memoryRun) sampleMemory(0);

  const watchdog = stallWatchdog(probe, Number(values["stall-s"]) * 1000);
  const cpuStart = process.cpuUsage();
  const deployStart = performance.now();
  await engine.deploy(chainFlow(BATCH));
  const deployMs = performance.now() - deployStart;
  const rssAfterStartMb = process.memoryUsage().rss / MB;

  if (WARMUP > 0) await probe.reached(WARMUP - 1);
  const cpuMeasured = process.cpuUsage();
  const tEnd = await probe.reached(probe.total - 1);
  const cpu = process.cpuUsage(cpuMeasured);
  clearInterval(watchdog);
  const elapsedMs = tEnd - probe.measureStart;

  const stopStart = performance.now();
  await engine.stop();
  const stopMs = performance.now() - stopStart;
  const metrics = engine.metrics();
  const cpuTotal = process.cpuUsage(cpuStart);

  const lastMean = readMean(probe.lastMessage?.payload);
  const refMean = referenceMean(probe.total - 1);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const all = probe.latencies.sort(); // in place (no second copy on the peak RSS); NaN sorts last
  const firstNaN = all.findIndex(Number.isNaN);
  const missing = firstNaN < 0 ? 0 : all.length - firstNaN;
  const sorted = all.subarray(0, all.length - missing);
  // A count window emits nothing until it holds WINDOW readings: that many fewer arrivals.
  const expected = probe.total - (WINDOW - 1);
  const result = {
    system: "aiotflow",
    mode: memoryRun ? "memory" : "latency",
    nodes: chainFlow(BATCH).nodes.length,
    batch: BATCH,
    messages: N,
    warmup: WARMUP,
    elapsed_ms: elapsedMs,
    msgs_per_s: N / (elapsedMs / 1000),
    ...(memoryRun
      ? { memory_samples: samples, memory_every: EVERY }
      : { p50_ms: percentile(sorted, 50), p99_ms: percentile(sorted, 99), max_ms: sorted[sorted.length - 1] }),
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    rss_after_start_mb: rssAfterStartMb,
    cpu_ms: cpuMs,
    cpu_pct: (100 * cpuMs) / elapsedMs,
    cpu_us_per_msg: (1000 * cpuMs) / N,
    process_cpu_ms: (cpuTotal.user + cpuTotal.system) / 1000,
    deploy_ms: deployMs,
    stop_ms: stopMs,
    correct:
      probe.received === expected && probe.outOfOrder === 0 && probe.lostT0 === 0 && missing === 0 && Math.abs(lastMean - refMean) < 1e-9,
    check: {
      received: probe.received,
      expected,
      out_of_order: probe.outOfOrder,
      lost_t0: probe.lostT0,
      missing_latencies: missing,
      last_mean: lastMean,
      reference_mean: refMean,
    },
    engine_metrics: metrics,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

/** `payload.scaled_mean` of the last message, NaN when missing. */
function readMean(payload: unknown): number {
  if (payload === null || typeof payload !== "object") return Number.NaN;
  const mean = (payload as Record<string, unknown>)["scaled_mean"];
  return typeof mean === "number" ? mean : Number.NaN;
}

/** Fails the run (instead of hanging) when no message reaches the sink for `ms`. */
function stallWatchdog(probe: ChainProbe, ms: number): NodeJS.Timeout {
  let seen = -1;
  let since = performance.now();
  const timer = setInterval(() => {
    if (probe.received !== seen) {
      seen = probe.received;
      since = performance.now();
    } else if (performance.now() - since > ms) {
      process.stderr.write(`aiotflow chain bench stalled: ${probe.received} of ${probe.total} messages reached the sink\n`);
      process.exit(1);
    }
  }, 250);
  timer.unref();
  return timer;
}

main().catch((error: unknown) => {
  process.stderr.write(`aiotflow chain bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
