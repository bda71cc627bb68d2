import { join } from "node:path";
import { systemClock, type Clock } from "../sdk/clock.ts";
import type { Logger, NodeContext, NodeStatus } from "../sdk/define.ts";
import { AiotError, errorMessage, isAiotError } from "../sdk/errors.ts";
import type { Message } from "../sdk/message.ts";
import { lookup, type Services } from "../sdk/services.ts";
import { keyedView } from "../sdk/state.ts";
import { DEFAULT_MAX_HOPS, type FlowDocument } from "../contract/flow-format.ts";
import { silentLogger } from "./logger.ts";
import { HookList, type Hooks } from "./hooks.ts";
import { metricsHooks, NodeStats, snapshotStats, type NodeMetricsSnapshot } from "./metrics.ts";
import { enabled, hashOf, wire } from "./graph.ts";
import { DEFAULT_PARKING, type ParkingLimits } from "./parking.ts";
import { RuntimeNode } from "./runtime-node.ts";
import { Scheduler } from "./scheduler.ts";
import { StateSnapshots } from "./state-store.ts";
import { FlowInvalidError, validateFlow, type Catalog, type ValidFlow, type ValidNode } from "./validate.ts";

export interface EngineOptions {
  readonly catalog: Catalog;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Where keyed state is snapshotted (`<dataDir>/state/<flow id>.json`); no snapshots without it. */
  readonly dataDir?: string;
  readonly snapshotIntervalMs?: number;
  readonly sliceMs?: number;
  readonly highWater?: number;
  /** Per-node queue limit; past it messages are dropped and counted. */
  readonly nodeCapacity?: number;
  /**
   * Bounds of what sources may park during a redeploy (default 10 000 messages, 16 MiB); past them a
   * source's messages are dropped and counted as `dropped_during_redeploy` (parking.ts).
   */
  readonly redeployBuffer?: Partial<ParkingLimits>;
  /**
   * Deep-freeze every message (tests: a write anywhere in a message fails). Without it the envelope,
   * payload and meta are frozen, which catches `msg.payload.x = ...` in production at a small cost.
   */
  readonly freezeMessages?: boolean;
  /** Looks up `{ "$secret": name }` references (the encrypted secret store); none by default. */
  readonly secrets?: (name: string) => string | undefined;
  /** Runtime services nodes reach with `ctx.use(key)` (model registry, connections, HTTP ingress). */
  readonly services?: Services;
  /**
   * The flow's shared connections (runtime/connections): checked with the flow on every deploy, and
   * told of it before its nodes are built, so nodes resolve connection ids against this version.
   */
  readonly connections?: { check(flow: FlowDocument): AiotError[]; prepare(flow: FlowDocument): void };
}

export interface DebugEvent {
  readonly flowId: string;
  readonly node: string;
  readonly label: string;
  readonly msg: Message;
}

export interface FlowErrorEvent {
  readonly flowId: string;
  readonly error: AiotError;
  readonly msg: Message;
}

export interface StatusEvent {
  readonly flowId: string;
  readonly node: string;
  readonly status: NodeStatus;
}

export interface DeployReport {
  readonly flowId: string;
  readonly added: string[];
  readonly changed: string[];
  readonly removed: string[];
  readonly kept: string[];
}

type Listener<E> = (event: E) => void;

/**
 * Runs one flow: builds its nodes, wires them through the scheduler, starts sources, redeploys in
 * place (keeping unchanged nodes and their keyed state, losing no message) and stops by draining.
 */
export class Engine {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly scheduler: Scheduler;
  private readonly hookList: HookList<RuntimeNode>;
  /** Routing hooks (hooks.ts) for plugins: tracing, taps, lineage. The engine's own metrics and debug events use them too. */
  readonly hooks: Hooks;
  private nodes = new Map<string, RuntimeNode>();
  private flow: FlowDocument | undefined;
  private snapshots: StateSnapshots | undefined;
  /** The id of the flow deployed last (debug events name it even after a stop). */
  private lastFlowId = "";
  private readonly listeners = { error: new Set<Listener<FlowErrorEvent>>(), status: new Set<Listener<StatusEvent>>() };
  private readonly reported = new Map<string, { last: number; suppressed: number }>();
  private busy: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: EngineOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? silentLogger;
    this.hooks = this.hookList = new HookList<RuntimeNode>(this.log, metricsHooks);
    this.hookList.add({
      onDrop: (node, _port, _msg, reason) => {
        if (reason === "queue-full") {
          this.throttled(`${node.id}:overflow`, (more) =>
            this.log.warn(`queue full, dropping messages${more}`, { node: node.id, code: "QUEUE_OVERFLOW", capacity: node.capacity }),
          );
        } else if (reason === "redeploy-full") {
          this.throttled(`${node.id}:parking`, (more) =>
            this.log.warn(`source kept sending during a redeploy and the parking is full, dropping its messages${more}`, { node: node.id, code: "REDEPLOY_BUFFER_FULL" }),
          );
        }
      },
    });
    this.scheduler = new Scheduler(
      {
        sliceMs: options.sliceMs ?? 5,
        highWater: options.highWater ?? 16_384,
        freezeMessages: options.freezeMessages ?? false,
        parking: { ...DEFAULT_PARKING, ...options.redeployBuffer },
        onUnhandledError: (node, error, msg) => this.unhandled(node, error, msg),
      },
      this.hookList,
    );
  }

  get running(): boolean {
    return this.flow !== undefined;
  }

  get flowId(): string | undefined {
    return this.flow?.id;
  }

  on(event: "debug", listener: Listener<DebugEvent>): () => void;
  on(event: "error", listener: Listener<FlowErrorEvent>): () => void;
  on(event: "status", listener: Listener<StatusEvent>): () => void;
  on(event: "debug" | "error" | "status", listener: Listener<never>): () => void {
    if (event === "debug") {
      const tap = listener as Listener<DebugEvent>;
      return this.hookList.add({ onDebug: (node, msg, label) => tap({ flowId: this.lastFlowId, node: node.id, label, msg }) });
    }
    const set = this.listeners[event] as Set<Listener<never>>;
    set.add(listener);
    return () => void set.delete(listener);
  }

  /**
   * Validates and runs `document`. The first deploy builds and starts everything; later ones swap in
   * place. Throws FlowInvalidError (every problem) or an AiotError DEPLOY_FAILED, in which case the
   * previous flow, if any, keeps running untouched.
   */
  deploy(document: unknown): Promise<DeployReport> {
    const run = this.busy.then(() => this.deployNow(document));
    this.busy = run.catch(() => undefined);
    return run;
  }

  /** Stops sources, drains every queued message, closes nodes and writes the state snapshot. */
  stop(): Promise<void> {
    const run = this.busy.then(() => this.stopNow());
    this.busy = run.catch(() => undefined);
    return run;
  }

  /** Resolves when no message is queued or in flight. */
  idle(): Promise<void> {
    return this.scheduler.idle();
  }

  metrics(): NodeMetricsSnapshot[] {
    return [...this.nodes.values()].map((n) => snapshotStats(n.id, n.definition.type, n.stats));
  }

  statuses(): Array<{ node: string; status: NodeStatus }> {
    return [...this.nodes.values()].map((n) => ({ node: n.id, status: n.status }));
  }

  private async deployNow(document: unknown): Promise<DeployReport> {
    const result = validateFlow(document, this.options.catalog);
    if (!result.ok) throw new FlowInvalidError(result.errors);
    const connectionProblems = this.options.connections?.check(result.value.flow) ?? [];
    if (connectionProblems.length > 0) throw new FlowInvalidError(connectionProblems);
    if (this.flow && this.flow.id !== result.value.flow.id) {
      throw new AiotError("DEPLOY_FAILED", `this engine runs flow "${this.flow.id}"; stop it before deploying "${result.value.flow.id}"`, {});
    }
    this.options.connections?.prepare(result.value.flow);
    return this.flow ? this.redeploy(result.value) : this.firstDeploy(result.value);
  }

  private async firstDeploy(valid: ValidFlow): Promise<DeployReport> {
    const flowId = (this.lastFlowId = valid.flow.id);
    const file = this.options.dataDir ? join(this.options.dataDir, "state", `${encodeURIComponent(flowId)}.json`) : undefined;
    const snapshots = (this.snapshots = new StateSnapshots(flowId, file, this.clock, this.log));
    const nodes = new Map<string, RuntimeNode>();
    try {
      for (const entry of enabled(valid)) nodes.set(entry.node.id, this.build(flowId, entry, snapshots.stateFor(entry.node.id, hashOf(entry))));
    } catch (error) {
      await closeAll(nodes.values(), this.log);
      throw error;
    }
    wire(nodes, valid.flow);
    this.nodes = nodes;
    this.flow = valid.flow;
    this.scheduler.loops.maxHops = maxHopsOf(valid.flow);
    const failed = await this.startSources([...nodes.values()]);
    if (failed) {
      this.flow = undefined;
      await this.stopSources([...nodes.values()]);
      await closeAll(nodes.values(), this.log);
      this.nodes = new Map();
      throw failed;
    }
    snapshots.every(this.options.snapshotIntervalMs ?? 30_000, () => this.nodes.values());
    return { flowId, added: [...nodes.keys()], changed: [], removed: [], kept: [] };
  }

  private async redeploy(valid: ValidFlow): Promise<DeployReport> {
    const flowId = valid.flow.id;
    const previous = this.nodes;
    const next = new Map<string, RuntimeNode>();
    const report: DeployReport = { flowId, added: [], changed: [], removed: [], kept: [] };
    const fresh: RuntimeNode[] = [];
    for (const entry of enabled(valid)) {
      const old = previous.get(entry.node.id);
      if (old && old.configHash === hashOf(entry)) {
        next.set(old.id, old);
        report.kept.push(old.id);
      } else {
        (old ? report.changed : report.added).push(entry.node.id);
      }
    }
    for (const id of previous.keys()) if (!next.has(id) && !report.changed.includes(id)) report.removed.push(id);
    const retired = [...previous.values()].filter((n) => next.get(n.id) !== n);

    // Sources that go away stop first; the rest are parked while the queues drain, so nothing is lost.
    await this.stopSources(retired);
    this.scheduler.hold();
    try {
      await this.scheduler.idle();
      try {
        for (const entry of enabled(valid)) {
          if (next.has(entry.node.id)) continue;
          const node = this.build(flowId, entry, new Map());
          next.set(node.id, node);
          fresh.push(node);
        }
      } catch (error) {
        await closeAll(fresh, this.log);
        throw error;
      }
      wire(next, valid.flow);
      this.nodes = next;
      const failed = await this.startSources(fresh);
      if (failed) {
        await this.stopSources(fresh);
        await closeAll(fresh, this.log);
        wire(previous, this.flow!);
        this.nodes = previous;
        await this.startSources(retired);
        throw failed;
      }
      this.flow = valid.flow;
      this.scheduler.loops.maxHops = maxHopsOf(valid.flow);
    } catch (error) {
      if (this.nodes === previous) await this.startSources(retired.filter((n) => !n.started));
      this.scheduler.release();
      throw error;
    }
    await closeAll(retired, this.log);
    this.scheduler.release();
    return report;
  }

  private async stopNow(): Promise<void> {
    if (!this.flow) return;
    const nodes = [...this.nodes.values()];
    this.snapshots?.cancel();
    await this.stopSources(nodes);
    await this.scheduler.idle();
    this.snapshots?.save(nodes);
    await closeAll(nodes, this.log);
    this.flow = undefined;
  }

  private build(flowId: string, entry: ValidNode, state: Map<string, unknown>): RuntimeNode {
    const { node, definition, config } = entry;
    const stats = new NodeStats();
    const runtimeNode = new RuntimeNode(node.id, node.name, definition, config, hashOf(entry), state, stats, this.options.nodeCapacity ?? 100_000);
    const scheduler = this.scheduler;
    const ctx: NodeContext<string> = {
      nodeId: node.id,
      flowId,
      clock: this.clock,
      log: this.nodeLogger(node.id, definition.type),
      metrics: { count: (name, by = 1) => stats.count(name, by) },
      emit: (port, msg) => scheduler.emit(runtimeNode, port, msg),
      writable: () => scheduler.writable(),
      keyed: (init) => keyedView(state, init),
      status: (status) => {
        runtimeNode.status = status;
        for (const listener of this.listeners.status) listener({ flowId, node: node.id, status });
      },
      debug: (msg, label) => {
        const onDebug = this.hookList.onDebug;
        if (onDebug !== undefined) onDebug(runtimeNode, msg, label ?? node.name ?? node.id);
      },
      secret: (ref) => {
        const value = this.options.secrets?.(ref.$secret);
        if (value === undefined) throw new AiotError("SECRET_MISSING", `no secret named "${ref.$secret}" in the secret store`, { node: node.id });
        return value;
      },
      use: (key) => {
        const value = lookup(this.options.services, key);
        if (value === undefined) {
          throw new AiotError("SERVICE_UNAVAILABLE", `node "${node.id}" (${definition.type}) needs the "${key.name}" service, which this runtime does not provide`, { node: node.id });
        }
        return value;
      },
    };
    try {
      runtimeNode.bind(definition.create(config as never, ctx));
    } catch (error) {
      // Keep a coded cause's own code (MODEL_NOT_FOUND, SECRET_MISSING...): its hint says what to do.
      const code = isAiotError(error) ? error.code : "DEPLOY_FAILED";
      // A cause that already names the node (SERVICE_UNAVAILABLE from ctx.use) is not prefixed again.
      const cause = errorMessage(error);
      const named = cause.startsWith(`node "${node.id}" (${definition.type}) `);
      throw new AiotError(code, named ? cause : `node "${node.id}" (${definition.type}) could not be created: ${cause}`, {
        ...(isAiotError(error) ? error.details : {}),
        node: node.id,
        path: `nodes[${entry.index}]`,
      });
    }
    return runtimeNode;
  }

  private async startSources(nodes: RuntimeNode[]): Promise<AiotError | undefined> {
    for (const node of nodes) {
      if (!node.isSource || node.started || !node.instance.start) continue;
      try {
        await node.instance.start();
        node.started = true;
      } catch (error) {
        return new AiotError("NODE_START_FAILED", `source "${node.id}" (${node.definition.type}) failed to start: ${errorMessage(error)}`, {
          node: node.id,
        });
      }
    }
    return undefined;
  }

  private async stopSources(nodes: RuntimeNode[]): Promise<void> {
    for (const node of nodes) {
      if (!node.started) continue;
      node.started = false;
      try {
        await node.instance.stop?.();
      } catch (error) {
        this.log.warn(`source did not stop cleanly: ${errorMessage(error)}`, { node: node.id, code: "NODE_STOP_FAILED" });
      }
    }
  }

  private unhandled(node: RuntimeNode, error: AiotError, msg: Message): void {
    const flowId = this.flow?.id ?? "";
    for (const listener of this.listeners.error) listener({ flowId, error, msg });
    this.throttled(`${node.id}:${error.code}`, (more) =>
      this.log.warn(`${error.message}${more}`, { node: node.id, type: node.definition.type, code: error.code }),
    );
  }

  /** Logs the first occurrence, then at most one line per 10 s with how many were held back. */
  private throttled(key: string, write: (more: string) => void): void {
    const now = this.clock.now();
    const seen = this.reported.get(key);
    if (seen && now - seen.last < 10_000) {
      seen.suppressed++;
      return;
    }
    write(seen?.suppressed ? ` (and ${seen.suppressed} more like it)` : "");
    this.reported.set(key, { last: now, suppressed: 0 });
  }

  private nodeLogger(node: string, type: string): Logger {
    const fields = { node, type };
    return {
      debug: (m, f) => this.log.debug(m, { ...fields, ...f }),
      info: (m, f) => this.log.info(m, { ...fields, ...f }),
      warn: (m, f) => this.log.warn(m, { ...fields, ...f }),
      error: (m, f) => this.log.error(m, { ...fields, ...f }),
    };
  }
}

function maxHopsOf(flow: FlowDocument): number {
  return flow.settings?.maxHops ?? DEFAULT_MAX_HOPS;
}

async function closeAll(nodes: Iterable<RuntimeNode>, log: Logger): Promise<void> {
  for (const node of nodes) {
    if (node.closed) continue;
    node.closed = true;
    try {
      await node.instance.close?.();
    } catch (error) {
      log.warn(`node did not close cleanly: ${errorMessage(error)}`, { node: node.id, code: "NODE_STOP_FAILED" });
    }
  }
}
