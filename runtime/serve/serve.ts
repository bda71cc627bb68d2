import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createServer, type Server as HttpServer } from "node:http";
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from "node:net";
import { Aedes } from "aedes";
import { createApi } from "../api/app.ts";
import { createConnections } from "../connections/index.ts";
import { ModelRegistry } from "../ml/model-registry.ts";
import { openFeatureStore } from "../ml/feature-store.ts";
import { Retrainer } from "../ml/retrain.ts";
import { FEATURE_STORE } from "../sdk/feature-store.ts";
import { RETRAIN } from "../sdk/retrain.ts";
import { MODELS } from "../sdk/models.ts";
import { provide, services } from "../sdk/services.ts";
import { mountEditor } from "../api/editor-static.ts";
import type { Catalog } from "../core/validate.ts";
import type { FlowDocument } from "../contract/flow-format.ts";
import { lockDataDir } from "../store/data-dir-lock.ts";
import { FlowRuntime } from "../local/flow-runtime.ts";
import type { Logger } from "../sdk/define.ts";
import { AiotError, errorMessage, isAiotError } from "../sdk/errors.ts";
import { openStores } from "../store/index.ts";
import { LowdbAssetStore } from "../store/assets.ts";
import { ASSETS } from "../sdk/assets.ts";
import { HTTP_INGRESS } from "../sdk/http-ingress.ts";
import { HttpIngressRegistry } from "../connections/http-ingress.ts";

export interface ServeOptions {
  readonly catalog: Catalog;
  readonly dataDir: string;
  /** HTTP port of the API (0 = any free port). */
  readonly port: number;
  readonly host: string;
  /** Embedded MQTT broker port (0 = any free port, undefined = no broker). */
  readonly mqttPort?: number;
  readonly auth: boolean;
  readonly logger: Logger;
  /** Flow file deployed when the store has no flows yet (the demo). */
  readonly seedFlow?: string;
  readonly adminPassword?: string;
  /** The built browser editor served at `/` (default editor/dist of the package). */
  readonly editorDir?: string;
  /** How long stopping waits for flows to drain their queues before it stops anyway (default 10 s). */
  readonly drainTimeoutMs?: number;
}

export interface Served {
  readonly url: string;
  readonly mqttUrl?: string;
  /** Set only on the very first start: the generated admin password, shown once. */
  readonly adminPassword?: string;
  close(): Promise<void>;
}

/**
 * `aiotflow serve`: stores, the local runtime, the admin API with live events and /metrics, and an
 * embedded MQTT broker (aedes). Flows deployed before a restart are deployed again.
 */
export async function serve(options: ServeOptions): Promise<Served> {
  const { catalog, dataDir, logger } = options;
  const lock = lockDataDir(dataDir);
  // Stopping (and a start that fails half-way) runs the cleanups by stage, whatever order they were
  // registered in: flows drain while their connections and the embedded broker still work; the
  // connections close before the broker so they are not lost (and retried); the HTTP server goes last.
  const cleanups: Array<{ stage: Stage; run: () => unknown }> = [{ stage: "unlock", run: () => lock.release() }];
  let unwound = false;
  const unwind = async () => {
    if (unwound) return;
    unwound = true;
    for (const stage of STAGES) for (const cleanup of cleanups.filter((c) => c.stage === stage)) await cleanup.run();
  };
  try {
    const brandNew = !existsSync(join(dataDir, "flows.json"));
    const stores = await openStores(dataDir);
    const chain = stores.audit.verify();
    if (!chain.ok) logger.warn(`audit log broken at line ${chain.brokenAt}: ${chain.reason}; keep the file as evidence`, { code: "AUDIT_CHAIN_BROKEN" });
    const connections = await createConnections({ logger, secrets: (name) => stores.secrets.get(name) });
    cleanups.push({ stage: "halt", run: () => connections.stopReconnecting() }, { stage: "connections", run: () => connections.close() });
    const models = await ModelRegistry.open(dataDir, { audit: stores.audit });
    cleanups.push({ stage: "stores", run: () => models.close() });
    const assets = await LowdbAssetStore.open(dataDir);
    const ingress = new HttpIngressRegistry();
    // Rows record the flow version deployed when they were written (the runtime is created below).
    const features = openFeatureStore(dataDir, logger, (flowId) => runtime.flows().find((f) => f.flowId === flowId)?.version);
    if (features) cleanups.push({ stage: "stores", run: () => features.close() });
    const retrain = features ? new Retrainer({ registry: models, store: features, logger }) : undefined;
    const mlops = features && retrain ? [provide(FEATURE_STORE, features), provide(RETRAIN, retrain)] : [];
    const runtime = new FlowRuntime({ catalog, dataDir, logger, secrets: (name) => stores.secrets.get(name), connections, services: services(provide(MODELS, models), provide(ASSETS, assets), provide(HTTP_INGRESS, ingress), ...mlops) });
    cleanups.push({ stage: "halt", run: () => runtime.refuseDeploys() }); // none may start while the others drain
    cleanups.push({ stage: "flows", run: () => drainFlows(runtime, options.drainTimeoutMs ?? 10_000, logger) });
    const api = createApi({ catalog, ...stores, runtime, connections, models, assets, ingress, ...(features ? { features } : {}), ...(retrain ? { retrain } : {}), auth: options.auth, logger });
    mountEditor(api.app, options.editorDir);

    // Bind the ports before running anything: a port in use must fail the start, not half-start it.
    const http = createServer(api.app);
    api.attachWebSocket(http);
    await listen(http, options.port, options.host, "--port");
    cleanups.push({
      stage: "http",
      run: async () => {
        // Live-event clients (an editor tab, curl -N) and keep-alive sockets would hold close() open
        // until they go away: tell the streams to end, then cut what is left.
        api.close();
        const closed = new Promise<void>((resolve) => http.close(() => resolve()));
        await new Promise((resolve) => setImmediate(resolve)); // the streams' goodbye gets written
        http.closeAllConnections();
        await closed;
      },
    });
    const broker = options.mqttPort === undefined ? undefined : await startBroker(options.mqttPort, options.host).catch((error: unknown) => {
      // A broker already on the port (a plant's Mosquitto) is most likely the one the user wants: start
      // without ours, say so, and let flows use that one.
      if (!isAiotError(error) || error.code !== "SERVE_PORT_IN_USE") throw error;
      logger.warn(`embedded MQTT broker not started: ${error.message}; flows can use the broker already there, or start with --mqtt-port N or --no-mqtt`, { code: error.code });
      return undefined;
    });
    if (broker) cleanups.push({ stage: "broker", run: () => broker.close() });
    // Only now that both ports are ours: a start that failed on a busy port must not use up the
    // one-time admin password (the next start would have none to show and the user is locked out).
    const admin = options.auth ? await stores.users.ensureAdmin(options.adminPassword) : undefined;

    // The demo goes only into a brand-new data directory: a user who deleted it does not get it back.
    if (brandNew && options.seedFlow) await seed(options.seedFlow, stores, logger);
    await redeployPrevious(stores, runtime, logger);

    const port = (http.address() as AddressInfo).port;
    return {
      url: `http://${options.host}:${port}`,
      ...(broker ? { mqttUrl: `mqtt://${options.host}:${broker.port}` } : {}),
      ...(admin?.password ? { adminPassword: admin.password } : {}),
      close: unwind,
    };
  } catch (error) {
    await unwind();
    throw error;
  }
}

async function seed(file: string, stores: Awaited<ReturnType<typeof openStores>>, logger: Logger): Promise<void> {
  try {
    const document = JSON.parse(readFileSync(file, "utf8")) as FlowDocument;
    const saved = await stores.flows.saveVersion({ document, author: "aiotflow", message: "demo flow, added on first start" });
    if (saved.ok) {
      await stores.flows.setDeployed(document.id, saved.version.version, false);
      await stores.audit.append({ actor: "aiotflow", action: "flow.create", target: `flow:${document.id}`, outcome: "ok", after: saved.version.hash, detail: { version: saved.version.version } });
    }
  } catch (error) {
    logger.warn(`could not add the demo flow ${file}: ${errorMessage(error)}`);
  }
}

/** Flows that were running when the server stopped run again (the deployed version, not the latest). */
async function redeployPrevious(stores: Awaited<ReturnType<typeof openStores>>, runtime: FlowRuntime, logger: Logger): Promise<void> {
  for (const flow of stores.flows.listFlows()) {
    if (flow.deployedVersion === undefined) continue;
    const version = stores.flows.getVersion(flow.id, flow.deployedVersion);
    if (!version) continue;
    const outcome = await runtime.deploy(flow.id, version.version, version.document);
    await stores.audit.append({
      actor: "aiotflow",
      action: "flow.deploy",
      target: `flow:${flow.id}`,
      outcome: outcome.ok ? "ok" : "failed",
      after: version.hash,
      detail: { version: version.version, reason: "server start", ...(outcome.ok ? {} : { error: outcome.error.code }) },
    });
    if (outcome.ok) {
      await stores.flows.setDeployed(flow.id, version.version, true);
      logger.info(`flow "${flow.id}" v${version.version} running`);
    } else {
      logger.error(`flow "${flow.id}" v${version.version} did not start: ${outcome.error.message}`, { code: outcome.error.code });
    }
  }
}

/** The order stopping runs in (see `serve`). */
const STAGES = ["halt", "flows", "connections", "stores", "broker", "http", "unlock"] as const;
type Stage = (typeof STAGES)[number];

/** Stops every flow (each drains its queues), but gives up after `timeoutMs`, naming what was left. */
async function drainFlows(runtime: FlowRuntime, timeoutMs: number, logger: Logger): Promise<void> {
  const pending = new Set(runtime.flows().map((f) => f.flowId));
  const stopped = Promise.all([...pending].map((id) => runtime.stop(id).then(() => void pending.delete(id))));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs)));
  const outcome = await Promise.race([stopped, timeout]).finally(() => clearTimeout(timer));
  if (outcome !== "timeout") return;
  const left = runtime.metrics().filter((m) => pending.has(m.flowId)).map((m) => {
    const queued = m.nodes.reduce((sum, node) => sum + node.queueDepth, 0);
    return `"${m.flowId}" (${queued} queued message${queued === 1 ? "" : "s"})`;
  });
  logger.warn(`stopping anyway: flows still draining after ${timeoutMs} ms: ${left.join(", ")}; their queued messages are lost`, { code: "NODE_STOP_FAILED" });
}

function listen(server: HttpServer | TcpServer, port: number, host: string, option: "--port" | "--mqtt-port"): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => {
      if (error.code !== "EADDRINUSE") return reject(error);
      const what = option === "--port" ? "the editor and API" : "the embedded MQTT broker";
      reject(new AiotError("SERVE_PORT_IN_USE", `${host}:${port}, the port for ${what} (${option}), is already in use (EADDRINUSE)`, { port, option }, { cause: error }));
    };
    server.once("error", failed);
    server.listen(port, host, () => {
      server.off("error", failed);
      resolve();
    });
  });
}

async function startBroker(port: number, host: string): Promise<{ port: number; close(): Promise<void> }> {
  const broker = await Aedes.createBroker();
  const tcp = createTcpServer(broker.handle);
  try {
    await listen(tcp, port, host, "--mqtt-port");
  } catch (error) {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw error;
  }
  return {
    port: (tcp.address() as AddressInfo).port,
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    },
  };
}
