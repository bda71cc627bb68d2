/** `aiotflow run <flow.json>`: one flow headless, as on a gateway, printing what its debug nodes see. */
import { loadCatalog } from "../catalog/catalog.ts";
import { lockDataDir } from "../store/data-dir-lock.ts";
import { createConnections, withConnections } from "../connections/index.ts";
import { Engine, type DebugEvent } from "../core/engine.ts";
import { createLogger } from "../core/logger.ts";
import { FlowInvalidError, type ValidFlow } from "../core/validate.ts";
import { loadFlowFile, nodeTypesOf } from "../core/flow-file.ts";
import { HttpIngressRegistry } from "../connections/http-ingress.ts";
import { ASSETS } from "../sdk/assets.ts";
import { errorMessage, isAiotError, type AiotError } from "../sdk/errors.ts";
import { HTTP_INGRESS } from "../sdk/http-ingress.ts";
import { MODELS } from "../sdk/models.ts";
import { provide, services } from "../sdk/services.ts";
import { LowdbAssetStore } from "../store/assets.ts";
import { commonRunOptions, drainTimeoutMs, err, out, printProblems, stopSignal, usage, type Options } from "./common.ts";
import { summaryLines } from "./summary.ts";

export async function run(positionals: string[], options: Options): Promise<number> {
  const file = positionals[0];
  if (!file) return usage("run", "missing <flow.json>");
  const common = commonRunOptions("run", options);
  if (typeof common === "string") return usage("run", common);
  const { level, duration } = common;
  const drainTimeout = drainTimeoutMs(options);
  if (typeof drainTimeout === "string") return usage("run", drainTimeout);
  // A gateway runs one flow: load the node types it names (and their libraries), not the whole catalog.
  const catalog = await loadCatalog([], { types: nodeTypesOf(file) });
  const loaded = loadFlowFile(file, catalog);
  if (!loaded.ok) {
    printProblems(loaded.problems, false);
    return 1;
  }
  const log = createLogger({ level, json: options.json ?? false });
  const dataDir = options["no-state"] ? undefined : (options["data-dir"] ?? "data");
  // Headless runs have no secret store: `{ "$secret": "x" }` reads AIOTFLOW_SECRET_X from the environment.
  const secrets = (name: string) => process.env[`AIOTFLOW_SECRET_${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`];
  // The data directory's registry, state and outbox files are written here: a server (or another
  // run) on the same directory would overwrite them behind our back, so take its lock first.
  let lock: { release(): void } | undefined;
  try {
    lock = dataDir ? lockDataDir(dataDir) : undefined;
  } catch (error) {
    if (!isAiotError(error)) throw error;
    err(`aiotflow run: ${error.toString()}\n  what to do: ${error.hint} (or run with --no-state, without the data directory's models and assets)`);
    return 1;
  }
  try {
    return await runLocked(file, options, { catalog, loaded: loaded.value, log, dataDir, secrets, duration, drainTimeout });
  } finally {
    lock?.release();
  }
}

async function runLocked(
  file: string,
  options: Options,
  { catalog, loaded, log, dataDir, secrets, duration, drainTimeout }: {
    catalog: Awaited<ReturnType<typeof loadCatalog>>;
    loaded: ValidFlow;
    log: ReturnType<typeof createLogger>;
    dataDir: string | undefined;
    secrets: (name: string) => string | undefined;
    duration: number | undefined;
    drainTimeout: number | undefined;
  },
): Promise<number> {
  const connections = await createConnections({ logger: log, secrets });
  // With a data directory, flows reach its model registry (`aiotflow models register ...`).
  const models = dataDir ? await (await import("../ml/model-registry.ts")).ModelRegistry.open(dataDir) : undefined;
  // ... and its feature store (<data-dir>/features.sqlite) and retraining loop.
  const mlops = models && dataDir ? (await import("../ml/retrain.ts")).openMlops(dataDir, models, log) : undefined;
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
  const engine = new Engine({
    catalog,
    logger: log,
    secrets,
    connections,
    services: withConnections(provided, connections, dataDir, log),
    ...(dataDir ? { dataDir } : {}),
    ...(drainTimeout !== undefined ? { drainTimeoutMs: drainTimeout } : {}),
  });
  const flow = loaded.flow;
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
      `${dataDir ? `keyed state kept in ${dataDir}/state` : "keyed state not kept (--no-state)"}; ` +
      `${options["keep-running"] ? "Ctrl-C to stop" : "stops when its sources have finished, or on Ctrl-C"}`,
  );
  try {
    await engine.deploy(flow);
  } catch (error) {
    if (error instanceof FlowInvalidError) printProblems(error.errors.map((e) => ({ error: e, location: file })), false);
    else err(isAiotError(error) ? `aiotflow run: ${error.toString()}${withoutDataDirHint(error, dataDir)}` : `aiotflow run: ${errorMessage(error)}`);
    hooks?.server.close();
    mlops?.close();
    await models?.close();
    return 1;
  }
  // A flow whose sources all end (a replayed file) stops by itself once it is idle, unless --keep-running.
  if (!options["keep-running"]) void engine.finished().then(() => signal.stop("every source has finished"));
  await signal.stopped;
  const stopped = await engine.stop();
  hooks?.server.close();
  await connections.close();
  mlops?.close();
  await models?.close();
  for (const line of summaryLines(engine.metrics(), stopped)) err(line);
  // Stopped (the drain is bounded): a call the drain timeout abandoned may still hold a timer or a
  // socket, which must not keep the process alive.
  setTimeout(() => process.exit(), 2000).unref();
  return 0;
}

/** Services that live in the data directory are missing under --no-state: say where they come from. */
const DATA_DIR_SERVICES: Readonly<Record<string, string>> = {
  [ASSETS.name]: "the asset registry (<data-dir>/assets.json)",
  [MODELS.name]: "the model registry (<data-dir>/models)",
};

function withoutDataDirHint(error: AiotError, dataDir: string | undefined): string {
  if (dataDir || error.code !== "SERVICE_UNAVAILABLE") return "";
  const service = Object.keys(DATA_DIR_SERVICES).find((name) => error.message.includes(`"${name}" service`));
  return service ? `\n  what to do: give --data-dir (instead of --no-state): ${DATA_DIR_SERVICES[service]} lives there` : "";
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
