// The chain benchmark: the same validate → scale → rolling stats → hysteresis chain in aiotflow and in
// Node-RED 4.1 (embedded), each run in a fresh child process, systems alternating, medians across runs;
// plus one long aiotflow run that checks memory stays flat. Prints a table, writes bench/results/chain.json.
//
//   node --import tsx bench/chain/run.ts [--runs 3] [--batch 64] [--quick] [--sweep] [--no-memory]
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { buildCompiled, repoRoot, writeResultsAndFinish, runChild as runChildProcess, type Child } from "../children.ts";
import { median } from "./stats.ts";

const here = dirname(fileURLToPath(import.meta.url));

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    batch: { type: "string", default: "32" },
    "aiotflow-n": { type: "string", default: "1000000" },
    "node-red-n": { type: "string", default: "100000" },
    "node-red-batch": { type: "string", default: "1" },
    "memory-n": { type: "string", default: "10000000" },
    "no-memory": { type: "boolean", default: false },
    sweep: { type: "boolean", default: false },
    quick: { type: "boolean", default: false },
    "timeout-s": { type: "string", default: "120" },
  },
});

const quick = values.quick;
const RUNS = quick ? 1 : Number(values.runs);
const BATCH = Number(values.batch);
const AIOTFLOW_N = quick ? 200_000 : Number(values["aiotflow-n"]);
const NODE_RED_N = quick ? 20_000 : Number(values["node-red-n"]);
const NODE_RED_BATCH = Number(values["node-red-batch"]);
const MEMORY_N = quick ? 3_000_000 : Number(values["memory-n"]);
const TIMEOUT_MS = Number(values["timeout-s"]) * 1000;
const TARGETS = { throughput: ">= 20", p99: "<= 0.2", rss: "<= 0.6" } as const;

type Result = Record<string, unknown> & { system: string; correct: boolean };


/**
 * aiotflow is measured as it is deployed: compiled to JavaScript (`npm run build`, which `npm install`
 * also runs), like Node-RED's plain JavaScript. Running under tsx would add the loader's ~35 MiB.
 */
const compiledChain = join(repoRoot, "dist", "bench", "chain", "aiotflow.js");

const aiotflowChild = (batch: number): Child => ({
  label: `aiotflow (batch ${batch})`,
  argv: [compiledChain, "--n", String(AIOTFLOW_N), "--batch", String(batch)],
});
const nodeRedChild: Child = {
  label: `node-red (batch ${NODE_RED_BATCH})`,
  argv: [join(here, "node-red.cjs"), "--n", String(NODE_RED_N), "--batch", String(NODE_RED_BATCH)],
};
/** Peak RSS of an empty process, with and without the TypeScript loader: the floor under each system. */
const floorChild = (withTsx: boolean): Child => ({
  label: withTsx ? "floor node+tsx" : "floor node",
  argv: [...(withTsx ? ["--import", "tsx"] : []), "-e", 'console.log(JSON.stringify({ system: "floor", correct: true, peak_rss_mb: process.resourceUsage().maxRSS / 1024 }))'],
});
const memoryChild: Child = {
  label: "aiotflow memory",
  argv: ["--expose-gc", compiledChain, "--memory", "--n", String(MEMORY_N), "--batch", String(BATCH)],
};

const runChild = (child: Child) => runChildProcess<Result>(child, TIMEOUT_MS);

const num = (r: Result, field: string): number => (typeof r[field] === "number" ? (r[field] as number) : Number.NaN);
const FIELDS = ["msgs_per_s", "p50_ms", "p99_ms", "max_ms", "peak_rss_mb", "rss_after_start_mb", "cpu_ms", "cpu_pct", "cpu_us_per_msg"];

/** Medians of the numeric fields across runs, with the per-run figures kept beside them. */
function summarise(results: Result[]) {
  const first = results[0]!;
  const summary: Record<string, unknown> = {};
  for (const field of FIELDS) summary[field] = median(results.map((r) => num(r, field)));
  const rates = results.map((r) => num(r, "msgs_per_s"));
  return {
    ...summary,
    msgs_per_s_range: [Math.min(...rates), Math.max(...rates)],
    messages: first["messages"],
    warmup: first["warmup"],
    batch: first["batch"],
    nodes: first["nodes"],
    correct: results.every((r) => r.correct),
    ...(first["note"] !== undefined ? { note: first["note"] } : {}),
    ...(first["version"] !== undefined ? { version: first["version"] } : {}),
    per_run: results.map((r) => Object.fromEntries(["msgs_per_s", "p50_ms", "p99_ms", "peak_rss_mb", "cpu_pct", "correct"].map((f) => [f, r[f]]))),
  };
}

function memoryFlat(result: Result) {
  const samples = (result["memory_samples"] ?? []) as Array<{ messages: number; heap_used_mb: number; rss_mb: number }>;
  const at = (m: number) => samples.find((s) => s.messages === m);
  const from = at(2_000_000) ?? samples[1];
  const to = samples[samples.length - 1];
  const heapGrowth = from && to ? to.heap_used_mb - from.heap_used_mb : Number.NaN;
  const rssGrowth = from && to ? to.rss_mb - from.rss_mb : Number.NaN;
  const span = from && to ? to.messages - from.messages : 0;
  return {
    messages: result["messages"],
    batch: result["batch"],
    msgs_per_s: result["msgs_per_s"],
    correct: result.correct,
    samples,
    from_messages: from?.messages,
    to_messages: to?.messages,
    heap_growth_mb: heapGrowth,
    rss_growth_mb: rssGrowth,
    heap_bytes_per_msg: span > 0 ? (heapGrowth * 1024 * 1024) / span : Number.NaN,
    target: "flat: a few MB at most from the 2 M sample to the last, no growth per message",
    flat: Math.abs(heapGrowth) <= 4 && rssGrowth <= 16,
  };
}

const fmt = {
  int: (n: unknown) => (typeof n === "number" && Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "-"),
  ms: (n: unknown) => (typeof n === "number" && Number.isFinite(n) ? (n < 1 ? `${(n * 1000).toFixed(1)} µs` : `${n.toFixed(2)} ms`) : "-"),
  mb: (n: unknown) => (typeof n === "number" && Number.isFinite(n) ? `${n.toFixed(0)} MiB` : "-"),
  x: (n: number) => (n >= 10 ? n.toFixed(1) : n.toFixed(3)),
};

function printTable(systems: Record<string, ReturnType<typeof summarise>>): void {
  const rows = [["system", "nodes", "batch/turn", "messages", "msgs/s (min – max)", "p50", "p99", "peak RSS", "RSS after start", "CPU", "correct"]];
  for (const [name, s] of Object.entries(systems)) {
    const r = s as Record<string, unknown>;
    rows.push([
      name,
      String(s.nodes),
      String(s.batch),
      fmt.int(s.messages),
      `${fmt.int(r["msgs_per_s"])} (${fmt.int(s.msgs_per_s_range[0])} – ${fmt.int(s.msgs_per_s_range[1])})`,
      fmt.ms(r["p50_ms"]),
      fmt.ms(r["p99_ms"]),
      fmt.mb(r["peak_rss_mb"]),
      fmt.mb(r["rss_after_start_mb"]),
      `${fmt.int(r["cpu_pct"])} %`,
      s.correct ? "yes" : "NO",
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  for (const row of rows) console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  "));
}

async function main(): Promise<void> {
  buildCompiled();
  console.log(`chain: ${RUNS} run(s) per system, fresh process each, alternating; node ${process.version}, ${os.cpus().length} CPUs`);
  const failures: string[] = [];
  const attempt = async (child: Child, report = true): Promise<Result | undefined> => {
    try {
      const result = await runChild(child);
      const r = result as Record<string, unknown>;
      if (report) console.log(`  ${child.label.padEnd(22)} ${fmt.int(r["msgs_per_s"]).padStart(10)} msgs/s  p99 ${fmt.ms(r["p99_ms"])}  ${result.correct ? "" : "INCORRECT"}`);
      if (!result.correct) failures.push(`${child.label}: correctness check failed ${JSON.stringify(r["check"])}`);
      return result;
    } catch (error) {
      failures.push(error instanceof Error ? error.message : String(error));
      console.log(`  ${child.label} FAILED`);
      return undefined;
    }
  };

  let sweep: Array<{ batch: number; msgs_per_s: unknown; p50_ms: unknown; p99_ms: unknown }> | undefined;
  if (values.sweep) {
    console.log("batch sweep (aiotflow, 1 run each):");
    sweep = [];
    for (const batch of [16, 32, 64, 256]) {
      const r = await attempt(aiotflowChild(batch));
      if (r) sweep.push({ batch, msgs_per_s: r["msgs_per_s"], p50_ms: r["p50_ms"], p99_ms: r["p99_ms"] });
    }
  }

  // "aiotflow-paced" runs aiotflow with Node-RED's pacing (one message per event-loop turn), so the
  // table also shows the comparison at equal source pacing, not only each system at its best.
  const raw: Record<"aiotflow" | "node-red" | "aiotflow-paced", Result[]> = { aiotflow: [], "node-red": [], "aiotflow-paced": [] };
  for (let run = 0; run < RUNS; run++) {
    const order = run % 2 === 0 ? (["aiotflow", "node-red", "aiotflow-paced"] as const) : (["node-red", "aiotflow-paced", "aiotflow"] as const);
    for (const system of order) {
      const child = system === "aiotflow" ? aiotflowChild(BATCH) : system === "aiotflow-paced" ? aiotflowChild(NODE_RED_BATCH) : nodeRedChild;
      const result = await attempt(child);
      if (result) raw[system].push(result);
    }
  }

  let memory: Result | undefined;
  if (!values["no-memory"]) {
    console.log(`memory run: aiotflow, ${fmt.int(MEMORY_N)} messages, gc() + sample every 1 M`);
    memory = await attempt(memoryChild);
  }

  const floor = async (withTsx: boolean) => num((await attempt(floorChild(withTsx), false)) ?? { system: "floor", correct: false }, "peak_rss_mb");
  const floorRss = { node_mb: await floor(false), node_with_tsx_mb: await floor(true) };

  if (raw.aiotflow.length === 0 || raw["node-red"].length === 0) {
    for (const f of failures) console.error(f);
    process.exit(1);
  }
  const systems = {
    aiotflow: summarise(raw.aiotflow),
    "node-red": summarise(raw["node-red"]),
    ...(raw["aiotflow-paced"].length > 0 ? { "aiotflow-paced": summarise(raw["aiotflow-paced"]) } : {}),
  };
  const a = systems.aiotflow as Record<string, unknown>;
  const n = systems["node-red"] as Record<string, unknown>;
  const ratio = (field: string) => (a[field] as number) / (n[field] as number);
  const ratios = { throughput: ratio("msgs_per_s"), p99: ratio("p99_ms"), rss: ratio("peak_rss_mb") };
  const paced = systems["aiotflow-paced"] as Record<string, unknown> | undefined;
  const pacedRatio = (field: string) => (paced ? (paced[field] as number) / (n[field] as number) : Number.NaN);
  const ratiosSamePacing = { throughput: pacedRatio("msgs_per_s"), p99: pacedRatio("p99_ms"), rss: pacedRatio("peak_rss_mb"), cpu_us_per_msg: pacedRatio("cpu_us_per_msg") };
  const memoryFlatResult = memory ? memoryFlat(memory) : undefined;

  console.log(`\nmedians over ${RUNS} run(s):`);
  printTable(systems);
  console.log(`node-red: ${String(n["note"])}`);
  console.log(
    `peak RSS floor (empty process): node ${floorRss.node_mb.toFixed(0)} MiB, node --import tsx ${floorRss.node_with_tsx_mb.toFixed(0)} MiB ` +
      `(both systems run as plain JavaScript; aiotflow from its compiled build)`,
  );
  const met = { throughput: ratios.throughput >= 20, p99: ratios.p99 <= 0.2, rss: ratios.rss <= 0.6 };
  console.log(
    `aiotflow / node-red: throughput ${fmt.x(ratios.throughput)}x (target ${TARGETS.throughput}, ${met.throughput ? "met" : "MISSED"}), ` +
      `p99 ${fmt.x(ratios.p99)} (target ${TARGETS.p99}, ${met.p99 ? "met" : "MISSED"}), ` +
      `peak RSS ${fmt.x(ratios.rss)} (target ${TARGETS.rss}, ${met.rss ? "met" : "MISSED"})`,
  );
  if (paced) {
    console.log(
      `at the same pacing (${NODE_RED_BATCH} msg per event-loop turn for both): throughput ${fmt.x(ratiosSamePacing.throughput)}x, ` +
        `p99 ${fmt.x(ratiosSamePacing.p99)}, CPU per message ${fmt.x(ratiosSamePacing.cpu_us_per_msg)} — at that pacing the source's one turn per ` +
        `message, not the engine, bounds aiotflow (CPU per message is the engine's cost)`,
    );
  }
  if (memoryFlatResult) {
    const m = memoryFlatResult;
    console.log(
      `memory (${fmt.int(m.messages)} msgs, ${fmt.int(m.msgs_per_s)} msgs/s): heapUsed ${m.samples.map((s) => s.heap_used_mb.toFixed(1)).join(" ")} MiB; ` +
        `rss ${m.samples.map((s) => s.rss_mb.toFixed(0)).join(" ")} MiB`,
    );
    console.log(
      `  growth ${fmt.int(m.from_messages)} -> ${fmt.int(m.to_messages)} msgs: heap ${m.heap_growth_mb.toFixed(2)} MiB (${m.heap_bytes_per_msg.toFixed(3)} B/msg), ` +
        `rss ${m.rss_growth_mb.toFixed(1)} MiB — ${m.flat ? "flat" : "NOT FLAT"}`,
    );
  }

  const output = {
    name: "chain",
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model,
    runs: RUNS,
    quick,
    systems,
    ratios,
    ratios_same_pacing: ratiosSamePacing,
    targets: TARGETS,
    targets_met: met,
    memory_flat: memoryFlatResult ?? null,
    rss_floor: floorRss,
    ...(sweep ? { batch_sweep: sweep } : {}),
    aiotflow_engine_metrics: raw.aiotflow[raw.aiotflow.length - 1]?.["engine_metrics"],
  };
  writeResultsAndFinish("chain", output, { raw, memory }, failures);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
