import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { PACKAGE_ROOT, SHIPPED_FLOWS_DIR } from "../catalog/paths.ts";
import { catalogJson, catalogSummary, nodeManual } from "../catalog/catalog-docs.ts";
import { loadCatalog } from "../catalog/catalog.ts";
import { createLogger } from "../core/logger.ts";
import { loadFlowFile } from "../core/flow-file.ts";
import { errorMessage, isAiotError } from "../sdk/errors.ts";
import { closest } from "../sdk/suggest.ts";
import { commonRunOptions, err, out, printProblems, stopSignal, usage, type Options } from "./common.ts";
import { HELP } from "./help.ts";
import { run } from "./run.ts";

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
        "keep-running": { type: "boolean" },
        "drain-timeout": { type: "string" },
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
  const { serve } = await import("../serve/serve.ts");
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
  // Stopped (the drain is bounded): whatever a stuck node still holds (a timer, a socket) must not keep the process alive.
  setTimeout(() => process.exit(), 2000).unref();
  return 0;
}

async function audit(positionals: string[], options: Options): Promise<number> {
  if (positionals[0] !== "verify") return usage("audit", positionals[0] ? `unknown audit command "${positionals[0]}"` : "missing \"verify\"");
  const { auditVerify } = await import("../store/audit-cli.ts");
  const result = await auditVerify(options["data-dir"] ?? "data");
  (result.code === 0 ? out : err)(result.text);
  return result.code;
}

async function users(positionals: string[], options: Options): Promise<number> {
  const [action, username] = positionals;
  if (action !== "reset-password") return usage("users", action ? `unknown users command "${action}"` : 'missing "reset-password"');
  if (!username) return usage("users", "missing the username");
  const { resetPassword } = await import("../store/users-cli.ts");
  const result = await resetPassword(options["data-dir"] ?? "data", username, process.env["AIOTFLOW_NEW_PASSWORD"]);
  (result.code === 0 ? out : err)(result.text);
  return result.code;
}

async function models(positionals: string[], options: Options): Promise<number> {
  const { modelsCommand } = await import("../ml/models-cli.ts");
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

process.exitCode = await main(process.argv.slice(2)).catch((error: unknown) => {
  // A coded error is the user's to fix (a stray file among the nodes, a store it cannot read): say
  // what and what to do. Anything else is ours.
  if (isAiotError(error)) {
    err(`aiotflow: ${error.toString()}\n  what to do: ${error.hint}`);
    return 1;
  }
  err(`aiotflow: internal error (please report): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return 70;
});
