// aiotflow side of the ONNX benchmark, one run per fresh process, one JSON line on stdout:
//   --rate 0     throughput: readings as fast as the flow takes them, inference node at maxBatch 64
//   --rate 2000  latency: readings paced at 2,000/s; source -> onnx-inference -> threshold -> sink
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadCatalog } from "../../runtime/catalog/catalog.ts";
import { Engine } from "../../runtime/core/engine.ts";
import { ModelRegistry } from "../../runtime/ml/model-registry.ts";
import { MODELS } from "../../runtime/sdk/models.ts";
import { provide, services } from "../../runtime/sdk/services.ts";
import { percentile } from "../chain/stats.ts";
import { createOnnxBenchNodes, OnnxProbe } from "./bench-nodes.ts";
import { benchModel, FEATURES } from "./model.ts";

const { values } = parseArgs({ options: { rate: { type: "string", default: "0" }, n: { type: "string", default: "200000" }, warmup: { type: "string", default: "0.1" }, batch: { type: "string", default: "64" }, burst: { type: "string", default: "64" } } });
const rate = Number(values.rate);
const total = Number(values.n);
const warmup = Math.round(total * Number(values.warmup));

const dir = await mkdtemp(join(tmpdir(), "aiotflow-bench-onnx-"));
const registry = await ModelRegistry.open(dir);
await registry.register({ name: "bench-mlp", bytes: benchModel() });
await registry.promote("bench-mlp", 1, "production", "bench");
const probe = new OnnxProbe({ total, warmup, rate, burst: Number(values.burst) });
const { source, sink } = createOnnxBenchNodes(probe);
const engine = new Engine({ catalog: await loadCatalog([source, sink]), services: services(provide(MODELS, registry)) });
const node = (id: string, type: string, config: object) => ({ id, type, config, position: { x: 0, y: 0 } });
const edge = (from: string, port: string, to: string) => ({ id: `${from}-${port}-${to}`, from: { node: from, port }, to: { node: to, port: "in" } });
await engine.deploy({
  format: "aiotflow/flow@1",
  id: "bench-onnx",
  name: "bench onnx",
  nodes: [
    node("src", "bench-onnx-source", {}),
    node("model", "onnx-inference", { model: "bench-mlp", features: FEATURES, maxBatch: Number(values.batch), maxWaitMs: 0, concurrency: 1 }),
    node("gate", "threshold", { field: "score", raise: 0.6, clear: 0.5 }),
    node("alarm", "bench-onnx-sink", { decided: true }),
    node("normal", "bench-onnx-sink", {}),
  ],
  edges: [edge("src", "out", "model"), edge("model", "out", "gate"), edge("gate", "alarm", "alarm"), edge("gate", "normal", "normal")],
  connections: {},
});
const tEnd = await probe.done;
const elapsedMs = tEnd - probe.measureStart;
const metrics = engine.metrics();
await engine.stop();
await registry.close();
await rm(dir, { recursive: true, force: true });
const sorted = probe.latencies.slice().sort();
const errors = metrics.reduce((sum, m) => sum + m.errors + m.dropped, 0);
const counters = metrics.find((m) => m.node === "model")?.counters ?? {};
process.stdout.write(`${JSON.stringify({
  system: "aiotflow",
  mode: rate > 0 ? "latency" : "throughput",
  rate,
  messages: total - warmup,
  msgs_per_s: (total - warmup) / (elapsedMs / 1000),
  p50_ms: percentile(sorted, 50),
  p99_ms: percentile(sorted, 99),
  max_ms: sorted[sorted.length - 1],
  mean_batch: (counters["model.bench-mlp@1.rows"] ?? 0) / Math.max(1, counters["model.bench-mlp@1.batches"] ?? 0),
  peak_rss_mb: process.resourceUsage().maxRSS / 1024,
  decisions: probe.decisions,
  correct: probe.received === total && errors === 0 && !sorted.some(Number.isNaN),
})}\n`);
process.exit(0);
