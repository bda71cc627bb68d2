// Node-RED 4.1 side of the deploy benchmark: one run in this (fresh) process, one JSON line on stdout.
//
//   node dist/bench/deploy/node-red.js [--type nodes|full] [--rate 500] [--deploys 5] [--warm-ms 1500] [--gap-ms 300]
//
// Embedded as in PEER-BASELINE.md §1 (RED.init on an http server bound to 127.0.0.1 port 0, no editor,
// logging off, memory context, a temp userDir whose flows.json is written before RED.start(), wait for
// flows:started) except that the admin HTTP API is on (httpAdminRoot "/", no adminAuth): deploys are
// what the editor's Deploy button sends, `POST /flows` with `Node-RED-Deployment-Type: nodes` (modified
// nodes only) or `full`. The harness ticks the source function node every 1 ms
// (`RED.nodes.getNode("src").receive()`, whichever instance is current); it emits every message that is due.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { BRANCHES } from "./bench-nodes.ts";
import { WINDOW } from "./flow.ts";
import { closeHttp, httpJson } from "./http.ts";
import { nodeRedFlow } from "./node-red-flow.ts";
import { DeployRecorder } from "./recorder.ts";
import { scenarioOptions } from "./scenario.ts";

const scenario = scenarioOptions({ flag: "type", values: ["nodes", "full"] as const });
const TYPE = scenario.variant;
const RATE = scenario.rate;
const DEPLOYS = scenario.deploys;
const WARM_MS = scenario.warmMs;
const GAP_MS = scenario.gapMs;
const EFFECT_TIMEOUT_MS = scenario.effectTimeoutMs;
const MB = 1024 * 1024;

/** The part of Node-RED's embedding API used here. */
interface NodeRed {
  init(server: unknown, settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  httpAdmin: (req: IncomingMessage, res: ServerResponse) => void;
  events: { on(event: string, listener: (e: { diff?: Record<string, unknown[]> }) => void): void; once(event: string, listener: () => void): void };
  nodes: { getNode(id: string): { receive(msg: unknown): void } | null };
}

async function main(): Promise<void> {
  const budgetS = (WARM_MS + DEPLOYS * (GAP_MS + EFFECT_TIMEOUT_MS)) / 1000 + 10;
  const recorder = new DeployRecorder({ rate: RATE, branches: BRANCHES, capacity: Math.ceil(RATE * budgetS), window: WINDOW });
  const flows = { 1: nodeRedFlow(1), 2: nodeRedFlow(2) };

  const userDir = mkdtempSync(join(tmpdir(), "aiotflow-bench-deploy-nr-"));
  writeFileSync(join(userDir, "flows.json"), JSON.stringify(flows[1]));
  const require = createRequire(import.meta.url);
  const RED = require("node-red") as NodeRed;
  const server = createServer((req, res) => RED.httpAdmin(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  RED.init(server, {
    userDir,
    httpAdminRoot: "/",
    httpNodeRoot: false,
    disableEditor: true,
    flowFile: "flows.json",
    credentialSecret: false,
    logging: { console: { level: "off", metrics: false, audit: false } },
    contextStorage: { default: { module: "memory" } },
    functionGlobalContext: { bench: recorder },
    editorTheme: { tours: false },
  });
  // Every later flows:started (one per deploy) stamps the deploy in progress.
  let pending: ((diff: Record<string, unknown[]> | undefined) => void) | undefined;
  RED.events.on("flows:started", (e) => {
    const done = pending;
    pending = undefined;
    done?.(e.diff);
  });
  const started = new Promise<void>((resolve) => (pending = () => resolve()));
  await RED.start();
  await started;
  const rssAfterStartMb = process.memoryUsage().rss / MB;

  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const ticker = setInterval(() => RED.nodes.getNode("src")?.receive({}), 1);
  recorder.start();
  const check = await httpJson("GET", `${base}/flows`); // warms the connection and the admin API
  if (check.status !== 200) throw new Error(`GET /flows: HTTP ${check.status} ${check.body.slice(0, 200)}`);
  await sleep(WARM_MS);

  let timeouts = 0;
  const statuses: number[] = [];
  const diffs: unknown[] = [];
  for (let k = 0; k < DEPLOYS; k++) {
    const version = k % 2 === 0 ? 2 : 1;
    const startedAt = new Promise<{ at: number; diff: Record<string, unknown[]> | undefined }>(
      (resolve) => (pending = (diff) => resolve({ at: performance.now(), diff })),
    );
    const mark = recorder.markDeploy(version);
    const response = await httpJson("POST", `${base}/flows`, flows[version], { "Node-RED-Deployment-Type": TYPE, "Node-RED-API-Version": "v1" });
    mark.returned = performance.now();
    statuses.push(response.status);
    if (response.status !== 204) throw new Error(`POST /flows: HTTP ${response.status} ${response.body.slice(0, 300)}`);
    const start = await Promise.race([startedAt, sleep(EFFECT_TIMEOUT_MS).then(() => undefined)]);
    if (start) mark.started = start.at;
    const diff = start?.diff;
    // Node-RED's own diff of the deploy (node ids added / changed / removed / rewired).
    mark.extra = diff
      ? Object.fromEntries(["added", "changed", "removed", "rewired"].map((key) => [key, Array.isArray(diff[key]) ? diff[key].length : null]))
      : {};
    if (k < 2 && diff) diffs.push({ version, ...Object.fromEntries(["added", "changed", "removed", "rewired"].map((key) => [key, diff[key] ?? null])) });
    if (!(await recorder.allBranchesNew(EFFECT_TIMEOUT_MS))) timeouts++;
    await sleep(GAP_MS);
  }

  clearInterval(ticker);
  const drained = await recorder.stopAndDrain(3000);
  const cpu = process.cpuUsage(cpu0);
  const cpuPct = (100 * (cpu.user + cpu.system)) / 1000 / (performance.now() - wall0);
  const analysis = recorder.analyse(GAP_MS + EFFECT_TIMEOUT_MS);
  const result = {
    system: "node-red",
    variant: TYPE,
    how: `POST /flows, Node-RED-Deployment-Type: ${TYPE} (admin API over loopback HTTP)`,
    version: (require("node-red/package.json") as { version: string }).version,
    nodes: flows[1].length - 1,
    nodes_v2: flows[2].length - 1,
    rss_after_start_mb: rssAfterStartMb,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    cpu_pct: cpuPct,
    drained,
    effect_timeouts: timeouts,
    http_statuses: statuses,
    diffs,
    ...analysis,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  closeHttp();
  rmSync(userDir, { recursive: true, force: true });
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`node-red deploy bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
