import { join } from "node:path";
import { systemClock, type Clock } from "../sdk/clock.ts";
import type { Logger, NodeStatus } from "../sdk/define.ts";
import { AiotError } from "../sdk/errors.ts";
import type { Message } from "../sdk/message.ts";
import { DEFAULT_MAX_HOPS, type FlowDocument } from "../contract/flow-format.ts";
import type { DebugEvent, DeployReport, EngineOptions, FlowErrorEvent, StatusEvent } from "./engine-types.ts";
import { DEFAULT_DRAIN_TIMEOUT_MS, describeUndrained, drainWithin, undrained, type StopReport } from "./drain.ts";
import { LogThrottle, silentLogger } from "./logger.ts";
import { HookList, type Hooks } from "./hooks.ts";
import { metricsHooks, snapshotStats, type NodeMetricsSnapshot } from "./metrics.ts";
import { enabled, hashOf, wire } from "./graph.ts";
import { buildNode, type NodeHost } from "./node-context.ts";
import { DEFAULT_PARKING } from "./parking.ts";
import type { RuntimeNode } from "./runtime-node.ts";
import { planRedeploy } from "./redeploy.ts";
import { Scheduler } from "./scheduler.ts";
import { closeAll, startSources, stopSources } from "./sources.ts";
import { StateSnapshots } from "./state-store.ts";
import { FlowInvalidError, validateFlow, type ValidFlow } from "./validate.ts";

export type { StopReport } from "./drain.ts";

export type { DebugEvent, DeployReport, EngineOptions, FlowErrorEvent, StatusEvent } from "./engine-types.ts";

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
  private readonly throttle: LogThrottle;
  /** Callers of finished() waiting for every source to finish and the queues to go idle. */
  private finishWaiters: Array<() => void> = [];
  private busy: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: EngineOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? silentLogger;
    this.throttle = new LogThrottle(() => this.clock.now());
    this.hooks = this.hookList = new HookList<RuntimeNode>(this.log, metricsHooks);
    this.hookList.add({
      onDrop: (node, _port, _msg, reason) => {
        if (reason === "queue-full") {
          this.throttle.write(`${node.id}:overflow`, (more) =>
            this.log.warn(`queue full, dropping messages${more}`, { node: node.id, code: "QUEUE_OVERFLOW", capacity: node.capacity }),
          );
        } else if (reason === "redeploy-full") {
          this.throttle.write(`${node.id}:parking`, (more) =>
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

  /**
   * Stops sources, drains queued messages (at most the drain timeout), closes nodes and writes the
   * state snapshot. The report says whether everything drained and, if not, what was dropped.
   */
  stop(): Promise<StopReport> {
    const run = this.busy.then(() => this.stopNow());
    this.busy = run.catch(() => undefined);
    return run;
  }

  /** Resolves when no message is queued or in flight. */
  idle(): Promise<void> {
    return this.scheduler.idle();
  }

  /**
   * Resolves once the running flow has run to its end: every source has said it finished
   * (`ctx.done()`; a source without `start` never emits and counts as finished) and no message is
   * queued or in flight. Never resolves while a source runs on (a subscription, a simulator).
   */
  finished(): Promise<void> {
    return new Promise((resolve) => {
      this.finishWaiters.push(resolve);
      this.checkFinished();
    });
  }

  private checkFinished(): void {
    if (this.finishWaiters.length === 0 || !this.sourcesFinished()) return;
    void this.scheduler.idle().then(() => {
      if (!this.sourcesFinished()) return; // a redeploy brought a new source meanwhile
      for (const resolve of this.finishWaiters.splice(0)) resolve();
    });
  }

  private sourcesFinished(): boolean {
    if (this.flow === undefined) return false;
    for (const node of this.nodes.values()) if (node.isSource && !node.finished && node.instance.start !== undefined) return false;
    return true;
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
    const host = this.nodeHost(flowId);
    try {
      for (const entry of enabled(valid)) nodes.set(entry.node.id, buildNode(host, entry, snapshots.stateFor(entry.node.id, hashOf(entry))));
    } catch (error) {
      await closeAll(nodes.values(), this.log);
      throw error;
    }
    wire(nodes, valid.flow);
    this.nodes = nodes;
    this.flow = valid.flow;
    this.scheduler.loops.maxHops = maxHopsOf(valid.flow);
    const failed = await startSources(nodes.values());
    if (failed) {
      this.flow = undefined;
      await stopSources(nodes.values(), this.log);
      await closeAll(nodes.values(), this.log);
      this.nodes = new Map();
      throw failed;
    }
    snapshots.every(this.options.snapshotIntervalMs ?? 30_000, () => this.nodes.values());
    this.checkFinished(); // sources without start, or ones that finished while starting
    return { flowId, added: [...nodes.keys()], changed: [], removed: [], kept: [] };
  }

  private async redeploy(valid: ValidFlow): Promise<DeployReport> {
    const flowId = valid.flow.id;
    const previous = this.nodes;
    const { next, report, retired } = planRedeploy(previous, valid);
    const fresh: RuntimeNode[] = [];

    // Sources that go away stop first; the rest are parked while the queues drain, so nothing is lost.
    await stopSources(retired, this.log);
    this.scheduler.hold();
    try {
      await this.scheduler.idle();
      try {
        const host = this.nodeHost(flowId);
        for (const entry of enabled(valid)) {
          if (next.has(entry.node.id)) continue;
          const node = buildNode(host, entry, new Map());
          next.set(node.id, node);
          fresh.push(node);
        }
      } catch (error) {
        await closeAll(fresh, this.log);
        throw error;
      }
      wire(next, valid.flow);
      this.nodes = next;
      const failed = await startSources(fresh);
      if (failed) {
        await stopSources(fresh, this.log);
        await closeAll(fresh, this.log);
        wire(previous, this.flow!);
        this.nodes = previous;
        await startSources(retired);
        throw failed;
      }
      this.flow = valid.flow;
      this.scheduler.loops.maxHops = maxHopsOf(valid.flow);
    } catch (error) {
      if (this.nodes === previous) await startSources(retired.filter((n) => !n.started));
      this.scheduler.release();
      throw error;
    }
    await closeAll(retired, this.log);
    this.scheduler.release();
    this.checkFinished(); // the sources still running may all have finished
    return report;
  }

  private async stopNow(): Promise<StopReport> {
    const timeoutMs = this.options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
    if (!this.flow) return { drained: true, timeoutMs, dropped: [] };
    const nodes = [...this.nodes.values()];
    this.snapshots?.cancel();
    await stopSources(nodes, this.log);
    const drained = await drainWithin(this.scheduler.idle(), this.clock, timeoutMs);
    const dropped = drained ? [] : undrained(nodes, this.scheduler.discardQueued(nodes));
    if (!drained) {
      this.log.warn(`stop gave up draining after ${timeoutMs / 1000} s: ${describeUndrained(dropped) || "nothing was left"}`, { code: "DRAIN_TIMEOUT" });
    }
    this.snapshots?.save(nodes);
    await closeAll(nodes, this.log);
    this.flow = undefined;
    return { drained, timeoutMs, dropped };
  }

  /** What the nodes of flow `flowId` reach in the engine (node-context.ts). */
  private nodeHost(flowId: string): NodeHost {
    return {
      flowId,
      scheduler: this.scheduler,
      hooks: this.hookList,
      clock: this.clock,
      log: this.log,
      capacity: this.options.nodeCapacity ?? 100_000,
      secrets: this.options.secrets,
      services: this.options.services,
      status: (node, status) => {
        for (const listener of this.listeners.status) listener({ flowId, node: node.id, status });
      },
      finished: () => this.checkFinished(),
    };
  }

  private unhandled(node: RuntimeNode, error: AiotError, msg: Message): void {
    const flowId = this.flow?.id ?? "";
    for (const listener of this.listeners.error) listener({ flowId, error, msg });
    this.throttle.write(`${node.id}:${error.code}`, (more) =>
      this.log.warn(`${error.message}${more}`, { node: node.id, type: node.definition.type, code: error.code }),
    );
  }
}

function maxHopsOf(flow: FlowDocument): number {
  return flow.settings?.maxHops ?? DEFAULT_MAX_HOPS;
}
