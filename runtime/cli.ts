import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { PACKAGE_ROOT, SHIPPED_FLOWS_DIR } from "./paths.ts";
import { catalogJson, catalogSummary, nodeManual } from "./catalog-docs.ts";
import { loadCatalog } from "./catalog.ts";
import { createConnections, withConnections } from "./connections/index.ts";
import { Engine, type DebugEvent } from "./core/engine.ts";
import { createLogger, type LogLevel } from "./core/logger.ts";
import { FlowInvalidError } from "./core/validate.ts";
import { loadFlowFile, type FlowFileProblem } from "./flow-file.ts";
import { ERROR_CATALOGUE, errorMessage, isAiotError } from "./sdk/errors.ts";
import { MODELS } from "./sdk/models.ts";
import { ASSETS } from "./sdk/assets.ts";
import { HTTP_INGRESS } from "./sdk/http-ingress.ts";
import { HttpIngressRegistry } from "./http-ingress.ts";
import { LowdbAssetStore } from "./store/assets.ts";
import { provide, services } from "./sdk/services.ts";
import { closest } from "./sdk/suggest.ts";

const HELP: Record<string, string> = {
  main: `aiotflow — low-code flow engine for industrial AIoT

Usage: aiotflow <command> [options]

Commands:
  run <flow.json>       run a flow headless; Ctrl-C drains queued messages and exits
  validate <flow.json>  check a flow; lists every problem with its line, JSON path and code
  nodes [type]          the node catalog, or one node's fields, ports and examples
  serve                 admin API + live events + /metrics + local runtime + embedded MQTT broker
  audit verify          check that the audit log's hash chain is unbroken
  users reset-password  set a new password for a user when it is lost (server stopped)
  models <command>      the model registry: list, show, register an ONNX file, promote a version

Options:
  -h, --help            help for aiotflow or for a command (aiotflow run --help)
  -v, --version         print the version`,
  run: `Usage: aiotflow run <flow.json> [options]

Runs the flow on this machine and prints what its debug nodes receive.
Ctrl-C stops the sources, drains every queued message and exits; a second Ctrl-C exits at once.

Options:
  --data-dir <dir>      where keyed state is snapshotted, so windows and alarms survive a restart (default ./data)
  --no-state            keep no state between runs (for demos and tests)
  --duration <seconds>  stop by itself after this long (default: run until Ctrl-C)
  --log-level <level>   debug | info | warn | error (default info)
  --json                debug messages and logs as JSON lines (for log shippers)
  --quiet               no debug output, only warnings and the final summary
  --http-port <port>    serve http-in webhooks (POST /api/hooks/<flow>/<node>) on this port; without it
                        flows with http-in nodes do not deploy (SERVICE_UNAVAILABLE)
  --host <address>      address of that webhook listener (default 127.0.0.1)
  -h, --help            this help`,
  validate: `Usage: aiotflow validate <flow.json>... [--json]

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

HELP["serve"] = `Usage: aiotflow serve [options]

Starts the admin API (OpenAPI at /api/openapi.json), live events over WebSocket (/api/events),
Prometheus metrics (/metrics), the local runtime and an embedded MQTT broker. On the very first start
it creates the user "admin" and prints its initial password once (or takes AIOTFLOW_ADMIN_PASSWORD), and
adds and deploys the demo flow. One server per data directory (it is locked while serving). Flows that were running are deployed again after a restart.

Options:
  --port <n>            HTTP port (default 1880; 0 = any free port)
  --host <addr>         address to listen on (default 127.0.0.1; 0.0.0.0 to accept other machines)
  --data-dir <dir>      flows, versions, users, audit log, secrets, state (default ./data)
  --mqtt-port <n>       embedded MQTT broker port (default 1883)
  --no-mqtt             no embedded broker
  --no-auth             no login: everyone is admin. For a local demo only.
  --duration <seconds>  stop by itself after this long
  --log-level <level>   debug | info | warn | error (default info)
  -h, --help            this help`;

HELP["audit"] = `Usage: aiotflow audit verify [--data-dir <dir>]

Re-reads the append-only audit log (<data-dir>/audit.jsonl) and checks every record's hash chain;
exit code 1 and the first broken record when a line was edited, removed or reordered.

Options:
  --data-dir <dir>      default ./data
  -h, --help            this help`;

HELP["users"] = `Usage: aiotflow users reset-password <username> [--data-dir <dir>]

For a lost password: run it on the machine that holds the data directory, with the server stopped.
Prints a new password once (or sets AIOTFLOW_NEW_PASSWORD), logs the user's sessions out and
appends an audit record.

Options:
  --data-dir <dir>      default ./data
  -h, --help            this help`;

HELP["models"] = `Usage: aiotflow models <command> [options]

The model registry in the data directory (what the onnx-inference node loads).

Commands:
  list                              models with their production and candidate versions
  show <name>                       every version: stage, sha256, inputs/outputs, features, card
  register <file.onnx> --name <n>   add the file as the next version (stage candidate)
  promote <name> <version>          move a version to --stage (default production)

Options:
  --name <name>         model name for register
  --features a,b,c      input columns in order (default: the model's aiotflow.features metadata)
  --card <text>         free-text model card for register
  --stage <stage>       candidate | production | archived (promote)
  --data-dir <dir>      default ./data; register and promote need the server stopped (or use the API)
  --json                list/show as JSON
  -h, --help            this help`;

const out = (text: string) => void process.stdout.write(`${text}\n`);
const err = (text: string) => void process.stderr.write(`${text}\n`);

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "help" && rest[0] && HELP[rest[0]]) {
    out(HELP[rest[0]]!);
    return 0;
  }
  if (command === undefined || command === "-h" || command === "--help" || command === "help") {
    out(HELP["main"]!);
    return command === undefined ? 2 : 0;
  }
  if (command === "-v" || command === "--version") {
    out((JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string }).version);
    return 0;
  }
  const handler = { run, validate, nodes, serve: serveCommand, audit, users, models }[command as "run" | "validate" | "nodes" | "serve" | "audit" | "users" | "models"];
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
        port: { type: "string" },
        host: { type: "string" },
        "mqtt-port": { type: "string" },
        "http-port": { type: "string" },
        "no-mqtt": { type: "boolean" },
        "no-auth": { type: "boolean" },
        "no-state": { type: "boolean" },
        name: { type: "string" },
        features: { type: "string" },
        stage: { type: "string" },
        card: { type: "string" },
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

type Options = {
  json?: boolean;
  quiet?: boolean;
  "data-dir"?: string;
  duration?: string;
  "log-level"?: string;
  port?: string;
  host?: string;
  "mqtt-port"?: string;
  "http-port"?: string;
  "no-mqtt"?: boolean;
  "no-auth"?: boolean;
  "no-state"?: boolean;
  name?: string;
  features?: string;
  stage?: string;
  card?: string;
};

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
  if (positionals.length === 0) return usage("validate", "missing <flow.json>");
  const catalog = await loadCatalog();
  let failed = 0;
  for (const file of positionals) {
    const result = loadFlowFile(file, catalog);
    if (!result.ok) {
      failed++;
      printProblems(result.problems, options.json ?? false);
      continue;
    }
    const { flow, nodes } = result.value;
    if (options.json) out(JSON.stringify({ ok: true, file, flow: flow.id, nodes: nodes.length, edges: flow.edges.length }));
    else out(`${file}: ok — flow "${flow.id}", ${nodes.length} nodes, ${flow.edges.length} edges`);
  }
  return failed > 0 ? 1 : 0;
}

async function nodes(positionals: string[], options: Options): Promise<number> {
  const catalog = await loadCatalog();
  const type = positionals[0];
  if (type) {
    const definition = catalog.get(type);
    if (!definition) {
      const hint = closest(type, [...catalog.keys()]);
      err(`aiotflow nodes: no node type "${type}"${hint ? ` (did you mean "${hint}"?)` : ""} [FLOW_UNKNOWN_NODE_TYPE]; known types: ${[...catalog.keys()].join(", ")}`);
      return 1;
    }
    out(options.json ? JSON.stringify(catalogJson(new Map([[type, definition]]))[0], null, 2) : nodeManual(definition));
    return 0;
  }
  out(options.json ? JSON.stringify(catalogJson(catalog), null, 2) : catalogSummary(catalog));
  return 0;
}

/** setTimeout's limit (2^31 - 1 ms); longer runs simply have no --duration. */
const MAX_DURATION_S = 2_147_483;

/** Reads --log-level and --duration; a usage message when either is malformed. */
function commonRunOptions(command: string, options: Options): { level: LogLevel; duration: number | undefined } | string {
  const level = (options["log-level"] ?? (options.quiet ? "warn" : "info")) as LogLevel;
  if (!["debug", "info", "warn", "error"].includes(level)) return `--log-level must be debug, info, warn or error, not "${level}"`;
  const duration = options.duration === undefined ? undefined : Number(options.duration);
  if (duration !== undefined && !(duration > 0 && duration <= MAX_DURATION_S)) {
    return `--duration must be a number of seconds between 0 and ${MAX_DURATION_S} (24 days), not "${options.duration}"`;
  }
  return { level, duration };
}

/** Resolves on Ctrl-C / SIGTERM, after `duration` seconds or on `stop()`; a second Ctrl-C exits at once. */
function stopSignal(duration: number | undefined, log: { info(message: string): void }): { stopped: Promise<void>; stop(reason: string): void } {
  let stopping = false;
  let resolve!: () => void;
  const stopped = new Promise<void>((r) => (resolve = r));
  const stop = (reason: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`stopping (${reason}): draining queued messages`);
    resolve();
  };
  const interrupt = () => {
    if (stopping) {
      err("aiotflow: second interrupt, exiting without draining");
      process.exit(130);
    }
    stop("interrupted");
  };
  process.on("SIGINT", interrupt);
  process.on("SIGTERM", interrupt);
  if (duration) setTimeout(() => stop(`--duration ${duration} s`), duration * 1000).unref();
  return { stopped, stop };
}

async function serveCommand(_positionals: string[], options: Options): Promise<number> {
  const common = commonRunOptions("serve", options);
  if (typeof common === "string") return usage("serve", common);
  const port = Number(options.port ?? 1880);
  const mqttPort = Number(options["mqtt-port"] ?? 1883);
  for (const [name, value] of [["--port", port], ["--mqtt-port", mqttPort]] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 65535) return usage("serve", `${name} must be a port number 0-65535`);
  }
  const log = createLogger({ level: common.level, json: options.json ?? false });
  const auth = !options["no-auth"];
  const host = options.host ?? "127.0.0.1";
  if (!auth && !["127.0.0.1", "localhost", "::1"].includes(host)) {
    return usage("serve", `--no-auth only listens on this machine (127.0.0.1, localhost or ::1), not on ${host}: without login anyone on the network would be admin`);
  }
  if (!auth) {
    err("\n  WARNING: --no-auth — anyone who can reach this port can change and deploy flows and read secrets' names.");
    err("  Use it for a local demo only, never on a network.\n");
  }
  const { serve } = await import("./serve.ts");
  let served;
  try {
    served = await serve({
      catalog: await loadCatalog(),
      dataDir: options["data-dir"] ?? "data",
      port,
      host,
      ...(options["no-mqtt"] ? {} : { mqttPort }),
      auth,
      logger: log,
      seedFlow: join(SHIPPED_FLOWS_DIR, "pump-monitoring.json"),
      ...(process.env["AIOTFLOW_ADMIN_PASSWORD"] ? { adminPassword: process.env["AIOTFLOW_ADMIN_PASSWORD"] } : {}),
    });
  } catch (error) {
    err(`aiotflow serve: ${isAiotError(error) ? `${error.toString()}\n  ${error.hint}` : errorMessage(error)}`);
    return 1;
  }
  out(`aiotflow serving on ${served.url}  (editor: open it in a browser)`);
  out(`  API        ${served.url}/api  (OpenAPI: ${served.url}/api/openapi.json)`);
  out(`  events     ${served.url.replace("http", "ws")}/api/events`);
  out(`  metrics    ${served.url}/metrics`);
  if (served.mqttUrl) out(`  MQTT       ${served.mqttUrl}`);
  if (served.adminPassword) {
    out(`\n  First start: user "admin", initial password (shown only now): ${served.adminPassword}`);
    out(`  Log in: curl -s -X POST ${served.url}/api/auth/login -H 'content-type: application/json' -d '{"username":"admin","password":"<password>"}'`);
    out(`  Then change it: POST /api/auth/password {"current": "...", "password": "..."} (see the README)`);
    out(`  Lost it later? Stop the server and run: npx aiotflow users reset-password admin\n`);
  }
  await stopSignal(common.duration, log).stopped;
  await served.close();
  return 0;
}

async function audit(positionals: string[], options: Options): Promise<number> {
  if (positionals[0] !== "verify") return usage("audit", positionals[0] ? `unknown audit command "${positionals[0]}"` : "missing \"verify\"");
  const { auditVerify } = await import("./store/audit-cli.ts");
  const result = await auditVerify(options["data-dir"] ?? "data");
  (result.code === 0 ? out : err)(result.text);
  return result.code;
}

async function users(positionals: string[], options: Options): Promise<number> {
  const [action, username] = positionals;
  if (action !== "reset-password") return usage("users", action ? `unknown users command "${action}"` : 'missing "reset-password"');
  if (!username) return usage("users", "missing the username");
  const { resetPassword } = await import("./store/users-cli.ts");
  const result = await resetPassword(options["data-dir"] ?? "data", username, process.env["AIOTFLOW_NEW_PASSWORD"]);
  (result.code === 0 ? out : err)(result.text);
  return result.code;
}

async function models(positionals: string[], options: Options): Promise<number> {
  const { modelsCommand } = await import("./ml/models-cli.ts");
  const result = await modelsCommand(positionals, {
    dataDir: options["data-dir"] ?? "data",
    ...(options.name !== undefined && { name: options.name }),
    ...(options.features !== undefined && { features: options.features }),
    ...(options.stage !== undefined && { stage: options.stage }),
    ...(options.card !== undefined && { card: options.card }),
    ...(options.json !== undefined && { json: options.json }),
  });
  if (result.code === 2) return usage("models", result.text);
  (result.code === 0 ? out : err)(result.text);
  return result.code;
}

async function run(positionals: string[], options: Options): Promise<number> {
  const file = positionals[0];
  if (!file) return usage("run", "missing <flow.json>");
  const common = commonRunOptions("run", options);
  if (typeof common === "string") return usage("run", common);
  const { level, duration } = common;
  const catalog = await loadCatalog();
  const loaded = loadFlowFile(file, catalog);
  if (!loaded.ok) {
    printProblems(loaded.problems, false);
    return 1;
  }
  const log = createLogger({ level, json: options.json ?? false });
  const dataDir = options["no-state"] ? undefined : (options["data-dir"] ?? "data");
  // Headless runs have no secret store: `{ "$secret": "x" }` reads AIOTFLOW_SECRET_X from the environment.
  const secrets = (name: string) => process.env[`AIOTFLOW_SECRET_${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`];
  const connections = await createConnections({ logger: log, secrets });
  // With a data directory, flows reach its model registry (`aiotflow models register ...`).
  const models = dataDir ? await (await import("./ml/model-registry.ts")).ModelRegistry.open(dataDir) : undefined;
  // ... and its feature store (<data-dir>/features.sqlite) and retraining loop.
  const mlops = models && dataDir ? (await import("./ml/retrain.ts")).openMlops(dataDir, models, log) : undefined;
  // ... and its asset/signal registry (<data-dir>/assets.json); webhooks get a listener only when asked for.
  const assets = dataDir ? await LowdbAssetStore.open(dataDir) : undefined;
  const ingress = options["http-port"] !== undefined ? new HttpIngressRegistry() : undefined;
  let hooks: Awaited<ReturnType<HttpIngressRegistry["listen"]>> | undefined;
  try {
    hooks = await ingress?.listen(Number(options["http-port"]), options.host ?? "127.0.0.1");
  } catch (error) {
    err(`aiotflow run: cannot serve webhooks on port ${options["http-port"]}: ${errorMessage(error)}`);
    mlops?.close();
    await models?.close();
    return 1;
  }
  if (hooks) log.info(`webhooks of http-in nodes at http://${options.host ?? "127.0.0.1"}:${hooks.port}/api/hooks/<flow>/<node>`);
  const bindings = [...(models ? [provide(MODELS, models)] : []), ...(mlops?.bindings ?? []), ...(assets ? [provide(ASSETS, assets)] : []), ...(ingress ? [provide(HTTP_INGRESS, ingress)] : [])];
  const provided = bindings.length > 0 ? services(...bindings) : undefined;
  const engine = new Engine({ catalog, logger: log, secrets, connections, services: withConnections(provided, connections, dataDir, log), ...(dataDir ? { dataDir } : {}) });
  const flow = loaded.value.flow;
  const signal = stopSignal(duration, log);
  // `aiotflow run ... | head` closes our stdout: stop printing, drain and exit normally.
  let printing = !options.quiet;
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    printing = false;
    signal.stop(error.code === "EPIPE" ? "output closed" : `output failed: ${error.message}`);
  });
  engine.on("debug", (event) => {
    if (printing) out(formatDebug(event, options.json ?? false));
  });
  log.info(
    `starting flow "${flow.id}" (${flow.nodes.length} nodes)${duration ? ` for ${duration} s` : ""}; ` +
      `${dataDir ? `keyed state kept in ${dataDir}/state` : "keyed state not kept (--no-state)"}; Ctrl-C to stop`,
  );
  try {
    await engine.deploy(flow);
  } catch (error) {
    if (error instanceof FlowInvalidError) printProblems(error.errors.map((e) => ({ error: e, location: file })), false);
    else err(isAiotError(error) ? `aiotflow run: ${error.toString()}` : `aiotflow run: ${errorMessage(error)}`);
    hooks?.server.close();
    mlops?.close();
    await models?.close();
    return 1;
  }
  await signal.stopped;
  await engine.stop();
  hooks?.server.close();
  await connections.close();
  mlops?.close();
  await models?.close();
  printSummary(engine.metrics());
  return 0;
}

function formatDebug(event: DebugEvent, json: boolean): string {
  const { msg } = event;
  if (json) return JSON.stringify({ node: event.node, label: event.label, ...msg });
  const skipped = typeof msg.meta?.["skipped"] === "number" ? ` (+${msg.meta["skipped"]} not shown)` : "";
  const text = describePayload(msg.payload);
  return `${localTime(msg.ts)} [${event.label}${skipped}] ${msg.key ?? msg.topic}  ${text.length > 200 ? `${text.slice(0, 200)}…` : text}${why(msg.meta)}`;
}

/** Event time as local wall-clock time, HH:MM:SS.mmm. */
function localTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, "0")}`;
}

/** A coded error as `CODE: message`, a flat object as `name=value` pairs, anything else as JSON. */
function describePayload(payload: unknown): string {
  const round = (v: unknown) => (typeof v === "number" && !Number.isInteger(v) ? Number(v.toFixed(3)) : v);
  if (payload && typeof payload === "object" && !Array.isArray(payload)) {
    const record = payload as Record<string, unknown>;
    if (typeof record["code"] === "string" && typeof record["message"] === "string") return `${record["code"]}: ${record["message"]}`;
    const entries = Object.entries(record);
    if (entries.every(([, v]) => v === null || typeof v !== "object")) return entries.map(([k, v]) => `${k}=${round(v)}`).join(" ");
  }
  return JSON.stringify(payload, (_k, v: unknown) => round(v)) ?? String(payload);
}

/** Why a reading was rejected or flagged, from the cleaner's meta. */
function why(meta: Readonly<Record<string, unknown>> | undefined): string {
  const rejected = meta?.["rejected"] as { field?: string; reason?: string } | undefined;
  if (rejected?.reason) return `  ← ${rejected.field ?? ""} ${rejected.reason}`;
  const quality = meta?.["quality"] as Record<string, string> | undefined;
  return quality ? `  ← ${Object.entries(quality).map(([f, q]) => `${f} ${q}`).join(", ")}` : "";
}

function printSummary(metrics: ReturnType<Engine["metrics"]>): void {
  err("\nnode                 type               in        out       errors  dropped  p99 ms  counters");
  for (const m of metrics) {
    const counters = Object.entries(m.counters)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ");
    err(
      `${m.node.padEnd(20)} ${m.type.padEnd(18)} ${String(m.in).padStart(9)} ${String(m.out).padStart(9)} ${String(m.errors).padStart(8)} ${String(m.dropped).padStart(8)}  ${String(m.latencyMs.count ? m.latencyMs.p99 : "-").padStart(6)}  ${counters}`,
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
