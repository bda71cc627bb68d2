// The ONNX benchmark: raw onnxruntime-node `session.run` at batch 64 against the onnx-inference node
// at batch 64 (node overhead: the node alone in the engine, its handler alone, and the full flow
// source -> node -> threshold -> sink), and sensor-to-decision latency at 2,000 readings/s for a 32-feature
// MLP in aiotflow and in Node-RED 4.1 (function node calling onnxruntime-node), same run. Each
// measurement in a fresh child process, systems alternating, medians across runs. Prints a table,
// writes bench/results/onnx.json.
//
//   node --import tsx bench/onnx/run.ts [--runs 3] [--rate 2000] [--seconds 10] [--quick]
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runChild, writeResultsAndFinish, type Child } from "../children.ts";
import { median } from "../chain/stats.ts";
import { benchModel } from "./model.ts";

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    rate: { type: "string", default: "2000" },
    seconds: { type: "string", default: "10" },
    "throughput-n": { type: "string", default: "200000" },
    quick: { type: "boolean", default: false },
    "timeout-s": { type: "string", default: "180" },
  },
});
const RUNS = values.quick ? 1 : Number(values.runs);
const RATE = Number(values.rate);
const LATENCY_N = Math.round(RATE * Number(values.seconds) * (values.quick ? 0.3 : 1));
const THROUGHPUT_N = values.quick ? 50_000 : Number(values["throughput-n"]);
const NODE_N = values.quick ? 200_000 : 4 * Number(values["throughput-n"]);
const TIMEOUT_MS = Number(values["timeout-s"]) * 1000;
const TARGETS = { node_vs_raw_batch64: ">= 0.8", aiotflow_p99_ms: "< 10" } as const;

type Result = Record<string, unknown> & { system: string; correct: boolean };
const tsx = (script: string, ...args: string[]) => ["--import", "tsx", join(here, script), ...args];

const dir = mkdtempSync(join(os.tmpdir(), "aiotflow-bench-onnx-model-"));
const modelFile = join(dir, "bench-mlp.onnx");
writeFileSync(modelFile, benchModel());

const children = {
  raw: { label: "onnxruntime raw", argv: tsx("raw.ts", "--seconds", values.quick ? "1" : "3") },
  throughput: { label: "aiotflow flow, batch 64", argv: tsx("aiotflow.ts", "--rate", "0", "--n", String(THROUGHPUT_N), "--batch", "64") },
  node: { label: "aiotflow node in engine", argv: tsx("node-overhead.ts", "--mode", "engine", "--n", String(NODE_N)) },
  handler: { label: "aiotflow node handler", argv: tsx("node-overhead.ts", "--mode", "handler", "--n", String(NODE_N)) },
  rawLarge: { label: "onnxruntime raw, large", argv: tsx("raw.ts", "--seconds", values.quick ? "1" : "3", "--model", "large") },
  nodeLarge: { label: "aiotflow node, large", argv: tsx("node-overhead.ts", "--mode", "engine", "--n", String(NODE_N / 4), "--model", "large") },
  aiotflow: { label: `aiotflow @ ${RATE}/s`, argv: tsx("aiotflow.ts", "--rate", String(RATE), "--n", String(LATENCY_N)) },
  nodeRed: { label: `node-red @ ${RATE}/s`, argv: [join(here, "node-red.cjs"), "--model", modelFile, "--rate", String(RATE), "--n", String(LATENCY_N)] },
} satisfies Record<string, Child>;

const results: Record<keyof typeof children, Result[]> = { raw: [], throughput: [], node: [], handler: [], rawLarge: [], nodeLarge: [], aiotflow: [], nodeRed: [] };
const failures: string[] = [];
const load = [os.loadavg()[0]!];
for (let run = 0; run < RUNS; run++) {
  const order: (keyof typeof children)[] = run % 2 === 0 ? ["raw", "node", "handler", "rawLarge", "nodeLarge", "throughput", "aiotflow", "nodeRed"] : ["nodeRed", "aiotflow", "throughput", "nodeLarge", "rawLarge", "handler", "node", "raw"];
  for (const key of order) {
    const child = children[key];
    try {
      const result = await runChild<Result>(child, TIMEOUT_MS);
      if (!result.correct) failures.push(`${child.label} run ${run + 1}: incorrect result ${JSON.stringify(result).slice(0, 300)}`);
      results[key].push(result);
      console.log(`run ${run + 1} ${child.label.padEnd(26)} ${summaryLine(result)}`);
    } catch (error) {
      failures.push(error instanceof Error ? error.message : String(error));
    }
  }
  load.push(os.loadavg()[0]!);
}
rmSync(dir, { recursive: true, force: true });

const med = (rs: Result[], field: string) => median(rs.map((r) => Number(r[field])).filter(Number.isFinite));
const raw64 = med(results.raw, "rows_per_s_batch64");
const flow64 = med(results.throughput, "msgs_per_s");
const node64 = med(results.node, "msgs_per_s");
const handler64 = med(results.handler, "msgs_per_s");
const rawLarge64 = med(results.rawLarge, "rows_per_s_batch64");
const nodeLarge64 = med(results.nodeLarge, "msgs_per_s");
const aiotflow = {
  msgs_per_s: med(results.aiotflow, "msgs_per_s"), p50_ms: med(results.aiotflow, "p50_ms"), p99_ms: med(results.aiotflow, "p99_ms"), max_ms: med(results.aiotflow, "max_ms"),
  peak_rss_mb: med(results.aiotflow, "peak_rss_mb"), mean_batch: med(results.aiotflow, "mean_batch"),
  node_msgs_per_s_batch64: node64, handler_msgs_per_s_batch64: handler64, flow_msgs_per_s_batch64: flow64,
};
const nodeRed = { msgs_per_s: med(results.nodeRed, "msgs_per_s"), p50_ms: med(results.nodeRed, "p50_ms"), p99_ms: med(results.nodeRed, "p99_ms"), max_ms: med(results.nodeRed, "max_ms"), peak_rss_mb: med(results.nodeRed, "peak_rss_mb") };
const output = {
  name: "onnx",
  date: new Date().toISOString(),
  node: process.version,
  cpus: os.cpus().length,
  runs: RUNS,
  load_average_1m: load,
  model: "MLP 32 -> 64 relu -> 32 relu -> 1 sigmoid (bench/onnx/model.ts), onnxruntime-node 1.30, 1 intra-op thread",
  systems: {
    aiotflow,
    "node-red": nodeRed,
    "onnxruntime-raw": { rows_per_s_batch64: raw64, rows_per_s_batch1: med(results.raw, "rows_per_s_batch1"), large_rows_per_s_batch64: rawLarge64 },
    "aiotflow-large-model": { node_msgs_per_s_batch64: nodeLarge64 },
  },
  ratios: {
    node_vs_raw_batch64: node64 / raw64,
    handler_vs_raw_batch64: handler64 / raw64,
    flow_vs_raw_batch64: flow64 / raw64,
    node_vs_raw_batch64_large_model: nodeLarge64 / rawLarge64,
    throughput: aiotflow.msgs_per_s / nodeRed.msgs_per_s,
    p99: aiotflow.p99_ms / nodeRed.p99_ms,
    rss: aiotflow.peak_rss_mb / nodeRed.peak_rss_mb,
  },
  targets: TARGETS,
  notes: [
    `latency: readings paced at ${RATE}/s on the real clock for ${LATENCY_N} readings (10 % warm-up not measured); sensor-to-decision = source emit to the threshold gate's output at the sink`,
    "aiotflow: source -> onnx-inference (maxBatch 64, maxWaitMs 0: the burst queued in one turn) -> threshold -> sink, run from source under tsx",
    "node-red: source function -> function node calling session.run per message (ort and the session in functionGlobalContext) -> switch -> sink",
    "raw: session.run rows/s at batch 64 on the same model, one pre-packed Float32Array reused for every run, awaited one after the other",
    "node_vs_raw_batch64 (the node-overhead target): messages/s through the onnx-inference node alone in the engine (maxBatch 64, maxWaitMs 0, concurrency 1), fed by a source emitting pre-built messages (33-field payloads parsed from JSON before the run) up to 256 per event-loop turn while the flow is writable, into a sink that only counts; includes the engine's part (queueing, handing the node its batch, emitting each output and delivering it to the sink), over raw rows/s",
    "handler_vs_raw_batch64: the node's onBatch called directly with 64 pre-built messages at a time, outputs counted in ctx.emit: the node's own code with no engine, over raw rows/s",
    "flow_vs_raw_batch64: messages/s through source -> onnx-inference (batch 64) -> threshold -> sink, the source building each message (meta.t0 timestamp) and emitting 64 per event-loop turn, over raw rows/s",
    "every aiotflow figure includes, per message, reading its 32 features into the tensor and building the output message: a copy of the 33-field payload plus score and meta.model (messages are immutable); raw session.run does neither",
    "large model (not the target's): MLP 32 -> 256 -> 128 -> 1, the node alone in the engine as for node_vs_raw_batch64, over raw on the same model: how the node's fixed per-message cost weighs when a row carries more model work",
    "where the node's time goes: node --import tsx bench/onnx/node-overhead.ts --mode handler --profile FILE, then node --import tsx bench/onnx/profile-summary.ts FILE",
    "machine shared with other work during the run (see load_average_1m): figures are indicative",
  ],
};
console.log(`\n                       aiotflow        node-red`);
console.log(`msgs/s @ ${RATE}/s      ${fmt(aiotflow.msgs_per_s)}    ${fmt(nodeRed.msgs_per_s)}`);
console.log(`p50 ms                 ${fmt(aiotflow.p50_ms)}    ${fmt(nodeRed.p50_ms)}`);
console.log(`p99 ms                 ${fmt(aiotflow.p99_ms)}    ${fmt(nodeRed.p99_ms)}   (target aiotflow < 10)`);
console.log(`peak RSS MB            ${fmt(aiotflow.peak_rss_mb)}    ${fmt(nodeRed.peak_rss_mb)}`);
console.log(`raw session.run rows/s at batch 64: ${fmt(raw64)}`);
console.log(`node in engine: ${fmt(node64)} msgs/s; ratio ${(node64 / raw64).toFixed(3)} (target >= 0.8)`);
console.log(`node handler:   ${fmt(handler64)} msgs/s; ratio ${(handler64 / raw64).toFixed(3)}`);
console.log(`full flow:      ${fmt(flow64)} msgs/s; ratio ${(flow64 / raw64).toFixed(3)}`);
console.log(`large model (32-256-128-1): raw ${fmt(rawLarge64)} rows/s, node in engine ${fmt(nodeLarge64)} msgs/s; ratio ${(nodeLarge64 / rawLarge64).toFixed(3)}`);
writeResultsAndFinish("onnx", output, { runs: results }, failures);

function fmt(value: number): string {
  return Number.isFinite(value) ? value.toPrecision(4).padStart(12) : "           -";
}

function summaryLine(r: Result): string {
  const parts = ["msgs_per_s", "rows_per_s_batch64", "p50_ms", "p99_ms", "peak_rss_mb"].filter((f) => typeof r[f] === "number").map((f) => `${f} ${Number(r[f]).toPrecision(4)}`);
  return parts.join("  ");
}
