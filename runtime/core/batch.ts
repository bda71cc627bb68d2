/**
 * Batch hand-over for nodes with `onBatch`. What a slice of the run queue delivers to such a node
 * waits in its inbox (still counted as queued) and is handed over as one call per run of messages from
 * the same port before the slice ends, so a burst becomes one model run instead of one per message.
 * A node declaring `concurrency` gets at most that many messages in flight (each message of an
 * unfinished batch counts); one declaring `orderBy` has one batch in flight at a time.
 */
import type { Message } from "../sdk/message.ts";
import type { CallHost } from "./call-host.ts";
import type { RuntimeNode } from "./runtime-node.ts";

export class BatchHandOver {
  /** Batch nodes with messages in their inbox, handed over before the current slice ends. */
  private readonly due: RuntimeNode[] = [];

  constructor(private readonly host: CallHost) {}

  /** True while some batch node waits for its hand-over. */
  get pending(): boolean {
    return this.due.length > 0;
  }

  /** Parks `msg` in `node`'s inbox until the hand-over (it stays counted as queued). */
  deliver(node: RuntimeNode, port: string, msg: Message): void {
    node.inbox.push(port, msg, node);
    if (!node.batchDue) {
      node.batchDue = true;
      this.due.push(node);
    }
  }

  /** Hands every due node what waits in its inbox. */
  handOver(): void {
    const due = this.due;
    // Handlers only enqueue (emit never delivers inline), so `due` cannot grow during this loop.
    for (let i = 0; i < due.length; i++) {
      due[i]!.batchDue = false;
      this.pump(due[i]!);
    }
    due.length = 0;
  }

  /** One call per run of messages from the same port, each at most the room left under the node's concurrency. */
  private pump(node: RuntimeNode): void {
    if (node.pumping) return;
    node.pumping = true;
    const inbox = node.inbox;
    // With orderBy a batch node keeps one batch in flight: two could finish out of order.
    const ordered = node.definition.orderBy === "key";
    while (inbox.size > 0) {
      const room = node.concurrency > 0 ? node.concurrency - node.inflight : inbox.size;
      if (room <= 0 || (ordered && node.inflight > 0)) break;
      const port = inbox.peekFirst()!;
      const msgs: Message[] = [];
      while (msgs.length < room && inbox.size > 0 && inbox.peekFirst() === port) msgs.push(inbox.shiftSecond());
      this.host.taken(node, msgs.length);
      this.start(node, port, msgs);
    }
    node.pumping = false;
  }

  private start(node: RuntimeNode, port: string, msgs: Message[]): void {
    const onReceive = this.host.hooks.onReceive;
    if (onReceive !== undefined) for (let i = 0; i < msgs.length; i++) onReceive(node, port, msgs[i]!);
    const call = new BatchCall(this.host, node, port, msgs);
    let result: void | Promise<void>;
    try {
      result = node.batchHandler!(msgs, port, call.fail);
    } catch (error) {
      call.failRest(error);
      result = undefined;
    }
    if (result === undefined) return call.finish();
    this.host.inFlight(node, msgs.length);
    Promise.resolve(result).then(
      () => this.finish(call),
      (error: unknown) => {
        call.failRest(error);
        this.finish(call);
      },
    );
  }

  private finish(call: BatchCall): void {
    call.finish();
    this.host.inFlight(call.node, -call.msgs.length);
    this.pump(call.node);
    this.host.settle();
  }
}

/** One onBatch call: the `fail` it hands the node, which messages the node failed itself, and its timing. */
class BatchCall {
  private reported: Set<Message> | undefined;
  private failedRest = false;
  /** When the call started, or -1 when nobody listens to onTimed (one observation per batch: its handling time). */
  private readonly started: number;
  /** Bound once: a closure per batch built under tsx gets a costly name helper call. */
  readonly fail: (msg: Message, error: unknown) => void = this.failOne.bind(this);

  constructor(
    private readonly host: CallHost,
    readonly node: RuntimeNode,
    private readonly port: string,
    readonly msgs: readonly Message[],
  ) {
    this.started = host.hooks.onTimed !== undefined ? performance.now() : -1;
  }

  /** A thrown or rejected batch: every message the node did not fail itself gets the error. */
  failRest(error: unknown): void {
    this.failedRest = true;
    for (const msg of this.msgs) if (!this.reported?.has(msg)) this.host.fail(this.node, this.port, msg, error);
  }

  /** The call is over: the messages nobody failed completed; the call's time goes to onTimed. */
  finish(): void {
    const { onComplete, onTimed } = this.host.hooks;
    if (onComplete !== undefined && !this.failedRest) {
      for (const msg of this.msgs) if (!this.reported?.has(msg)) onComplete(this.node, this.port, msg, undefined);
    }
    if (onTimed !== undefined && this.started >= 0) onTimed(this.node, this.port, performance.now() - this.started, this.msgs.length);
  }

  private failOne(msg: Message, error: unknown): void {
    (this.reported ??= new Set()).add(msg);
    this.host.fail(this.node, this.port, msg, error);
  }
}
