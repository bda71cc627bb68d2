// aiotflow side of the deploy benchmark: one run in this (fresh) process, one JSON line on stdout.
//
//   node dist/bench/deploy/aiotflow.js [--via runtime|http] [--rate 500] [--deploys 5] [--warm-ms 1500] [--gap-ms 300]
//
// Deploys v1 (the source starts), lets messages flow, then hot-deploys v2, v1, v2 … while they keep
// flowing, and measures each deploy with the DeployRecorder.
//   --via runtime: FlowRuntime.deploy(flowId, version, document) in this process;
//   --via http:    `serve` in this process (temp data dir, port 0, auth off, no MQTT broker); both
//                  versions are saved through the API first (POST /api/flows, PUT /api/flows/:id), then
//                  each deploy is `POST /api/flows/:id/deploy {version}`, timed end to end.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { loadCatalog, type Catalog } from "../../runtime/catalog/catalog.ts";
import type { DeployReport } from "../../runtime/core/engine.ts";
import type { FlowDocument } from "../../runtime/contract/flow-format.ts";
import { silentLogger } from "../../runtime/core/logger.ts";
import { FlowRuntime } from "../../runtime/local/flow-runtime.ts";
import { BRANCHES, createDeployBenchNodes } from "./bench-nodes.ts";
import { ADDED, CHANGED, WINDOW, deployFlow } from "./flow.ts";
import { closeHttp, httpJson } from "./http.ts";
import { DeployRecorder } from "./recorder.ts";
import { scenarioOptions } from "./scenario.ts";

const scenario = scenarioOptions({ flag: "via", values: ["runtime", "http"] as const });
const VIA = scenario.variant;
const RATE = scenario.rate;
const DEPLOYS = scenario.deploys;
const WARM_MS = scenario.warmMs;
const GAP_MS = scenario.gapMs;
const EFFECT_TIMEOUT_MS = scenario.effectTimeoutMs;
const MB = 1024 * 1024;
const FLOW_ID = "bench-deploy";

interface Deployed {
  readonly durationMs: number;
  readonly report: DeployReport;
}

/** What the run needs of the system under test: deploy a version, and shut down. */
interface Deployer {
  readonly how: string;
  deploy(version: 1 | 2): Promise<Deployed>;
  /** Messages the engine dropped and node errors (runtime only; the HTTP variant does not expose them). */
  counters(): { dropped: number; errors: number } | undefined;
  close(): Promise<void>;
}

function runtimeDeployer(catalog: Catalog, documents: Record<1 | 2, FlowDocument>): Deployer {
  const runtime = new FlowRuntime({ catalog });
  return {
    how: "FlowRuntime.deploy(flowId, version, document) in-process",
    async deploy(version) {
      const outcome = await runtime.deploy(FLOW_ID, version, documents[version]);
      if (!outcome.ok) throw new Error(`deploy of v${version} failed: ${JSON.stringify(outcome.error)}`);
      return { durationMs: outcome.durationMs, report: outcome.report };
    },
    counters() {
      const nodes = runtime.metrics(FLOW_ID)[0]?.nodes ?? [];
      return { dropped: nodes.reduce((s, m) => s + m.dropped, 0), errors: nodes.reduce((s, m) => s + m.errors, 0) };
    },
    close: () => runtime.close(),
  };
}

async function httpDeployer(catalog: Catalog, documents: Record<1 | 2, FlowDocument>): Promise<Deployer> {
  const { serve } = await import("../../runtime/serve/serve.ts");
  const dataDir = mkdtempSync(join(tmpdir(), "aiotflow-bench-deploy-"));
  const served = await serve({ catalog, dataDir, port: 0, host: "127.0.0.1", auth: false, logger: silentLogger });
  const expect = async (what: string, call: Promise<{ status: number; body: string }>) => {
    const response = await call;
    if (response.status !== 200 && response.status !== 201) throw new Error(`${what}: HTTP ${response.status} ${response.body.slice(0, 500)}`);
    return JSON.parse(response.body) as Record<string, unknown>;
  };
  await expect("create v1", httpJson("POST", `${served.url}/api/flows`, { document: documents[1], message: "bench v1" }));
  await expect("save v2", httpJson("PUT", `${served.url}/api/flows/${FLOW_ID}`, { document: documents[2], baseVersion: 1, message: "bench v2" }));
  return {
    how: "POST /api/flows/:id/deploy {version} to `serve` in-process (auth off, loopback HTTP, keep-alive)",
    async deploy(version) {
      const body = await expect(`deploy v${version}`, httpJson("POST", `${served.url}/api/flows/${FLOW_ID}/deploy`, { version }));
      const deployment = body["deployment"] as { durationMs: number };
      return { durationMs: deployment.durationMs, report: body["report"] as DeployReport };
    },
    counters: () => undefined,
    async close() {
      closeHttp();
      await served.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<void> {
  // Room for the whole run at the nominal rate, with a generous margin for slow deploys.
  const budgetS = (WARM_MS + DEPLOYS * (GAP_MS + EFFECT_TIMEOUT_MS)) / 1000 + 10;
  const recorder = new DeployRecorder({ rate: RATE, branches: BRANCHES, capacity: Math.ceil(RATE * budgetS), window: WINDOW });
  const { source, sink } = createDeployBenchNodes(recorder);
  const catalog = await loadCatalog([source, sink]);
  const documents = { 1: deployFlow(1) as FlowDocument, 2: deployFlow(2) as FlowDocument };
  const system = VIA === "http" ? await httpDeployer(catalog, documents) : runtimeDeployer(catalog, documents);

  const initialStart = performance.now();
  const first = await system.deploy(1);
  const initialMs = performance.now() - initialStart;
  const rssAfterStartMb = process.memoryUsage().rss / MB;
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  await sleep(WARM_MS);

  const reports: Array<{ version: number; changed: string[]; added: string[]; removed: string[] }> = [];
  let timeouts = 0;
  for (let k = 0; k < DEPLOYS; k++) {
    const version = k % 2 === 0 ? 2 : 1;
    const mark = recorder.markDeploy(version);
    const outcome = await system.deploy(version);
    mark.returned = performance.now();
    const r = outcome.report;
    mark.extra = { reported_duration_ms: outcome.durationMs, changed: r.changed.length, added: r.added.length, removed: r.removed.length, kept: r.kept.length };
    reports.push({ version, changed: r.changed, added: r.added, removed: r.removed });
    if (!(await recorder.allBranchesNew(EFFECT_TIMEOUT_MS))) timeouts++;
    await sleep(GAP_MS);
  }

  const drained = await recorder.stopAndDrain(3000);
  const cpu = process.cpuUsage(cpu0);
  const cpuPct = (100 * (cpu.user + cpu.system)) / 1000 / (performance.now() - wall0);
  const counters = system.counters();
  await system.close();
  const analysis = recorder.analyse(GAP_MS + EFFECT_TIMEOUT_MS);
  const sorted = (xs: string[]) => JSON.stringify([...xs].sort());
  const asExpected = reports.every((x, k) => sorted(x.changed) === sorted(CHANGED) && sorted(k % 2 === 0 ? x.added : x.removed) === sorted(ADDED));
  const result = {
    system: "aiotflow",
    variant: VIA,
    how: system.how,
    nodes: documents[1].nodes.length,
    nodes_v2: documents[2].nodes.length,
    initial_deploy_ms: initialMs,
    initial_reported_duration_ms: first.durationMs,
    rss_after_start_mb: rssAfterStartMb,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    cpu_pct: cpuPct,
    drained,
    effect_timeouts: timeouts,
    diff_as_expected: asExpected,
    diffs: reports,
    ...analysis,
    engine_dropped: counters?.dropped ?? null,
    engine_errors: counters?.errors ?? null,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`aiotflow deploy bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
