import { parseArgs } from "node:util";
import { catalogJson, catalogSummary, nodeManual } from "./catalog-docs.ts";
import { loadCatalog } from "./catalog.ts";
import { Engine, type DebugEvent } from "./core/engine.ts";
import { createLogger, type LogLevel } from "./core/logger.ts";
import { FlowInvalidError } from "./core/validate.ts";
import { loadFlowFile, type FlowFileProblem } from "./flow-file.ts";
import { ERROR_CATALOGUE, errorMessage, isAiotError } from "./sdk/errors.ts";

const HELP: Record<string, string> = {
  main: `aiotflow — low-code flow engine for industrial AIoT

Usage: aiotflow <command> [options]

Commands:
  run <flow.json>       run a flow headless; Ctrl-C drains queued messages and exits
  validate <flow.json>  check a flow; lists every problem with its line, JSON path and code
  nodes [type]          the node catalog, or one node's fields, ports and examples

Options:
  -h, --help            help for aiotflow or for a command (aiotflow run --help)
  -v, --version         print the version`,
  run: `Usage: aiotflow run <flow.json> [options]

Runs the flow on this machine and prints what its debug nodes receive.
Ctrl-C stops the sources, drains every queued message and exits; a second Ctrl-C exits at once.

Options:
  --data-dir <dir>      where keyed state is snapshotted (default ./data)
  --duration <seconds>  stop by itself after this long (default: run until Ctrl-C)
  --log-level <level>   debug | info | warn | error (default info)
  --json                debug messages and logs as JSON lines (for log shippers)
  --quiet               no debug output, only warnings and the final summary
  -h, --help            this help`,
  validate: `Usage: aiotflow validate <flow.json> [--json]

Checks the flow document against the format and the node catalog and lists every problem at once:
file:line:column, the JSON path, what is wrong and the error code. Exit code 1 when there are problems.

Options:
  --json                problems as a JSON array
  -h, --help            this help`,
  nodes: `Usage: aiotflow nodes [type] [--json]

Without a type: every node type, grouped by family. With a type: its config fields (types, units,
bounds, defaults), input and output ports with their payload kinds, and examples.

Options:
  --json                the catalog (or one node) as JSON, config as JSON Schema
  -h, --help            this help`,
};

const out = (text: string) => void process.stdout.write(`${text}\n`);
const err = (text: string) => void process.stderr.write(`${text}\n`);

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "-h" || command === "--help" || command === "help") {
    out(HELP["main"]!);
    return command === undefined ? 2 : 0;
  }
  if (command === "-v" || command === "--version") {
    const { default: pkg } = await import("../package.json", { with: { type: "json" } });
    out(pkg.version);
    return 0;
  }
  const handler = { run, validate, nodes }[command as "run" | "validate" | "nodes"];
  if (!handler) {
    err(`aiotflow: unknown command "${command}"\n\n${HELP["main"]}`);
    return 2;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        help: { type: "boolean", short: "h" },
        json: { type: "boolean" },
        quiet: { type: "boolean" },
        "data-dir": { type: "string" },
        duration: { type: "string" },
        "log-level": { type: "string" },
      },
    });
  } catch (error) {
    err(`aiotflow ${command}: ${errorMessage(error)}\n\n${HELP[command]}`);
    return 2;
  }
  if (parsed.values.help) {
    out(HELP[command]!);
    return 0;
  }
  return handler(parsed.positionals, parsed.values);
}

type Options = { json?: boolean; quiet?: boolean; "data-dir"?: string; duration?: string; "log-level"?: string };

function printProblems(problems: FlowFileProblem[], json: boolean): void {
  if (json) {
    out(JSON.stringify(problems.map((p) => ({ location: p.location, ...p.error.toJSON() })), null, 2));
    return;
  }
  err(`${problems.length} problem${problems.length === 1 ? "" : "s"}:`);
  for (const { error, location } of problems) {
    const path = error.details.path && error.details.path !== "$" ? `${error.details.path}: ` : "";
    err(`  ${location}  ${path}${error.message} [${error.code}]`);
  }
  const codes = [...new Set(problems.map((p) => p.error.code))];
  err("\nWhat to do:");
  for (const code of codes) err(`  ${code}: ${ERROR_CATALOGUE[code]}`);
}

async function validate(positionals: string[], options: Options): Promise<number> {
  const file = positionals[0];
  if (!file) return usage("validate", "missing <flow.json>");
  const result = loadFlowFile(file, await loadCatalog());
  if (!result.ok) {
    printProblems(result.problems, options.json ?? false);
    return 1;
  }
  const { flow, nodes } = result.value;
  if (options.json) out(JSON.stringify({ ok: true, flow: flow.id, nodes: nodes.length, edges: flow.edges.length }));
  else out(`${file}: ok — flow "${flow.id}", ${nodes.length} nodes, ${flow.edges.length} edges`);
  return 0;
}

async function nodes(positionals: string[], options: Options): Promise<number> {
  const catalog = await loadCatalog();
  const type = positionals[0];
  if (type) {
    const definition = catalog.get(type);
    if (!definition) {
      err(`aiotflow nodes: no node type "${type}" [FLOW_UNKNOWN_NODE_TYPE]; known types: ${[...catalog.keys()].join(", ")}`);
      return 1;
    }
    out(options.json ? JSON.stringify(catalogJson(new Map([[type, definition]]))[0], null, 2) : nodeManual(definition));
    return 0;
  }
  out(options.json ? JSON.stringify(catalogJson(catalog), null, 2) : catalogSummary(catalog));
  return 0;
}

async function run(positionals: string[], options: Options): Promise<number> {
  const file = positionals[0];
  if (!file) return usage("run", "missing <flow.json>");
  const level = (options["log-level"] ?? (options.quiet ? "warn" : "info")) as LogLevel;
  if (!["debug", "info", "warn", "error"].includes(level)) return usage("run", `--log-level must be debug, info, warn or error, not "${level}"`);
  const duration = options.duration === undefined ? undefined : Number(options.duration);
  if (duration !== undefined && !(duration > 0)) return usage("run", `--duration must be a number of seconds > 0, not "${options.duration}"`);
  const catalog = await loadCatalog();
  const loaded = loadFlowFile(file, catalog);
  if (!loaded.ok) {
    printProblems(loaded.problems, false);
    return 1;
  }
  const log = createLogger({ level, json: options.json ?? false });
  const engine = new Engine({ catalog, logger: log, dataDir: options["data-dir"] ?? "data" });
  if (!options.quiet) engine.on("debug", (event) => out(formatDebug(event, options.json ?? false)));
  const flow = loaded.value.flow;
  try {
    await engine.deploy(flow);
  } catch (error) {
    if (error instanceof FlowInvalidError) printProblems(error.errors.map((e) => ({ error: e, location: file })), false);
    else err(isAiotError(error) ? `aiotflow run: ${error.toString()}` : `aiotflow run: ${errorMessage(error)}`);
    return 1;
  }
  log.info(`running flow "${flow.id}" (${flow.nodes.length} nodes)${duration ? ` for ${duration} s` : ""}; Ctrl-C to stop`);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = () => {
      if (stopping) {
        err("aiotflow: second interrupt, exiting without draining");
        process.exit(130);
      }
      stopping = true;
      log.info("stopping: draining queued messages");
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    if (duration) setTimeout(stop, duration * 1000).unref();
  });
  await engine.stop();
  printSummary(engine.metrics());
  return 0;
}

function formatDebug(event: DebugEvent, json: boolean): string {
  const { msg } = event;
  if (json) return JSON.stringify({ node: event.node, label: event.label, ...msg });
  const time = new Date(msg.ts).toISOString().slice(11, 23);
  const text = describePayload(msg.payload);
  return `${time} [${event.label}] ${msg.key ?? msg.topic}  ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`;
}

/** Flat objects as `name=value` pairs (numbers to 3 decimals), anything else as JSON. */
function describePayload(payload: unknown): string {
  const round = (v: unknown) => (typeof v === "number" && !Number.isInteger(v) ? Number(v.toFixed(3)) : v);
  if (payload && typeof payload === "object" && !Array.isArray(payload)) {
    const entries = Object.entries(payload);
    if (entries.every(([, v]) => v === null || typeof v !== "object")) return entries.map(([k, v]) => `${k}=${round(v)}`).join(" ");
  }
  return JSON.stringify(payload, (_k, v: unknown) => round(v)) ?? String(payload);
}

function printSummary(metrics: ReturnType<Engine["metrics"]>): void {
  err("\nnode                 type               in        out       errors  dropped  p99 ms");
  for (const m of metrics) {
    err(
      `${m.node.padEnd(20)} ${m.type.padEnd(18)} ${String(m.in).padStart(9)} ${String(m.out).padStart(9)} ${String(m.errors).padStart(8)} ${String(m.dropped).padStart(8)}  ${m.latencyMs.count ? m.latencyMs.p99 : "-"}`,
    );
  }
}

function usage(command: string, problem: string): number {
  err(`aiotflow ${command}: ${problem}\n\n${HELP[command]}`);
  return 2;
}

process.exitCode = await main(process.argv.slice(2)).catch((error: unknown) => {
  err(`aiotflow: internal error (please report): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return 70;
});
