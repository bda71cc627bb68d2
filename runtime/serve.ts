import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createServer, type Server as HttpServer } from "node:http";
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from "node:net";
import { Aedes } from "aedes";
import { createApi } from "./api/app.ts";
import { createConnections } from "./connections/index.ts";
import { ModelRegistry } from "./ml/model-registry.ts";
import { openFeatureStore } from "./ml/feature-store.ts";
import { Retrainer } from "./ml/retrain.ts";
import { FEATURE_STORE } from "./sdk/feature-store.ts";
import { RETRAIN } from "./sdk/retrain.ts";
import { MODELS } from "./sdk/models.ts";
import { provide, services } from "./sdk/services.ts";
import { mountEditor } from "./editor-static.ts";
import type { Catalog } from "./core/validate.ts";
import type { FlowDocument } from "./core/flow-format.ts";
import { lockDataDir } from "./data-dir-lock.ts";
import { FlowRuntime } from "./flow-runtime.ts";
import type { Logger } from "./sdk/define.ts";
import { errorMessage } from "./sdk/errors.ts";
import { openStores } from "./store/index.ts";
import { LowdbAssetStore } from "./store/assets.ts";
import { ASSETS } from "./sdk/assets.ts";
import { HTTP_INGRESS } from "./sdk/http-ingress.ts";
import { HttpIngressRegistry } from "./http-ingress.ts";

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
  // Cleanups run in reverse if start-up fails half-way, so a failed start leaves nothing running.
  const cleanups: Array<() => unknown> = [() => lock.release()];
  let unwound = false;
  const unwind = async () => {
    if (unwound) return;
    unwound = true;
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  try {
    const brandNew = !existsSync(join(dataDir, "flows.json"));
    const stores = await openStores(dataDir);
    const chain = stores.audit.verify();
    if (!chain.ok) logger.warn(`audit log broken at line ${chain.brokenAt}: ${chain.reason}; keep the file as evidence`, { code: "AUDIT_CHAIN_BROKEN" });
    const admin = options.auth ? await stores.users.ensureAdmin(options.adminPassword) : undefined;
    const connections = await createConnections({ logger, secrets: (name) => stores.secrets.get(name) });
    cleanups.push(() => connections.close());
    const models = await ModelRegistry.open(dataDir, { audit: stores.audit });
    cleanups.push(() => models.close());
    const assets = await LowdbAssetStore.open(dataDir);
    const ingress = new HttpIngressRegistry();
    // Rows record the flow version deployed when they were written (the runtime is created below).
    const features = openFeatureStore(dataDir, logger, (flowId) => runtime.flows().find((f) => f.flowId === flowId)?.version);
    if (features) cleanups.push(() => features.close());
    const retrain = features ? new Retrainer({ registry: models, store: features, logger }) : undefined;
    const mlops = features && retrain ? [provide(FEATURE_STORE, features), provide(RETRAIN, retrain)] : [];
    const runtime = new FlowRuntime({ catalog, dataDir, logger, secrets: (name) => stores.secrets.get(name), connections, services: services(provide(MODELS, models), provide(ASSETS, assets), provide(HTTP_INGRESS, ingress), ...mlops) });
    cleanups.push(() => runtime.close());
    const api = createApi({ catalog, ...stores, runtime, connections, models, assets, ingress, ...(features ? { features } : {}), ...(retrain ? { retrain } : {}), auth: options.auth, logger });
    cleanups.push(() => api.close());
    mountEditor(api.app, options.editorDir);

    // Bind the ports before running anything: a port in use must fail the start, not half-start it.
    const http = createServer(api.app);
    api.attachWebSocket(http);
    await listen(http, options.port, options.host);
    cleanups.push(async () => {
      await new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeAllConnections();
    });
    const broker = options.mqttPort === undefined ? undefined : await startBroker(options.mqttPort, options.host, logger);
    if (broker) cleanups.push(() => broker.close());

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

function listen(server: HttpServer | TcpServer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

async function startBroker(port: number, host: string, logger: Logger): Promise<{ port: number; close(): Promise<void> } | undefined> {
  const broker = await Aedes.createBroker();
  const tcp = createTcpServer(broker.handle);
  try {
    await listen(tcp, port, host);
  } catch (error) {
    // Another broker (often Mosquitto) already has the port: run without ours rather than not at all.
    logger.warn(`embedded MQTT broker not started: ${errorMessage(error)}; flows can use the broker already on ${host}:${port}`);
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    return undefined;
  }
  return {
    port: (tcp.address() as AddressInfo).port,
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    },
  };
}
