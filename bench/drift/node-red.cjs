#!/usr/bin/env node
// Node-RED 4.1 side of the drift benchmark, embedded as in bench/chain/node-red.cjs. A source function
// emits the benchmark's rows (one per event-loop turn, Node-RED's sustainable pacing) into a function
// node that does what a Node-RED user would write for the same PSI check: bin 4 features into 10-bin
// references (binary search), judge every 1000 messages, count drifted features. The check's own cost
// is the CPU difference between that flow and the same flow with an empty function in its place.
// Prints one JSON line.
//
//   node bench/drift/node-red.cjs [--n 200000]
"use strict";

const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const http = require("node:http");
const { performance } = require("node:perf_hooks");

const i = process.argv.indexOf("--n");
const N = i >= 0 ? Number(process.argv[i + 1]) : 200_000;
const FEATURES = 4;
const EDGES = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];
const PROPORTIONS = new Array(10).fill(0.1);

// Same data as bench/drift/data.ts.
const frac = (x) => x - Math.floor(x);
function row(i, n) {
  const out = {};
  for (let f = 0; f < FEATURES; f++) out[`f${f}`] = frac(Math.sin((i + 1) * 12.9898 + f * 78.233) * 43758.5453) + (f === 0 && i >= n / 2 ? 0.3 : 0);
  return out;
}

const SOURCE = `
const b = global.get('bench');
const N = msg.payload.n;
let i = 0;
function pump() {
  if (i < N) { node.send({ seq: i, payload: b.row(i, N) }); i++; b.immediate(pump); }
}
pump();
return null;`;

const CHECK = `
const b = global.get('bench');
let s = context.get('s');
if (!s) {
  s = { counts: [], n: 0 };
  for (let f = 0; f < ${FEATURES}; f++) s.counts.push(new Array(${EDGES.length - 1}).fill(0));
  context.set('s', s);
}
const edges = b.edges, p = msg.payload;
for (let f = 0; f < ${FEATURES}; f++) {
  const v = p['f' + f];
  if (typeof v !== 'number' || !isFinite(v)) continue;
  let lo = 0, hi = edges.length - 2;
  while (lo < hi) { const mid = (lo + hi + 1) >>> 1; if (v >= edges[mid]) lo = mid; else hi = mid - 1; }
  s.counts[f][lo]++;
}
s.n++;
if (s.n === 1000) {
  for (let f = 0; f < ${FEATURES}; f++) {
    const c = s.counts[f];
    let total = 0;
    for (let k = 0; k < c.length; k++) total += c[k];
    let psi = 0;
    for (let k = 0; k < c.length; k++) {
      const e = Math.max(b.proportions[k], 1e-4), a = Math.max(c[k] / total, 1e-4);
      psi += (a - e) * Math.log(a / e);
    }
    if (total >= 200 && psi > 0.25) b.drift(psi);
    c.fill(0);
  }
  s.n = 0;
}
b.arrive(msg);
return null;`;

const EMPTY = `
global.get('bench').arrive(msg);
return null;`;

const fn = (id, func, wires) => ({ id, type: "function", z: "flow", name: id, func, outputs: 1, timeout: 0, noerr: 0, initialize: "", finalize: "", libs: [], x: 0, y: 0, wires });
const flow = (body) => [{ id: "flow", type: "tab", label: "bench drift", disabled: false, info: "" }, fn("src", SOURCE, [["check"]]), fn("check", body, [])];

async function measure(body) {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), "aiotflow-bench-drift-nr-"));
  fs.writeFileSync(path.join(userDir, "flows.json"), JSON.stringify(flow(body)));
  let received = 0;
  let events = 0;
  let psiSum = 0;
  let done = () => {};
  const bench = {
    edges: EDGES,
    proportions: PROPORTIONS,
    row,
    immediate: (f) => setImmediate(f),
    drift(psi) {
      events++;
      psiSum += psi;
    },
    arrive() {
      if (++received === N) done();
    },
  };
  const RED = require("node-red");
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  RED.init(server, {
    userDir, httpAdminRoot: false, httpNodeRoot: false, disableEditor: true, flowFile: "flows.json", credentialSecret: false,
    logging: { console: { level: "off", metrics: false, audit: false } }, contextStorage: { default: { module: "memory" } },
    functionGlobalContext: { bench }, editorTheme: { tours: false },
  });
  const started = new Promise((resolve) => RED.events.once("flows:started", resolve));
  await RED.start();
  await started;
  const pass = () => new Promise((resolve) => {
    received = 0;
    done = resolve;
    RED.nodes.getNode("src").receive({ payload: { n: N } });
  });
  await pass(); // warm-up
  events = 0;
  psiSum = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await pass();
  const elapsedMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await RED.stop();
  server.close();
  fs.rmSync(userDir, { recursive: true, force: true });
  return { elapsedMs, cpuNs: (cpu.user + cpu.system) * 1000, events, psiSum };
}

async function main() {
  // One Node-RED per process: the empty flow first, then the checking flow, in two child runs would
  // double start-up; RED.stop/init twice in one process is not supported, so this process measures
  // the flow named by --flow.
  const which = process.argv.includes("--empty") ? "empty" : "check";
  const m = await measure(which === "empty" ? EMPTY : CHECK);
  process.stdout.write(
    JSON.stringify({
      system: "node-red",
      flow: which,
      version: require("node-red/package.json").version,
      features: FEATURES,
      messages: N,
      elapsed_ms: m.elapsedMs,
      msgs_per_s: N / (m.elapsedMs / 1000),
      cpu_ns_per_msg: m.cpuNs / N,
      events_per_pass: m.events,
      psi_sum_per_pass: m.psiSum,
      peak_rss_mb: process.resourceUsage().maxRSS / 1024,
      correct: which === "empty" || m.events > 0,
    }) + "\n",
  );
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`node-red drift bench failed: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
