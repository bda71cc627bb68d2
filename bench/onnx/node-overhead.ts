// The onnx-inference node alone at maxBatch 64, one JSON line on stdout, compared with raw
// session.run by bench/onnx/run.ts. Messages are built before the run (33-field payloads parsed from
// JSON, as mqtt-in makes them), so their making is not counted.
//   --mode engine   a source emitting the pre-built messages (up to --burst per event-loop turn while
//                   the flow is writable) -> onnx-inference -> a sink that only counts, in the engine:
//                   the node's cost in a flow, with its share of the engine (queueing, batch hand-over,
//                   the emit of each output and its delivery to the sink).
//   --mode handler  the node's onBatch called directly with 64 pre-built messages at a time, outputs
//                   counted by ctx.emit: the node's own code only, no engine.
//   --profile FILE  writes a CPU profile of the measured part only (after the warm-up), for
//                   chrome://inspect or `node bench/onnx/profile-summary.ts FILE`.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { parseArgs } from "node:util";
import { loadCatalog } from "../../runtime/catalog/catalog.ts";
import { Engine } from "../../runtime/core/engine.ts";
import { ModelRegistry } from "../../runtime/ml/model-registry.ts";
import { Config, defineNode, VirtualClock, type Message, type NodeContext } from "../../runtime/sdk/index.ts";
import { MODELS } from "../../runtime/sdk/models.ts";
import { configOf } from "../../runtime/sdk/config.ts";
import { lookup, provide, services, type ServiceKey } from "../../runtime/sdk/services.ts";
import onnxInference from "../../nodes/inference/onnx-inference/index.ts";
import { benchModel, FEATURES, modelSizeOf, parsedReadings } from "./model.ts";

const { values } = parseArgs({ options: { mode: { type: "string", default: "engine" }, n: { type: "string", default: "200000" }, burst: { type: "string", default: "256" }, profile: { type: "string" }, model: { type: "string", default: "small" } } });
const BATCH = 64;
const total = Math.floor(Number(values.n) / BATCH) * BATCH; // whole batches, so the handler mode sends exactly `total`
const warmup = Math.round(total * 0.1);

const POOL: readonly Message[] = parsedReadings(4096).map((payload, i) => ({ topic: "bench", key: `m${i % 16}`, ts: i, payload }));

const dir = await mkdtemp(join(tmpdir(), "aiotflow-bench-onnx-node-"));
const registry = await ModelRegistry.open(dir);
await registry.register({ name: "bench-mlp", bytes: benchModel(32, modelSizeOf(values.model)) });
await registry.promote("bench-mlp", 1, "production", "bench");
const provided = services(provide(MODELS, registry));
const config = { model: "bench-mlp", features: FEATURES, maxBatch: BATCH, maxWaitMs: 0, concurrency: 1 };

let received = 0;
let measureStart = 0;
let finished: (at: number) => void = () => undefined;
const done = new Promise<number>((resolve) => (finished = resolve));
const profiler = values.profile ? new Session() : undefined;
profiler?.connect();
const arrive = () => {
  if (++received === warmup) {
    measureStart = performance.now();
    if (profiler) void profiler.post("Profiler.enable").then(() => profiler.post("Profiler.start"));
  }
  if (received === total) finished(performance.now());
};

let errors = 0;
if (values.mode === "handler") await runHandler();
else await runEngine();
const elapsedMs = (await done) - measureStart;
if (profiler) writeFileSync(values.profile!, JSON.stringify((await profiler.post("Profiler.stop")).profile));
await registry.close();
await rm(dir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({
  system: "aiotflow-node",
  mode: values.mode,
  messages: total - warmup,
  msgs_per_s: (total - warmup) / (elapsedMs / 1000),
  peak_rss_mb: process.resourceUsage().maxRSS / 1024,
  correct: received === total && errors === 0,
})}\n`);
process.exit(0);

async function runEngine(): Promise<void> {
  const source = defineNode({
    type: "bench-prebuilt-source",
    version: 1,
    family: "sources",
    title: "Pre-built messages",
    summary: "Emits pre-built messages as fast as the flow takes them.",
    config: Config({}),
    inputs: {},
    outputs: { out: { kind: "features", description: "Readings." } },
    examples: [{ title: "Default", config: {} }],
    create: (_config, ctx) => {
      let stopped = false;
      const burst = Number(values.burst);
      const run = async () => {
        for (let i = 0; i < total && !stopped; ) {
          const end = Math.min(total, i + burst);
          for (; i < end; i++) if (!ctx.emit("out", POOL[i & 4095]!)) await ctx.writable();
          await new Promise((resolve) => setImmediate(resolve));
        }
      };
      return { start: () => void run(), stop: () => void (stopped = true) };
    },
  });
  const sink = defineNode({
    type: "bench-counting-sink",
    version: 1,
    family: "sinks",
    title: "Count",
    summary: "Counts what arrives.",
    config: Config({}),
    inputs: { in: { kind: "any", description: "Predictions." } },
    outputs: {},
    examples: [{ title: "Default", config: {} }],
    create: () => ({ onMessage: arrive }),
  });
  const engine = new Engine({ catalog: await loadCatalog([source, sink]), services: provided });
  const node = (id: string, type: string, nodeConfig: object) => ({ id, type, config: nodeConfig, position: { x: 0, y: 0 } });
  await engine.deploy({
    format: "aiotflow/flow@1",
    id: "bench-onnx-node",
    name: "bench onnx node overhead",
    nodes: [node("src", "bench-prebuilt-source", {}), node("model", "onnx-inference", config), node("count", "bench-counting-sink", {})],
    edges: [
      { id: "a", from: { node: "src", port: "out" }, to: { node: "model", port: "in" } },
      { id: "b", from: { node: "model", port: "out" }, to: { node: "count", port: "in" } },
    ],
    connections: {},
  });
  void done.then(() => {
    const metrics = engine.metrics();
    errors = metrics.reduce((sum, m) => sum + m.errors + m.dropped, 0);
  });
}

async function runHandler(): Promise<void> {
  const counters = new Map<string, number>();
  const ctx: NodeContext<"out"> = {
    nodeId: "model",
    flowId: "bench",
    clock: new VirtualClock(),
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    metrics: { count: (name, by = 1) => void counters.set(name, (counters.get(name) ?? 0) + by) }, // as the engine counts
    emit: () => (arrive(), true),
    writable: () => Promise.resolve(),
    keyed: () => {
      throw new Error("not used");
    },
    status: () => undefined,
    debug: () => undefined,
    secret: () => "",
    use: <T>(key: ServiceKey<T>): T => lookup(provided, key)!,
  };
  const instance = onnxInference.create(configOf(onnxInference, config), ctx);
  const batches = Array.from({ length: 4096 / BATCH }, (_, b) => POOL.slice(b * BATCH, (b + 1) * BATCH));
  const fail = () => void errors++;
  for (let sent = 0; sent < total; sent += BATCH) await instance.onBatch!(batches[(sent / BATCH) % batches.length]!, "in", fail);
}
