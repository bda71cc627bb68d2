// The deploy benchmark: hot deploys of a 50-node flow while messages flow, in aiotflow and in Node-RED
// 4.1 (embedded, admin API), each run a fresh child process, systems alternating, medians across all
// deploys of all runs. Prints a table, writes bench/results/deploy.json.
//
//   node --import tsx bench/deploy/run.ts [--runs 3] [--rate 500] [--high-rate 20000] [--deploys 5] [--quick] [--no-http]
import { existsSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { buildCompiled, repoRoot, writeResultsAndFinish, runChild as runChildProcess, type Child as ProcessChild } from "../children.ts";
import { median } from "../chain/stats.ts";

const here = dirname(fileURLToPath(import.meta.url));
const compiled = join(repoRoot, "dist", "bench", "deploy");

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    rate: { type: "string", default: "500" },
    "high-rate": { type: "string", default: "20000" },
    deploys: { type: "string", default: "5" },
    "warm-ms": { type: "string", default: "1500" },
    "gap-ms": { type: "string", default: "300" },
    "no-http": { type: "boolean", default: false },
    quick: { type: "boolean", default: false },
    "timeout-s": { type: "string", default: "60" },
  },
});

const quick = values.quick;
const RUNS = quick ? 1 : Number(values.runs);
const RATE = Number(values.rate);
const HIGH_RATE = Number(values["high-rate"]);
const DEPLOYS = quick ? 3 : Number(values.deploys);
const WARM_MS = quick ? 1000 : Number(values["warm-ms"]);
const GAP_MS = Number(values["gap-ms"]);
const TIMEOUT_MS = Number(values["timeout-s"]) * 1000;
/** The target: a deploy of a 50-node flow takes effect in < 200 ms, messages flowing, zero lost. */
const TARGET_MS = 200;
/** A run whose messages waited longer than this before any deploy was not keeping up with the rate. */
const KEEPING_UP_P50_MS = 50;

type Deploy = Record<string, number | null> & { version: number };
type Result = Record<string, unknown> & {
  system: string;
  variant: string;
  deploys: Deploy[];
  lost: number;
  duplicated: number;
  expected_per_branch: number;
  branches: number;
  baseline: Record<string, number | null>;
};

interface Child extends ProcessChild {
  readonly key: string;
  readonly system: "aiotflow" | "node-red";
}

const common = ["--deploys", String(DEPLOYS), "--warm-ms", String(WARM_MS), "--gap-ms", String(GAP_MS)];
const httpAvailable = existsSync(join(repoRoot, "runtime", "serve", "serve.ts")) && !values["no-http"];
const CHILDREN: Child[] = [
  { key: "aiotflow", system: "aiotflow", label: `aiotflow runtime @${RATE}/s`, argv: [join(compiled, "aiotflow.js"), "--rate", String(RATE), ...common] },
  { key: "node-red", system: "node-red", label: `node-red nodes @${RATE}/s`, argv: [join(compiled, "node-red.js"), "--type", "nodes", "--rate", String(RATE), ...common] },
  {
    key: `aiotflow@${HIGH_RATE}`,
    system: "aiotflow",
    label: `aiotflow runtime @${HIGH_RATE}/s`,
    argv: [join(compiled, "aiotflow.js"), "--rate", String(HIGH_RATE), ...common],
  },
  { key: "node-red-full", system: "node-red", label: `node-red full @${RATE}/s`, argv: [join(compiled, "node-red.js"), "--type", "full", "--rate", String(RATE), ...common] },
  ...(httpAvailable
    ? [{ key: "aiotflow-http", system: "aiotflow" as const, label: `aiotflow http @${RATE}/s`, argv: [join(compiled, "aiotflow.js"), "--via", "http", "--rate", String(RATE), ...common] }]
    : []),
];

/** Both children run compiled (`npm run build`), as plain `node` processes. */

const runChild = (child: Child) => runChildProcess<Result>(child, TIMEOUT_MS);

const finite = (xs: ReadonlyArray<unknown>) => xs.filter((x): x is number => typeof x === "number" && Number.isFinite(x));
const stat = (xs: ReadonlyArray<unknown>) => {
  const v = finite(xs);
  return { median: median(v), min: v.length ? Math.min(...v) : Number.NaN, max: v.length ? Math.max(...v) : Number.NaN };
};
const num = (r: Record<string, unknown>, field: string) => (typeof r[field] === "number" ? (r[field] as number) : Number.NaN);

/** Medians and maxima over every deploy of every run, sums of loss; per-run figures kept beside them. */
function summarise(results: Result[]) {
  const first = results[0]!;
  const deploys = results.flatMap((r) => r.deploys);
  const of = (field: string) => stat(deploys.map((d) => d[field]));
  const expected = results.reduce((s, r) => s + r.expected_per_branch * r.branches, 0);
  const lost = results.reduce((s, r) => s + r.lost, 0);
  const duplicated = results.reduce((s, r) => s + r.duplicated, 0);
  const keepingUp = results.every((r) => num(r.baseline, "p50_latency_ms") < KEEPING_UP_P50_MS && r["drained"] === true && r["capacity_reached"] !== true);
  return {
    variant: first.variant,
    how: first["how"],
    ...(first["version"] !== undefined ? { version: first["version"] } : {}),
    rate: first["rate"],
    nodes: first["nodes"],
    nodes_v2: first["nodes_v2"],
    runs: results.length,
    deploys: deploys.length,
    /** aiotflow: FlowRuntime.deploy (or the HTTP request) resolved; Node-RED: the HTTP response of POST /flows. */
    deploy_call_ms: of("call_ms"),
    /** Node-RED: its `flows:started` event (the response comes before the flows are started again). */
    flows_started_ms: of("started_ms"),
    /** First message stamped by a changed node with the new version reached a sink. */
    first_new_ms: of("first_new_ms"),
    /** Every branch's sink has seen the new version: the deploy has taken effect. */
    takes_effect_ms: of("all_branches_new_ms"),
    pause_ms: of("pause_ms"),
    max_latency_ms: of("max_latency_ms"),
    lost,
    duplicated,
    expected_deliveries: expected,
    lost_pct: expected > 0 ? (100 * lost) / expected : Number.NaN,
    lost_per_deploy: of("lost"),
    lost_after_last_deploy: results.reduce((s, r) => s + num(r, "lost_after_last_deploy"), 0),
    out_of_order: results.reduce((s, r) => s + num(r, "out_of_order"), 0),
    version_regressions: results.reduce((s, r) => s + num(r, "version_regressions"), 0),
    effect_timeouts: results.reduce((s, r) => s + num(r, "effect_timeouts"), 0),
    baseline: {
      pause_ms: median(results.map((r) => num(r.baseline, "pause_ms"))),
      p50_latency_ms: median(results.map((r) => num(r.baseline, "p50_latency_ms"))),
      p99_latency_ms: median(results.map((r) => num(r.baseline, "p99_latency_ms"))),
      max_latency_ms: median(results.map((r) => num(r.baseline, "max_latency_ms"))),
    },
    cpu_pct: median(results.map((r) => num(r, "cpu_pct"))),
    peak_rss_mb: median(results.map((r) => num(r, "peak_rss_mb"))),
    keeping_up: keepingUp,
    ...(first["initial_deploy_ms"] !== undefined ? { initial_deploy_ms: median(results.map((r) => num(r, "initial_deploy_ms"))) } : {}),
    ...(first["diff_as_expected"] !== undefined ? { diff_as_expected: results.every((r) => r["diff_as_expected"] === true) } : {}),
    per_run: results.map((r) => ({
      call_ms: stat(r.deploys.map((d) => d["call_ms"])).median,
      takes_effect_ms: stat(r.deploys.map((d) => d["all_branches_new_ms"])).median,
      pause_ms: stat(r.deploys.map((d) => d["pause_ms"])).median,
      lost: r.lost,
      duplicated: r.duplicated,
      cpu_pct: r["cpu_pct"],
    })),
  };
}
type Summary = ReturnType<typeof summarise>;

const fmt = {
  ms: (n: number) => (Number.isFinite(n) ? `${n.toFixed(n < 10 ? 2 : 1)}` : "-"),
  pair: (s: { median: number; max: number }) => (Number.isFinite(s.median) ? `${fmt.ms(s.median)} / ${fmt.ms(s.max)}` : "-"),
  int: (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "-"),
  x: (n: number) => (Number.isFinite(n) ? (n >= 10 ? n.toFixed(1) : n.toFixed(3)) : "-"),
};

function printTable(rows: Array<[string, Summary]>): void {
  const table = [
    [
      "system / deploy",
      "msgs/s",
      "deploys",
      "call ms (med / max)",
      "NR started",
      "first new msg",
      "takes effect ms",
      "pause ms",
      "idle pause",
      "max latency ms",
      "lost (per deploy max)",
      "dup",
      "CPU",
      "keeping up",
    ],
  ];
  for (const [label, s] of rows) {
    table.push([
      label,
      fmt.int(s.rate as number),
      String(s.deploys),
      fmt.pair(s.deploy_call_ms),
      fmt.pair(s.flows_started_ms),
      fmt.pair(s.first_new_ms),
      fmt.pair(s.takes_effect_ms),
      fmt.pair(s.pause_ms),
      fmt.ms(s.baseline.pause_ms),
      fmt.pair(s.max_latency_ms),
      `${fmt.int(s.lost)} (${fmt.int(s.lost_per_deploy.max)})`,
      fmt.int(s.duplicated),
      `${fmt.int(s.cpu_pct)} %`,
      s.keeping_up ? "yes" : "NO",
    ]);
  }
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  for (const row of table) console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  "));
}

async function main(): Promise<void> {
  buildCompiled();
  console.log(
    `deploy: ${RUNS} run(s), ${DEPLOYS} hot deploys each (v2, v1, v2 …: 5 nodes changed, 1 added/removed) while messages flow; ` +
      `fresh process per system per run, alternating; node ${process.version}, ${os.cpus().length} CPUs` +
      (httpAvailable ? "" : "; aiotflow-over-HTTP variant off (--no-http, or no runtime/serve/serve.ts)"),
  );
  const failures: string[] = [];
  const raw: Record<string, Result[]> = Object.fromEntries(CHILDREN.map((c) => [c.key, []]));
  for (let run = 0; run < RUNS; run++) {
    const order = run % 2 === 0 ? CHILDREN : [...CHILDREN].reverse();
    for (const child of order) {
      try {
        const r = await runChild(child);
        raw[child.key]!.push(r);
        const d = stat(r.deploys.map((x) => x["all_branches_new_ms"]));
        const c = stat(r.deploys.map((x) => x["call_ms"]));
        console.log(
          `  ${child.label.padEnd(28)} call ${fmt.pair(c).padStart(15)} ms  takes effect ${fmt.pair(d).padStart(15)} ms  ` +
            `lost ${fmt.int(r.lost)}  dup ${fmt.int(r.duplicated)}  CPU ${fmt.int(num(r, "cpu_pct"))} %`,
        );
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
        console.log(`  ${child.label} FAILED`);
      }
    }
  }

  const summaries = Object.fromEntries(CHILDREN.filter((c) => raw[c.key]!.length > 0).map((c) => [c.key, summarise(raw[c.key]!)])) as Record<string, Summary>;
  const a = summaries["aiotflow"];
  const n = summaries["node-red"];
  if (!a || !n) {
    for (const f of failures) console.error(f);
    process.exit(1);
  }
  const full = summaries["node-red-full"];
  const high = summaries[`aiotflow@${HIGH_RATE}`];
  const http = summaries["aiotflow-http"];

  const ratio = (x: number, y: number) => (Number.isFinite(x) && Number.isFinite(y) && y > 0 ? x / y : Number.NaN);
  const ratios = {
    deploy_call: ratio(a.deploy_call_ms.median, n.deploy_call_ms.median),
    takes_effect: ratio(a.takes_effect_ms.median, n.takes_effect_ms.median),
    pause: ratio(a.pause_ms.median, n.pause_ms.median),
    lost: n.lost > 0 ? a.lost / n.lost : a.lost === 0 ? 0 : Number.POSITIVE_INFINITY,
    ...(full ? { takes_effect_vs_full: ratio(a.takes_effect_ms.median, full.takes_effect_ms.median), lost_vs_full: full.lost > 0 ? a.lost / full.lost : Number.NaN } : {}),
    ...(http ? { http_takes_effect: ratio(http.takes_effect_ms.median, n.takes_effect_ms.median), http_call: ratio(http.deploy_call_ms.median, n.deploy_call_ms.median) } : {}),
  };
  const verdict = (v: Summary) => ({
    takes_effect_under_200ms: v.takes_effect_ms.max < TARGET_MS && v.deploy_call_ms.max < TARGET_MS && v.effect_timeouts === 0,
    zero_lost: v.lost === 0 && v.duplicated === 0,
    keeping_up: v.keeping_up,
  });
  const met: Record<string, ReturnType<typeof verdict>> = {
    [`runtime@${RATE}`]: verdict(a),
    ...(high ? { [`runtime@${HIGH_RATE}`]: verdict(high) } : {}),
    ...(http ? { [`http@${RATE}`]: verdict(http) } : {}),
  };
  console.log(`\nover all deploys of ${RUNS} run(s) (median / max; ms from the deploy call):`);
  printTable([
    [`aiotflow FlowRuntime.deploy`, a],
    ...(high ? [[`aiotflow FlowRuntime.deploy`, high] as [string, Summary]] : []),
    ...(http ? [[`aiotflow POST /api/flows/:id/deploy`, http] as [string, Summary]] : []),
    [`node-red POST /flows (nodes)`, n],
    ...(full ? [[`node-red POST /flows (full)`, full] as [string, Summary]] : []),
  ]);
  console.log(
    `call = the deploy call returned (HTTP response for Node-RED, which answers before restarting its flows: "NR started" is its flows:started); ` +
      `first new msg = the first message stamped by a changed node with the new config reached a sink; ` +
      `takes effect = every branch's sink got one; pause = largest gap between arrivals at a sink ` +
      `(idle pause: same, in the half second before the first deploy); lost/dup over every message the source emitted, ${fmt.int(a.expected_deliveries)} ` +
      `expected deliveries for aiotflow @${RATE}/s, ${fmt.int(n.expected_deliveries)} for node-red.`,
  );
  console.log(
    `aiotflow / node-red (nodes): deploy call ${fmt.x(ratios.deploy_call)}, takes effect ${fmt.x(ratios.takes_effect)}, pause ${fmt.x(ratios.pause)}; ` +
      `lost ${fmt.int(a.lost)} vs ${fmt.int(n.lost)} (${n.lost_pct.toFixed(2)} %)` +
      (full ? `, full deploy: lost ${fmt.int(full.lost)} (${full.lost_pct.toFixed(2)} %)` : ""),
  );
  const yes = (b: boolean) => (b ? "met" : "MISSED");
  console.log(
    `target "takes effect < ${TARGET_MS} ms (every deploy), zero lost": ` +
      Object.entries(met)
        .map(([k, v]) => `${k} ${yes(v.takes_effect_under_200ms)} / ${yes(v.zero_lost)}${v.keeping_up ? "" : " (NOT keeping up with the rate before deploying: the VM was short of CPU)"}`)
        .join("; "),
  );

  const output = {
    name: "deploy",
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model,
    runs: RUNS,
    quick,
    scenario: {
      flow: "source → 4 parallel branches × 12 nodes → sink (50 nodes; v2: 51)",
      deploys_per_run: DEPLOYS,
      sequence: "v1 initial, then v2, v1, v2 … (each: 5 configs changed, 1 node added or removed)",
      rate: RATE,
      high_rate: HIGH_RATE,
      warm_ms: WARM_MS,
      gap_ms: GAP_MS,
      http_variant: httpAvailable,
    },
    systems: {
      aiotflow: { ...a, variants: { [`runtime@${HIGH_RATE}`]: high ?? null, http: http ?? null } },
      "node-red": { ...n, variants: { full: full ?? null } },
    },
    ratios,
    targets: { takes_effect_ms: `< ${TARGET_MS}`, lost: 0 },
    targets_met: met,
  };
  writeResultsAndFinish("deploy", output, { raw }, failures);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
