import { AiotError, errorMessage, isAiotError } from "../sdk/errors.ts";
import type { Message } from "../sdk/message.ts";
import { ERROR_PORT } from "../contract/ports.ts";
import { AsyncCalls } from "./async-calls.ts";
import { BatchHandOver } from "./batch.ts";
import type { CallHost } from "./call-host.ts";
import type { DropReason, HookList } from "./hooks.ts";
import { LoopGuard } from "./hop-limit.ts";
import { freezeDeep, freezeShallow, isFrozenWrite, mutationError } from "./immutability.ts";
import { Parking, type ParkingLimits } from "./parking.ts";
import { TripleRing } from "./ring.ts";
import type { RuntimeNode, Target } from "./runtime-node.ts";

export interface SchedulerOptions {
  /** Longest run of work before yielding to the event loop (ms). */
  readonly sliceMs: number;
  /** Queued messages (flow-wide) past which sources are told to pause. */
  readonly highWater: number;
  /**
   * Deep-freeze every message (tests); otherwise the envelope, payload and meta are frozen (production).
   * Either way a node changing a message it received throws at once (immutability.ts).
   */
  readonly freezeMessages: boolean;
  /** Bounds of the redeploy parking (parking.ts). */
  readonly parking: ParkingLimits;
  /**
   * A node failed on a message and its error port is not wired, or a message went round a loop too
   * often (FLOW_HOP_LIMIT): the flow's error handler.
   */
  readonly onUnhandledError: (node: RuntimeNode, error: AiotError, msg: Message) => void;
}

/**
 * The run queue. `emit` only enqueues; a drain loop delivers in FIFO order, in slices of at most
 * `sliceMs`, so there is no `setImmediate` per hop and the event loop still breathes. Sync nodes run
 * inline in the drain; async nodes (declared `concurrency`) get at most that many calls in flight,
 * the rest wait in their inbox, per key with `orderBy` (async-calls.ts). Batch nodes (`onBatch`)
 * collect what a slice delivers to them in their inbox and get it as one call before the slice ends
 * (batch.ts). The flow-wide count of waiting messages is the backpressure signal; during a redeploy
 * sources' messages are parked (parking.ts). Wires on a loop count hops (hop-limit.ts). Metrics, debug
 * taps and tracing watch through the routing hooks (hooks.ts): each hook point is one field check
 * when nobody listens.
 */
export class Scheduler implements CallHost {
  private readonly queue = new TripleRing<RuntimeNode, string, Message>(4096);
  /** Messages waiting anywhere in the flow (run queue + async inboxes). */
  queued = 0;
  /** Async calls in flight. */
  inflight = 0;
  private scheduled = false;
  private readonly parking: Parking;
  private writableWaiters: Array<() => void> = [];
  private readonly batches = new BatchHandOver(this);
  private readonly calls = new AsyncCalls(this);
  /** Counts hops on loop wires; its maxHops is the flow's setting. */
  readonly loops = new LoopGuard();
  private idleWaiters: Array<() => void> = [];
  private readonly lowWater: number;

  constructor(
    private readonly options: SchedulerOptions,
    readonly hooks: HookList<RuntimeNode>,
  ) {
    this.lowWater = Math.max(1, Math.floor(options.highWater / 2));
    this.parking = new Parking(options.parking);
  }

  /** Sends `msg` from `from.port` to every wired target. False means: flow saturated, pause. */
  emit(from: RuntimeNode, port: string, msg: Message): boolean {
    if (from.closed) {
      this.drop(from, port, msg, "sender-closed");
      return false;
    }
    if (this.options.freezeMessages) freezeDeep(msg);
    const onSend = this.hooks.onSend;
    if (onSend !== undefined) onSend(from, port, msg);
    if (this.parking.active && from.isSource) {
      if (!this.parking.park(from, port, msg)) this.drop(from, port, msg, "redeploy-full");
      else {
        const onHold = this.hooks.onHold;
        if (onHold !== undefined) onHold(from, port, msg);
      }
      return false;
    }
    this.route(from, port, msg);
    return this.queued < this.options.highWater;
  }

  /** Resolves once the flow is below its low-water mark and not paused for a redeploy. */
  writable(): Promise<void> {
    if (!this.parking.active && this.queued < this.lowWater) return Promise.resolve();
    return new Promise((resolve) => this.writableWaiters.push(resolve));
  }

  /**
   * Resolves when nothing is queued, no async call is in flight and nothing parked waits to be re-sent
   * (during a swap, parked messages wait for the swap and do not count).
   */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.queued === 0 && this.inflight === 0 && !this.scheduled && (this.parking.holding || this.parking.size === 0);
  }

  /**
   * Stop gave up draining: every queued and parked message is dropped (reason drain-timeout), counted
   * per node (parked ones at their source). Calls in flight go on; the engine closes their nodes.
   */
  discardQueued(nodes: Iterable<RuntimeNode>): Map<RuntimeNode, number> {
    const dropped = new Map<RuntimeNode, number>();
    const discard = (node: RuntimeNode, port: string, msg: Message) => {
      dropped.set(node, (dropped.get(node) ?? 0) + 1);
      this.drop(node, port, msg, "drain-timeout");
    };
    while (this.queue.size > 0) this.queue.shift(discard);
    for (const node of nodes) {
      while (node.inbox.size > 0) node.inbox.shift((port, msg) => discard(node, port, msg));
      node.lanes?.discard((port, msg) => discard(node, port, msg));
      node.stats.queued = 0;
    }
    this.parking.resend(() => true, discard);
    this.queued = 0;
    this.settle();
    return dropped;
  }

  /** Redeploy: park what sources emit from now on (they are told to pause). */
  hold(): void {
    this.parking.holding = true;
  }

  /** Redeploy done: re-send parked messages through the current wiring as the flow takes them; sources resume after. */
  release(): void {
    this.parking.holding = false;
    this.resendParked();
    this.settle();
  }

  private resendParked(): void {
    this.parking.resend(
      () => this.queued < this.options.highWater,
      (node, port, msg) => {
        if (node.closed) this.drop(node, port, msg, "sender-closed");
        else this.route(node, port, msg); // sent when parked: no second onSend
      },
    );
  }

  /**
   * Queues `msg` to every input wired to `from.port`, frozen where a change could reach another node
   * (immutability.ts): always when several inputs share it, so a change by one fails with
   * MESSAGE_MUTATED instead of reaching the others; on a single wire only the first message a node
   * gets, so a node that changes its input fails at once. Freezing every hop would triple the cost of
   * a hop (bench/chain: 1.3 -> 3.8 µs per message), and even one freeze in 64 costs 20 %.
   */
  private route(from: RuntimeNode, port: string, msg: Message): void {
    const targets = from.outputs[port];
    if (targets === undefined) return;
    if (targets.length === 1) {
      const target = targets[0]!;
      if (target.loop) return this.routeOnLoop(from, target, msg);
      const out = from.onLoop ? this.loops.leaving(msg) : msg;
      if (!target.node.spotChecked) {
        target.node.spotChecked = true;
        freezeShallow(out);
      }
      this.enqueue(target.node, target.port, out);
      return;
    }
    freezeShallow(msg);
    const out = from.onLoop ? freezeShallow(this.loops.leaving(msg)) : msg;
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i]!;
      if (target.loop) this.routeOnLoop(from, target, msg);
      else this.enqueue(target.node, target.port, out);
    }
  }

  /** A wire on a loop: one hop more, or dropped and reported past the flow's maxHops (hop-limit.ts). */
  private routeOnLoop(from: RuntimeNode, target: Target, msg: Message): void {
    const next = this.loops.next(from, msg);
    if (next === undefined) {
      this.drop(target.node, target.port, msg, "hop-limit");
      this.options.onUnhandledError(target.node, this.loops.error(from, target), msg);
      return;
    }
    this.enqueue(target.node, target.port, freezeShallow(next));
  }

  private drop(node: RuntimeNode, port: string, msg: Message, reason: DropReason): void {
    const onDrop = this.hooks.onDrop;
    if (onDrop !== undefined) onDrop(node, port, msg, reason);
  }

  private enqueue(target: RuntimeNode, port: string, msg: Message): void {
    if (target.stats.queued >= target.capacity || target.closed) {
      this.drop(target, port, msg, target.closed ? "closed" : "queue-full");
      return;
    }
    target.stats.queued++;
    this.queued++;
    this.queue.push(target, port, msg);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.drain);
    }
  }

  private readonly drain = (): void => {
    const deadline = performance.now() + this.options.sliceMs;
    let delivered = 0;
    const queue = this.queue;
    for (;;) {
      while (queue.size > 0) {
        queue.shift(this.deliver);
        if ((++delivered & 127) === 0 && performance.now() >= deadline) {
          this.batches.handOver(); // what this slice brought them goes now, not after the yield
          setImmediate(this.drain); // still scheduled: yield to I/O, then continue
          return;
        }
      }
      if (!this.batches.pending) break;
      this.batches.handOver(); // sync batch nodes may emit: deliver that in the same slice
    }
    this.scheduled = false;
    this.settle();
  };

  private readonly deliver = (node: RuntimeNode, port: string, msg: Message): void => {
    if (node.batchHandler !== undefined) {
      this.batches.deliver(node, port, msg); // still counted as queued until its batch takes it
      return;
    }
    if (node.concurrency > 0) {
      this.calls.deliver(node, port, msg);
      return;
    }
    node.stats.queued--;
    this.queued--;
    const hooks = this.hooks;
    const onReceive = hooks.onReceive;
    if (onReceive !== undefined) onReceive(node, port, msg);
    const onTimed = hooks.onTimed;
    const timed = onTimed !== undefined && (++node.calls & 7) === 0; // time one call in eight: timing every one costs more than a hop
    const started = timed ? performance.now() : 0;
    if (node.onLoop) this.loops.enter(node, msg);
    try {
      const result = node.handler!(msg, port);
      if (result !== undefined) {
        // A node that returns a promise without declaring concurrency: still tracked as in flight,
        // so stop() waits for it and nothing it emits later is lost.
        this.calls.track(node, port, msg, result);
      } else {
        const onComplete = hooks.onComplete;
        if (onComplete !== undefined) onComplete(node, port, msg, undefined);
      }
    } catch (error) {
      this.fail(node, port, msg, error);
    }
    if (node.onLoop) this.loops.leave();
    if (timed) onTimed(node, port, performance.now() - started, 1);
  };

  taken(node: RuntimeNode, count: number): void {
    node.stats.queued -= count;
    this.queued -= count;
  }

  inFlight(node: RuntimeNode, count: number): void {
    node.inflight += count;
    this.inflight += count;
  }

  /**
   * A node threw or rejected on `msg` (from input `port`): wrap it in a coded error, send it on the
   * node's error port (so hooks see every failure as an error message), and when that port has no
   * wire hand it to the flow's error handler. The flow carries on.
   */
  fail(node: RuntimeNode, port: string, msg: Message, thrown: unknown): void {
    const error = isAiotError(thrown)
      ? new AiotError(thrown.code, thrown.message, { ...thrown.details, node: node.id, nodeType: node.definition.type })
      : isFrozenWrite(thrown)
        ? mutationError(node, thrown as TypeError)
        : new AiotError("NODE_FAILED", errorMessage(thrown), { node: node.id, nodeType: node.definition.type }, { cause: thrown });
    const payload = { ...error.toJSON(), input: msg };
    this.emit(node, ERROR_PORT, { topic: msg.topic, ...(msg.key !== undefined ? { key: msg.key } : {}), ts: msg.ts, payload, meta: { ...msg.meta, error: error.code } });
    if (node.outputs[ERROR_PORT] === undefined) this.options.onUnhandledError(node, error, msg);
    const onComplete = this.hooks.onComplete;
    if (onComplete !== undefined) onComplete(node, port, msg, error);
  }

  settle(): void {
    if (!this.parking.holding && this.parking.size > 0 && this.queued < this.lowWater) this.resendParked();
    if (!this.parking.active && this.queued < this.lowWater && this.writableWaiters.length > 0) {
      const waiters = this.writableWaiters;
      this.writableWaiters = [];
      for (const resolve of waiters) resolve();
    }
    if (this.idleWaiters.length > 0 && this.isIdle()) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
