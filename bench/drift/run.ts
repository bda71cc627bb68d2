// The drift benchmark: the cost per message of an input-drift check (PSI of 4 features against
// 10-bin references, judged every 1000 messages) in aiotflow's drift-monitor node and in a Node-RED
// 4.1 function node doing the same binning, each in fresh child processes, medians across runs.
// Prints a table, writes bench/results/drift.json. Target: < 1 µs per message amortised (aiotflow).
//
//   node --import tsx bench/drift/run.ts [--runs 3] [--n 50000] [--passes 40]
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runChild, writeResultsAndFinish, type Child } from "../children.ts";
import { median } from "../chain/stats.ts";

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    n: { type: "string", default: "50000" },
    passes: { type: "string", default: "40" },
    "timeout-s": { type: "string", default: "180" },
  },
});
const RUNS = Number(values.runs);
const N = Number(values.n);
const TIMEOUT_MS = Number(values["timeout-s"]) * 1000;
const TARGET_NS = 1000;

type Result = Record<string, number | string | boolean> & { system: string; correct: boolean };

// aiotflow runs from source under tsx: the measured loop is plain JIT-compiled JavaScript either way,
// and the loader's start-up is outside the measured span.
const children: Record<"aiotflow" | "node-red" | "node-red-empty", Child> = {
  aiotflow: { label: "aiotflow drift-monitor", argv: ["--import", "tsx", join(here, "aiotflow.ts"), "--n", String(N), "--passes", values.passes] },
  "node-red": { label: "node-red function (PSI)", argv: [join(here, "node-red.cjs"), "--n", String(N)] },
  "node-red-empty": { label: "node-red function (empty)", argv: [join(here, "node-red.cjs"), "--n", String(N), "--empty"] },
};

const num = (r: Result | undefined, field: string): number => (r && typeof r[field] === "number" ? (r[field] as number) : Number.NaN);
const fmtNs = (ns: number) => (Number.isFinite(ns) ? (ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(0)} ns`) : "-");

async function main(): Promise<void> {
  console.log(`drift: ${RUNS} run(s) per system, fresh process each; ${N.toLocaleString("en-US")} messages per pass; node ${process.version}, ${os.cpus().length} CPUs`);
  const failures: string[] = [];
  const raw: Record<keyof typeof children, Result[]> = { aiotflow: [], "node-red": [], "node-red-empty": [] };
  for (let run = 0; run < RUNS; run++) {
    const order = (run % 2 === 0 ? ["aiotflow", "node-red", "node-red-empty"] : ["node-red-empty", "node-red", "aiotflow"]) as Array<keyof typeof children>;
    for (const system of order) {
      try {
        const result = await runChild<Result>(children[system], TIMEOUT_MS);
        raw[system].push(result);
        const cost = system === "aiotflow" ? num(result, "drift_check_ns_per_msg") : num(result, "cpu_ns_per_msg");
        console.log(`  ${children[system].label.padEnd(28)} ${fmtNs(cost).padStart(10)} CPU per message`);
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
      }
    }
  }
  if (raw.aiotflow.length === 0 || raw["node-red"].length === 0 || raw["node-red-empty"].length === 0) {
    for (const f of failures) console.error(f);
    process.exit(1);
  }
  const med = (system: keyof typeof children, field: string) => median(raw[system].map((r) => num(r, field)));
  const aiotflowNs = med("aiotflow", "drift_check_ns_per_msg");
  const nodeRedFlowNs = med("node-red", "cpu_ns_per_msg");
  const nodeRedEmptyNs = med("node-red-empty", "cpu_ns_per_msg");
  const nodeRedCheckNs = nodeRedFlowNs - nodeRedEmptyNs;
  // Same data, same bins, same rule: both must find the same drifted windows with the same PSI.
  const a = raw.aiotflow[0]!;
  const n = raw["node-red"][0]!;
  const agree = num(a, "events_per_pass") === num(n, "events_per_pass") && Math.abs(num(a, "psi_sum_per_pass") - num(n, "psi_sum_per_pass")) < 1e-6 * num(n, "psi_sum_per_pass");
  if (!agree) failures.push(`results differ: aiotflow ${a["events_per_pass"]} events / PSI ${a["psi_sum_per_pass"]}, node-red ${n["events_per_pass"]} / ${n["psi_sum_per_pass"]}`);
  const systems = {
    aiotflow: {
      drift_check_ns_per_msg: aiotflowNs,
      drift_check_ns_per_msg_runs: raw.aiotflow.map((r) => num(r, "drift_check_ns_per_msg")),
      msgs_per_s: med("aiotflow", "msgs_per_s"),
      peak_rss_mb: med("aiotflow", "peak_rss_mb"),
      messages: a["messages"],
      events_per_pass: a["events_per_pass"],
      psi_sum_per_pass: a["psi_sum_per_pass"],
      what: a["what"],
      correct: raw.aiotflow.every((r) => r.correct),
    },
    "node-red": {
      version: n["version"],
      drift_check_ns_per_msg: nodeRedCheckNs,
      flow_cpu_ns_per_msg: nodeRedFlowNs,
      empty_flow_cpu_ns_per_msg: nodeRedEmptyNs,
      msgs_per_s: med("node-red", "msgs_per_s"),
      peak_rss_mb: med("node-red", "peak_rss_mb"),
      messages: n["messages"],
      events_per_pass: n["events_per_pass"],
      psi_sum_per_pass: n["psi_sum_per_pass"],
      what: "function node (source -> PSI function), 1 msg per event-loop turn; check cost = CPU of that flow minus the same flow with an empty function",
      correct: raw["node-red"].every((r) => r.correct),
    },
  };
  const ratios = { drift_check_cost: aiotflowNs / nodeRedCheckNs, rss: systems.aiotflow.peak_rss_mb / systems["node-red"].peak_rss_mb };
  console.log("\nmedians:");
  console.log(`  aiotflow drift-monitor          ${fmtNs(aiotflowNs)} per message (target < ${fmtNs(TARGET_NS)}: ${aiotflowNs < TARGET_NS ? "met" : "MISSED"})`);
  console.log(`  node-red ${String(n["version"])} function node   ${fmtNs(nodeRedCheckNs)} per message for the check (${fmtNs(nodeRedFlowNs)} with its flow, ${fmtNs(nodeRedEmptyNs)} for the flow alone)`);
  console.log(`  aiotflow / node-red check cost: ${ratios.drift_check_cost.toFixed(4)}; same drifted windows and PSI: ${agree ? "yes" : "NO"}`);
  const output = {
    name: "drift",
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model,
    runs: RUNS,
    systems,
    ratios,
    targets: { drift_check_ns_per_msg: `< ${TARGET_NS}` },
    targets_met: { drift_check_ns_per_msg: aiotflowNs < TARGET_NS },
    results_agree: agree,
  };
  writeResultsAndFinish("drift", output, { raw }, failures);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
