import { AiotError, errorMessage, isAiotError } from "../sdk/errors.ts";
import type { Message } from "../sdk/message.ts";
import { ERROR_PORT } from "../contract/ports.ts";
import { deepFreeze } from "../sdk/state.ts";
import { TripleRing } from "./ring.ts";
import type { RuntimeNode } from "./runtime-node.ts";

export interface SchedulerOptions {
  /** Longest run of work before yielding to the event loop (ms). */
  readonly sliceMs: number;
  /** Queued messages (flow-wide) past which sources are told to pause. */
  readonly highWater: number;
  /** Deep-freeze every message (tests), so a node mutating one throws at once. */
  readonly freezeMessages: boolean;
  /** A node failed on a message and its error port is not wired. */
  readonly onUnhandledError: (node: RuntimeNode, error: AiotError, msg: Message) => void;
  /** A message was dropped because a node's queue was full. */
  readonly onOverflow: (node: RuntimeNode) => void;
}

/**
 * The run queue. `emit` only enqueues; a drain loop delivers in FIFO order, in slices of at most
 * `sliceMs`, so there is no `setImmediate` per hop and the event loop still breathes. Sync nodes run
 * inline in the drain; async nodes (declared `concurrency`) get at most that many calls in flight,
 * the rest wait in their inbox. Batch nodes (`onBatch`) collect what a slice delivers to them in their
 * inbox and get it as one call before the slice ends (see `handOverBatches`). The flow-wide count of
 * waiting messages is the backpressure signal.
 */
export class Scheduler {
  private readonly queue = new TripleRing<RuntimeNode, string, Message>(4096);
  /** Messages waiting anywhere in the flow (run queue + async inboxes). */
  queued = 0;
  /** Async calls in flight. */
  inflight = 0;
  private scheduled = false;
  private holding = false;
  private held: Array<[RuntimeNode, string, Message]> = [];
  private writableWaiters: Array<() => void> = [];
  /** Batch nodes with messages in their inbox, handed over before the current slice ends. */
  private readonly due: RuntimeNode[] = [];
  private idleWaiters: Array<() => void> = [];
  private readonly lowWater: number;

  constructor(private readonly options: SchedulerOptions) {
    this.lowWater = Math.max(1, Math.floor(options.highWater / 2));
  }

  /** Sends `msg` from `from.port` to every wired target. False means: flow saturated, pause. */
  emit(from: RuntimeNode, port: string, msg: Message): boolean {
    if (from.closed) {
      from.stats.dropped++;
      return false;
    }
    if (this.options.freezeMessages) deepFreeze(msg);
    if (port !== ERROR_PORT) from.stats.out++; // errors are counted as errors, not as output
    if (this.holding && from.isSource) {
      from.stats.count("held_during_redeploy");
      this.held.push([from, port, msg]);
      return false;
    }
    const targets = from.outputs[port];
    if (targets !== undefined) {
      for (let i = 0; i < targets.length; i++) this.enqueue(targets[i]!.node, targets[i]!.port, msg);
    }
    return this.queued < this.options.highWater;
  }

  /** Resolves once the flow is below its low-water mark and not paused for a redeploy. */
  writable(): Promise<void> {
    if (!this.holding && this.queued < this.lowWater) return Promise.resolve();
    return new Promise((resolve) => this.writableWaiters.push(resolve));
  }

  /** Resolves when nothing is queued and no async call is in flight. */
  idle(): Promise<void> {
    if (this.queued === 0 && this.inflight === 0 && !this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Redeploy: park what sources emit from now on (they are told to pause). */
  hold(): void {
    this.holding = true;
  }

  /** Redeploy done: re-send parked messages through the current wiring, let sources resume. */
  release(): void {
    this.holding = false;
    const held = this.held;
    this.held = [];
    for (const [node, port, msg] of held) {
      if (port !== ERROR_PORT) node.stats.out--; // counted when parked
      this.emit(node, port, msg);
    }
    this.settle();
  }

  private enqueue(target: RuntimeNode, port: string, msg: Message): void {
    if (target.stats.queued >= target.capacity || target.closed) {
      target.stats.dropped++;
      this.options.onOverflow(target);
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
          this.handOverBatches(); // what this slice brought them goes now, not after the yield
          setImmediate(this.drain); // still scheduled: yield to I/O, then continue
          return;
        }
      }
      if (this.due.length === 0) break;
      this.handOverBatches(); // sync batch nodes may emit: deliver that in the same slice
    }
    this.scheduled = false;
    this.settle();
  };

  private readonly deliver = (node: RuntimeNode, port: string, msg: Message): void => {
    if (node.batchHandler !== undefined) {
      node.inbox.push(port, msg, node); // still counted as queued until its batch takes it
      if (!node.batchDue) {
        node.batchDue = true;
        this.due.push(node);
      }
      return;
    }
    if (node.concurrency > 0) {
      node.inbox.push(port, msg, node); // still counted as queued until a slot takes it
      this.pump(node);
      return;
    }
    node.stats.queued--;
    this.queued--;
    const stats = node.stats;
    const sampled = (++stats.in & 7) === 0; // time one message in eight: timing every one costs more than a hop
    const started = sampled ? performance.now() : 0;
    try {
      const result = node.handler!(msg, port);
      // A node that returns a promise without declaring concurrency: still tracked as in flight,
      // so stop() waits for it and nothing it emits later is lost.
      if (result !== undefined) this.track(node, msg, result);
    } catch (error) {
      this.fail(node, msg, error);
    }
    if (sampled) stats.latency.observe(performance.now() - started);
  };

  /** Starts waiting messages of an async node while it has free slots. A loop, never recursion. */
  private pump(node: RuntimeNode): void {
    if (node.pumping) return;
    node.pumping = true;
    while (node.inflight < node.concurrency && node.inbox.size > 0) {
      node.stats.queued--;
      this.queued--;
      node.inbox.shift(this.startAsync);
    }
    node.pumping = false;
  }

  private readonly startAsync = (port: string, msg: Message, node: RuntimeNode): void => {
    node.stats.in++;
    let result: void | Promise<void>;
    try {
      result = node.handler!(msg, port);
    } catch (error) {
      this.fail(node, msg, error);
      return;
    }
    this.track(node, msg, Promise.resolve(result));
  };

  private handOverBatches(): void {
    const due = this.due;
    // Handlers only enqueue (emit never delivers inline), so `due` cannot grow during this loop.
    for (let i = 0; i < due.length; i++) {
      due[i]!.batchDue = false;
      this.pumpBatches(due[i]!);
    }
    due.length = 0;
  }

  /**
   * Hands a batch node what waits in its inbox: one call per run of messages from the same port,
   * each at most the room left under its concurrency (messages in unfinished batches count).
   */
  private pumpBatches(node: RuntimeNode): void {
    if (node.pumping) return;
    node.pumping = true;
    const inbox = node.inbox;
    while (inbox.size > 0) {
      const room = node.concurrency > 0 ? node.concurrency - node.inflight : inbox.size;
      if (room <= 0) break;
      const port = inbox.peekFirst()!;
      const msgs: Message[] = [];
      while (msgs.length < room && inbox.size > 0 && inbox.peekFirst() === port) msgs.push(inbox.shiftSecond());
      node.stats.queued -= msgs.length;
      this.queued -= msgs.length;
      this.startBatch(node, port, msgs);
    }
    node.pumping = false;
  }

  private startBatch(node: RuntimeNode, port: string, msgs: Message[]): void {
    node.stats.in += msgs.length;
    const call = new BatchCall(this, node, msgs);
    let result: void | Promise<void>;
    try {
      result = node.batchHandler!(msgs, port, call.fail);
    } catch (error) {
      call.failRest(error);
      result = undefined;
    }
    if (result === undefined) return call.observe(); // one latency observation per batch: its handling time
    node.inflight += msgs.length;
    this.inflight += msgs.length;
    Promise.resolve(result).then(
      () => this.finishBatch(call),
      (error: unknown) => {
        call.failRest(error);
        this.finishBatch(call);
      },
    );
  }

  private finishBatch(call: BatchCall): void {
    call.observe();
    call.node.inflight -= call.msgs.length;
    this.inflight -= call.msgs.length;
    this.pumpBatches(call.node);
    this.settle();
  }

  private track(node: RuntimeNode, msg: Message, result: Promise<void>): void {
    node.inflight++;
    this.inflight++;
    const started = performance.now();
    const finish = () => {
      node.stats.latency.observe(performance.now() - started);
      node.inflight--;
      this.inflight--;
      if (node.concurrency > 0) this.pump(node);
      this.settle();
    };
    result.then(finish, (error: unknown) => {
      this.fail(node, msg, error);
      finish();
    });
  }

  /** A node threw or rejected: count it, wrap it in a coded error, route it, carry on. */
  fail(node: RuntimeNode, msg: Message, thrown: unknown): void {
    node.stats.errors++;
    const error = isAiotError(thrown)
      ? new AiotError(thrown.code, thrown.message, { ...thrown.details, node: node.id, nodeType: node.definition.type })
      : new AiotError("NODE_FAILED", errorMessage(thrown), { node: node.id, nodeType: node.definition.type }, { cause: thrown });
    if (node.outputs[ERROR_PORT] !== undefined) {
      const payload = { ...error.toJSON(), input: msg };
      this.emit(node, ERROR_PORT, { topic: msg.topic, ...(msg.key !== undefined ? { key: msg.key } : {}), ts: msg.ts, payload, meta: { ...msg.meta, error: error.code } });
    } else {
      this.options.onUnhandledError(node, error, msg);
    }
  }

  private settle(): void {
    if (!this.holding && this.queued < this.lowWater && this.writableWaiters.length > 0) {
      const waiters = this.writableWaiters;
      this.writableWaiters = [];
      for (const resolve of waiters) resolve();
    }
    if (this.queued === 0 && this.inflight === 0 && !this.scheduled && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}

/** One onBatch call: the `fail` it hands the node, and which messages the node failed itself. */
class BatchCall {
  private reported: Set<Message> | undefined;
  private readonly started = performance.now();
  /** Bound once: a closure per batch built under tsx gets a costly name helper call. */
  readonly fail: (msg: Message, error: unknown) => void = this.failOne.bind(this);

  constructor(private readonly scheduler: Scheduler, readonly node: RuntimeNode, readonly msgs: readonly Message[]) {}

  /** A thrown or rejected batch: every message the node did not fail itself gets the error. */
  failRest(error: unknown): void {
    for (const msg of this.msgs) if (!this.reported?.has(msg)) this.scheduler.fail(this.node, msg, error);
  }

  observe(): void {
    this.node.stats.latency.observe(performance.now() - this.started);
  }

  private failOne(msg: Message, error: unknown): void {
    (this.reported ??= new Set()).add(msg);
    this.scheduler.fail(this.node, msg, error);
  }
}
