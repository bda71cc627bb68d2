// aiotflow side of the drift benchmark: the shipped drift-monitor node's own cost per message (PSI
// binning of 4 features against 10-bin references, judged every 1000 messages), measured by calling
// its onMessage in a loop, `passes` times over `n` pre-built messages, each pass with a fresh node.
// Prints one JSON line.
//
//   node --import tsx bench/drift/aiotflow.ts [--n 200000] [--passes 10]
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import driftMonitor from "../../nodes/inference/drift-monitor/index.ts";
import { configOf, VirtualClock, type Message, type NodeContext } from "../../runtime/sdk/index.ts";
import { DRIFT_CONFIG, FEATURES, row } from "./data.ts";

const { values } = parseArgs({ options: { n: { type: "string", default: "200000" }, passes: { type: "string", default: "10" } } });
const N = Number(values.n);
const PASSES = Number(values.passes);

const messages: Message[] = Array.from({ length: N }, (_, i) => ({ topic: "features", key: "pump-1", ts: i, payload: row(i, N) }));
let events = 0;
let psiSum = 0;
const clock = new VirtualClock(0);
const ctx: NodeContext<"events"> = {
  nodeId: "drift",
  flowId: "bench-drift",
  clock,
  log: { debug() {}, info() {}, warn() {}, error() {} },
  metrics: { count() {} },
  emit(_port, msg) {
    const payload = msg.payload as { features: Array<{ value: number }> };
    events += 1;
    for (const f of payload.features) psiSum += f.value;
    return true;
  },
  writable: () => Promise.resolve(),
  keyed: () => {
    throw new Error("drift-monitor keeps no keyed state");
  },
  status() {},
  debug() {},
  secret: () => "",
  use: () => {
    throw new Error("inline reference: no service needed");
  },
};
const config = configOf(driftMonitor, DRIFT_CONFIG);

function pass(): void {
  const node = driftMonitor.create(config, ctx);
  for (let i = 0; i < N; i++) void node.onMessage!(messages[i]!, "in");
}

pass(); // warm-up: JIT and inline caches
events = 0;
psiSum = 0;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let p = 0; p < PASSES; p++) pass();
const elapsedMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const cpuNs = (cpu.user + cpu.system) * 1000;
const total = N * PASSES;
process.stdout.write(
  `${JSON.stringify({
    system: "aiotflow",
    what: "drift-monitor onMessage, direct loop (no engine dispatch)",
    features: FEATURES,
    messages: total,
    elapsed_ms: elapsedMs,
    msgs_per_s: total / (elapsedMs / 1000),
    drift_check_ns_per_msg: cpuNs / total,
    wall_ns_per_msg: (elapsedMs * 1e6) / total,
    events_per_pass: events / PASSES,
    psi_sum_per_pass: psiSum / PASSES,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    correct: events > 0,
  })}\n`,
);
