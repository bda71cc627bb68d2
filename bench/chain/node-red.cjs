#!/usr/bin/env node
// Node-RED 4.1 side of the chain benchmark. Embedded exactly as in PEER-BASELINE.md §1:
// RED.init on an http server bound to 127.0.0.1:0, no admin/node HTTP, no editor, logging off,
// memory context, a temp userDir with flows.json written before RED.start(); the harness waits for
// flows:started, then triggers the source function with RED.nodes.getNode(id).receive().
// Prints exactly one JSON line (the run's results) on stdout.
//
//   node bench/chain/node-red.cjs [--n 100000] [--batch 1] [--warmup 0.1]
"use strict";

const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const http = require("node:http");
const { performance } = require("node:perf_hooks");

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? Number(process.argv[i + 1]) : fallback;
}

const N = arg("n", 100_000);
const BATCH = arg("batch", 1);
const WARMUP = Math.min(Math.round(N * arg("warmup", 0.1)), 50_000);
const WINDOW = 10;

// Function bodies: what a Node-RED user writes for this job.
const SOURCE = `
const b = global.get('bench');
const N = msg.payload.n, B = msg.payload.batch;
let i = 0;
function pump() {
  const end = Math.min(i + B, N);
  for (; i < end; i++) {
    node.send({ t0: b.now(), seq: i, topic: 'sensors/pump-1', payload: { vibration: (i % 100) / 10, temperature: 20 + (i % 50) } });
  }
  if (i < N) b.immediate(pump);
}
pump();
return null;`;

const SCALE = `
msg.payload.scaled = msg.payload.vibration * 10;
return msg;`;

// Ring buffer of the last 10 scaled values in node context; naive stats recomputed per message.
const ROLLING_STATS = `
const size = 10;
let ring = context.get('ring');
if (!ring) ring = { values: [], next: 0 };
ring.values[ring.next] = msg.payload.scaled;
ring.next = (ring.next + 1) % size;
context.set('ring', ring);
const vals = ring.values, n = vals.length;
let sum = 0, sumSq = 0, min = Infinity, max = -Infinity;
for (let k = 0; k < n; k++) {
  const v = vals[k];
  sum += v; sumSq += v * v;
  if (v < min) min = v;
  if (v > max) max = v;
}
const mean = sum / n;
let dev = 0;
for (let k = 0; k < n; k++) dev += (vals[k] - mean) * (vals[k] - mean);
msg.payload.scaled_mean = mean;
msg.payload.scaled_std = Math.sqrt(dev / n);
msg.payload.scaled_min = min;
msg.payload.scaled_max = max;
msg.payload.scaled_rms = Math.sqrt(sumSq / n);
msg.payload.scaled_p2p = max - min;
return msg;`;

// Hysteresis on the rolling mean: raise above 0.7, clear below 0.5; output 1 = alarm, 2 = normal.
const GATE = `
let alarm = context.get('alarm') || false;
const m = msg.payload.scaled_mean;
if (!alarm && m > 0.7) alarm = true;
else if (alarm && m < 0.5) alarm = false;
context.set('alarm', alarm);
msg.alarm = alarm;
return alarm ? [msg, null] : [null, msg];`;

const SINK = `
global.get('bench').sink(msg);
return null;`;

const fn = (id, name, func, wires, outputs = 1) => ({
  id, type: "function", z: "flow", name, func, outputs, timeout: 0, noerr: 0,
  initialize: "", finalize: "", libs: [], x: 0, y: 0, wires,
});

const FLOW = [
  { id: "flow", type: "tab", label: "bench chain", disabled: false, info: "" },
  fn("src", "source", SOURCE, [["valid"]]),
  {
    id: "valid", type: "switch", z: "flow", name: "valid?", property: "payload.vibration", propertyType: "msg",
    rules: [{ t: "btwn", v: "0", vt: "num", v2: "100", v2t: "num" }, { t: "else" }],
    checkall: "false", repair: false, outputs: 2, x: 0, y: 0, wires: [["scale"], ["scale"]],
  },
  fn("scale", "scale", SCALE, [["range"]]),
  {
    id: "range", type: "range", z: "flow", name: "0..100 -> 0..1", minin: "0", maxin: "100", minout: "0", maxout: "1",
    action: "clamp", round: false, property: "payload.scaled", x: 0, y: 0, wires: [["stats"]],
  },
  fn("stats", "rolling stats(10)", ROLLING_STATS, [["gate"]]),
  fn("gate", "gate", GATE, [["sink"], ["sink"]], 2),
  fn("sink", "sink", SINK, []),
];

/** Nearest-rank percentile of an ascending-sorted array. */
function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** The rolling mean the last message must carry: last WINDOW scaled values of seq N-WINDOW..N-1. */
function referenceMean() {
  let sum = 0;
  for (let i = N - WINDOW; i < N; i++) sum += Math.min(Math.max(((i % 100) / 10) * 10 / 100, 0), 1);
  return sum / WINDOW;
}

async function main() {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), "aiotflow-bench-nr-"));
  fs.writeFileSync(path.join(userDir, "flows.json"), JSON.stringify(FLOW));

  let latencies = new Float64Array(0);
  let received = 0;
  let expected = 0;
  let last = null;
  let outOfOrder = 0;
  let done = () => {};
  const bench = {
    now: () => performance.now(),
    immediate: (f) => setImmediate(f),
    sink(msg) {
      if (msg.seq !== received) outOfOrder++;
      if (latencies.length > 0) latencies[received] = performance.now() - msg.t0;
      received++;
      last = msg;
      if (received === expected) done(performance.now());
    },
  };

  const RED = require("node-red");
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  RED.init(server, {
    userDir,
    httpAdminRoot: false,
    httpNodeRoot: false,
    disableEditor: true,
    flowFile: "flows.json",
    credentialSecret: false,
    logging: { console: { level: "off", metrics: false, audit: false } },
    contextStorage: { default: { module: "memory" } },
    functionGlobalContext: { bench },
    editorTheme: { tours: false },
  });
  const started = new Promise((resolve) => RED.events.once("flows:started", resolve));
  await RED.start();
  await started;
  const rssAfterStartMb = process.memoryUsage().rss / 1048576;

  /** Triggers one pass of `n` messages; resolves with the time the last one reached the sink. */
  function pass(n, record) {
    latencies = record ? new Float64Array(n) : new Float64Array(0);
    received = 0;
    expected = n;
    outOfOrder = 0;
    return new Promise((resolve) => {
      done = resolve;
      RED.nodes.getNode("src").receive({ payload: { n, batch: BATCH } });
    });
  }

  if (WARMUP > 0) await pass(WARMUP, false);

  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const tEnd = await pass(N, true);
  const cpu = process.cpuUsage(cpu0);
  const elapsedMs = tEnd - t0;

  const lastMean = last.payload.scaled_mean;
  const refMean = referenceMean();
  const sorted = latencies.slice().sort();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const result = {
    system: "node-red",
    version: require("node-red/package.json").version,
    nodes: FLOW.length - 1,
    batch: BATCH,
    messages: N,
    warmup: WARMUP,
    elapsed_ms: elapsedMs,
    msgs_per_s: N / (elapsedMs / 1000),
    p50_ms: percentile(sorted, 50),
    p99_ms: percentile(sorted, 99),
    max_ms: sorted[sorted.length - 1],
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    rss_after_start_mb: rssAfterStartMb,
    cpu_ms: cpuMs,
    cpu_pct: (100 * cpuMs) / elapsedMs,
    cpu_us_per_msg: (1000 * cpuMs) / N,
    correct: received === N && outOfOrder === 0 && Math.abs(lastMean - refMean) < 1e-9,
    check: { received, out_of_order: outOfOrder, last_mean: lastMean, reference_mean: refMean },
    note:
      BATCH === 1
        ? "source emits 1 msg per event-loop turn: Node-RED's best sustainable rate (at 100/turn its switch node handles one queued message per setImmediate and its queue grows without bound)"
        : `source emits ${BATCH} msgs per turn: above 1/turn the switch node queues without bound, so latency here is queueing time that grows with N`,
  };
  process.stdout.write(JSON.stringify(result) + "\n");
  fs.rmSync(userDir, { recursive: true, force: true });
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`node-red chain bench failed: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
