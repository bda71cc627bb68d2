import type { Services } from "../sdk/services.ts";
import { withConnections, type ConnectionSupervisor } from "../connections/index.ts";
import { performance } from "node:perf_hooks";
import { Engine } from "../core/engine.ts";
import type { FlowDocument } from "../contract/flow-format.ts";
import { silentLogger } from "../core/logger.ts";
import { FlowInvalidError, type Catalog } from "../core/validate.ts";
import type { Clock } from "../sdk/clock.ts";
import type { Logger } from "../sdk/define.ts";
import { errorMessage, isAiotError } from "../sdk/errors.ts";
import type { DeployOutcome, LocalRuntime, RunningFlowState, RuntimeEvent } from "./local-runtime.ts";

interface Slot {
  readonly engine: Engine;
  version: number;
  state: RunningFlowState["state"];
  since: string;
  readonly unsubscribe: Array<() => void>;
}

/**
 * The local runtime: one engine per deployed flow. A deploy of a running flow is a hot swap inside
 * its engine (unchanged nodes and their state stay, nothing is lost); when it fails, the previous
 * version keeps running. Engine events are forwarded, tagged with the flow id, to subscribers
 * (the API's WebSocket, the CLI).
 */
export class FlowRuntime implements LocalRuntime {
  private readonly slots = new Map<string, Slot>();
  /** Set when the server starts stopping: a deploy then would start a flow nobody stops. */
  private shuttingDown = false;
  private readonly listeners = new Set<(event: RuntimeEvent) => void>();

  constructor(
    private readonly options: {
      readonly catalog: Catalog;
      readonly dataDir?: string;
      readonly logger?: Logger;
      readonly clock?: Clock;
      readonly secrets?: (name: string) => string | undefined;
      /** Services nodes reach with `ctx.use(key)`; see runtime/sdk/services.ts. */
      readonly services?: Services;
      /** Shared connections (MQTT brokers, OPC UA endpoints) for every flow; also provided as CONNECTIONS. */
      readonly connections?: ConnectionSupervisor;
      /** How long stopping a flow waits for its queued messages (default 10 s); see Engine. */
      readonly drainTimeoutMs?: number;
    },
  ) {}

  async deploy(flowId: string, version: number, document: FlowDocument): Promise<DeployOutcome> {
    const started = performance.now();
    const elapsed = () => Math.round((performance.now() - started) * 1000) / 1000;
    this.publish({ type: "deploy", flowId, version, phase: "validating", at: Date.now() });
    if (this.shuttingDown) {
      const message = "the server is shutting down: deploy again once it has restarted";
      this.publish({ type: "deploy", flowId, version, phase: "failed", detail: message, at: Date.now() });
      return { ok: false, error: { code: "DEPLOY_FAILED", message }, durationMs: elapsed() };
    }
    if (document.id !== flowId) {
      const message = `the document's id "${document.id}" is not the flow's id "${flowId}"`;
      this.publish({ type: "deploy", flowId, version, phase: "failed", detail: message, at: Date.now() });
      return { ok: false, error: { code: "DEPLOY_FAILED", message }, durationMs: elapsed() };
    }
    const existing = this.slots.get(flowId);
    const slot = existing ?? this.createSlot(flowId, version);
    this.publish({ type: "deploy", flowId, version, phase: "starting", at: Date.now() });
    try {
      const report = await slot.engine.deploy(document);
      slot.version = version;
      slot.state = "running";
      slot.since = new Date().toISOString();
      this.publish({ type: "deploy", flowId, version, phase: "running", at: Date.now() });
      return { ok: true, report, durationMs: elapsed() };
    } catch (error) {
      if (!existing) this.dropSlot(flowId);
      const failure =
        error instanceof FlowInvalidError
          ? { code: "FLOW_INVALID", message: error.message.split("\n")[0]!, problems: error.errors.map((e) => e.toJSON()) }
          : { code: isAiotError(error) ? error.code : "DEPLOY_FAILED", message: errorMessage(error) };
      const keeps = existing?.state === "running" ? `; version ${existing.version} keeps running` : "";
      this.publish({ type: "deploy", flowId, version, phase: "failed", detail: `${failure.message}${keeps}`, at: Date.now() });
      return { ok: false, error: failure, durationMs: elapsed() }; // what keeps running is the caller's to say
    }
  }

  async stop(flowId: string): Promise<boolean> {
    const slot = this.slots.get(flowId);
    if (!slot) return false;
    await slot.engine.stop();
    this.dropSlot(flowId);
    return true;
  }

  flows(): RunningFlowState[] {
    return [...this.slots].map(([flowId, slot]) => ({
      flowId,
      version: slot.version,
      state: slot.state,
      since: slot.since,
      nodes: slot.engine.statuses(),
    }));
  }

  metrics(flowId?: string): ReturnType<LocalRuntime["metrics"]> {
    return [...this.slots]
      .filter(([id]) => flowId === undefined || id === flowId)
      .map(([id, slot]) => ({ flowId: id, nodes: slot.engine.metrics() }));
  }

  subscribe(listener: (event: RuntimeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** From now on deploys are refused; running flows go on until stopped (the first step of a shutdown). */
  refuseDeploys(): void {
    this.shuttingDown = true;
  }

  /** Stops every flow, draining each. */
  async close(): Promise<void> {
    this.shuttingDown = true;
    await Promise.all([...this.slots.keys()].map((id) => this.stop(id)));
  }

  private createSlot(flowId: string, version: number): Slot {
    const engine = new Engine({
      catalog: this.options.catalog,
      logger: this.options.logger ?? silentLogger,
      ...(this.options.dataDir ? { dataDir: this.options.dataDir } : {}),
      ...(this.options.clock ? { clock: this.options.clock } : {}),
      ...(this.options.drainTimeoutMs !== undefined ? { drainTimeoutMs: this.options.drainTimeoutMs } : {}),
      ...(this.options.secrets ? { secrets: this.options.secrets } : {}),
      ...(this.options.services ? { services: this.options.services } : {}),
      ...(this.options.connections ? { connections: this.options.connections, services: withConnections(this.options.services, this.options.connections, this.options.dataDir, this.options.logger) } : {}),
    });
    const at = () => Date.now();
    const slot: Slot = {
      engine,
      version,
      state: "stopped",
      since: new Date().toISOString(),
      unsubscribe: [
        engine.hooks.add({ onDebug: (node, msg, label) => this.publish({ type: "debug", flowId, node: node.id, label, msg, at: at() }) }),
        engine.on("status", (e) => this.publish({ type: "status", flowId, node: e.node, status: e.status, at: at() })),
        engine.on("error", (e) =>
          this.publish({ type: "error", flowId, node: String(e.error.details.node ?? ""), code: e.error.code, message: e.error.message, at: at() }),
        ),
      ],
    };
    this.slots.set(flowId, slot);
    return slot;
  }

  private dropSlot(flowId: string): void {
    const slot = this.slots.get(flowId);
    for (const unsubscribe of slot?.unsubscribe ?? []) unsubscribe();
    this.slots.delete(flowId);
  }

  private publish(event: RuntimeEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        // A broken subscriber must not break the flow that produced the event.
        (this.options.logger ?? silentLogger).warn(`event listener failed: ${errorMessage(error)}`);
      }
    }
  }
}
