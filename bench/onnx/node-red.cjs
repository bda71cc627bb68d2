#!/usr/bin/env node
// Node-RED 4.1 side of the ONNX benchmark, embedded as bench/chain/node-red.cjs does (no admin or
// node HTTP, logging off, memory context, temp userDir). The model is the same 32-feature MLP; a
// function node calls onnxruntime-node through the global context (functionGlobalContext holds
// `ort` and the loaded session: what a Node-RED user does without a contrib node), one session.run
// per message. Flow: paced source -> function(onnx) -> switch(score > 0.6) -> sink.
// Prints one JSON line on stdout.
//
//   node bench/onnx/node-red.cjs --model <file.onnx> [--rate 2000] [--n 20000] [--warmup 0.1]
"use strict";

const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const http = require("node:http");
const { performance } = require("node:perf_hooks");

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const RATE = Number(arg("rate", 2000));
const N = Number(arg("n", 20000));
const WARMUP = Math.round(N * Number(arg("warmup", 0.1)));
const MODEL = arg("model", "");
const FEATURES = 32;

// Same readings as bench/onnx/model.ts readingValue(i, f).
const SOURCE = `
const b = global.get('bench');
const start = b.now();
let sent = 0;
function tick() {
  const due = Math.min(b.n, Math.floor(((b.now() - start) / 1000) * b.rate));
  while (sent < due) {
    const i = sent++;
    const payload = { seq: i };
    for (let f = 0; f < 32; f++) payload['f' + f] = ((i * 31 + f * 17) % 100) / 25 - 2;
    node.send({ t0: b.now(), seq: i, topic: 'bench', payload });
  }
  if (sent < b.n) setTimeout(tick, 0);
}
tick();
return null;`;

const INFER = `
const ort = global.get('ort');
const session = global.get('session');
// The function sandbox is another realm: onnxruntime refuses its Float32Array, so the main realm's
// constructor comes through the global context too.
const F32 = global.get('Float32Array');
const row = new F32(32);
for (let f = 0; f < 32; f++) row[f] = msg.payload['f' + f];
session.run({ features: new ort.Tensor('float32', row, [1, 32]) }).then((out) => {
  msg.payload.score = out.score.data[0];
  node.send(msg);
  node.done();
}, (err) => node.error(err, msg));
return null;`;

const SINK = `
global.get('bench').sink(msg);
return null;`;

const fn = (id, name, func, wires, outputs = 1) => ({
  id, type: "function", z: "flow", name, func, outputs, timeout: 0, noerr: 0, initialize: "", finalize: "", libs: [], x: 0, y: 0, wires,
});

const FLOW = [
  { id: "flow", type: "tab", label: "bench onnx", disabled: false, info: "" },
  fn("src", "source", SOURCE, [["infer"]]),
  fn("infer", "onnx", INFER, [["gate"]]),
  {
    id: "gate", type: "switch", z: "flow", name: "score > 0.6", property: "payload.score", propertyType: "msg",
    rules: [{ t: "gt", v: "0.6", vt: "num" }, { t: "else" }], checkall: "false", repair: false, outputs: 2, x: 0, y: 0, wires: [["sink"], ["sink"]],
  },
  fn("sink", "sink", SINK, []),
];

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

async function main() {
  const ort = require("onnxruntime-node");
  const session = await ort.InferenceSession.create(fs.readFileSync(MODEL), { graphOptimizationLevel: "all", intraOpNumThreads: 1 });
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), "aiotflow-bench-nr-onnx-"));
  fs.writeFileSync(path.join(userDir, "flows.json"), JSON.stringify(FLOW));
  const latencies = new Float64Array(N - WARMUP).fill(NaN);
  let received = 0;
  let measureStart = 0;
  let done = () => {};
  const finished = new Promise((resolve) => (done = resolve));
  const bench = {
    n: N,
    rate: RATE,
    now: () => performance.now(),
    sink(msg) {
      const now = performance.now();
      if (msg.seq === WARMUP) measureStart = msg.t0;
      if (msg.seq >= WARMUP) latencies[msg.seq - WARMUP] = now - msg.t0;
      if (++received === N) done(now);
    },
  };
  const RED = require("node-red");
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  RED.init(server, {
    userDir, httpAdminRoot: false, httpNodeRoot: false, disableEditor: true, flowFile: "flows.json", credentialSecret: false,
    logging: { console: { level: process.env.NR_LOG || "off", metrics: false, audit: false } },
    contextStorage: { default: { module: "memory" } },
    functionGlobalContext: { bench, ort, session, Float32Array },
    editorTheme: { tours: false },
  });
  const started = new Promise((resolve) => RED.events.once("flows:started", resolve));
  await RED.start();
  await started;
  RED.nodes.getNode("src").receive({ payload: {} });
  // Fails the run instead of hanging when nothing reaches the sink for 15 s (e.g. a function error).
  let seen = -1;
  const watchdog = setInterval(() => {
    if (received === seen) {
      process.stderr.write(`node-red onnx bench stalled at ${received} of ${N} messages\n`);
      process.exit(1);
    }
    seen = received;
  }, 15000);
  const tEnd = await finished;
  clearInterval(watchdog);
  const sorted = latencies.slice().sort();
  const missing = sorted.filter(Number.isNaN).length;
  process.stdout.write(JSON.stringify({
    system: "node-red",
    version: require("node-red/package.json").version,
    mode: "latency",
    rate: RATE,
    messages: N - WARMUP,
    msgs_per_s: (N - WARMUP) / ((tEnd - measureStart) / 1000),
    p50_ms: percentile(sorted, 50),
    p99_ms: percentile(sorted, 99),
    max_ms: sorted[sorted.length - 1 - missing],
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    correct: received === N && missing === 0,
  }) + "\n");
  fs.rmSync(userDir, { recursive: true, force: true });
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`node-red onnx bench failed: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
