/**
 * Async calls. A node declaring `concurrency` gets at most that many calls in flight; what the run
 * queue delivers beyond that waits in its inbox (still counted as queued, so backpressure sees it).
 * With `orderBy: "key"` a key has one call in flight at a time and its later messages wait in its
 * lane (keyed-order.ts), so the node runs keys in parallel and each key in order. A promise returned
 * by a node that declared no concurrency is tracked the same way, so stop() waits for it.
 */
import type { Message } from "../sdk/message.ts";
import type { CallHost } from "./call-host.ts";
import type { RuntimeNode } from "./runtime-node.ts";

export class AsyncCalls {
  constructor(private readonly host: CallHost) {}

  /** Queues `msg` for `node` and starts what its free slots allow. */
  deliver(node: RuntimeNode, port: string, msg: Message): void {
    node.inbox.push(port, msg, node); // still counted as queued until a slot takes it
    this.pump(node);
  }

  /** Starts waiting messages of `node` while it has free slots. A loop, never recursion. */
  private pump(node: RuntimeNode): void {
    if (node.pumping) return;
    node.pumping = true;
    const lanes = node.lanes;
    while (node.inflight < node.concurrency) {
      if (lanes === undefined) {
        if (node.inbox.size === 0) break;
        this.host.taken(node, 1);
        node.inbox.shift(this.start);
      } else if (lanes.ready.size > 0) {
        this.host.taken(node, 1);
        lanes.startReady(this.start);
      } else if (node.inbox.size > 0) node.inbox.shift(this.startInLane);
      else break;
    }
    node.pumping = false;
  }

  /** orderBy: starts `msg` when its key is free, else queues it in the key's lane (still counted as queued). */
  private readonly startInLane = (port: string, msg: Message, node: RuntimeNode): void => {
    if (!node.lanes!.enter(msg)) return node.lanes!.wait(port, msg, node);
    this.host.taken(node, 1);
    this.start(port, msg, node);
  };

  private readonly start = (port: string, msg: Message, node: RuntimeNode): void => {
    const onReceive = this.host.hooks.onReceive;
    if (onReceive !== undefined) onReceive(node, port, msg);
    let result: void | Promise<void>;
    try {
      result = node.handler!(msg, port);
    } catch (error) {
      this.host.fail(node, port, msg, error);
      node.lanes?.leave(msg); // called from pump's loop, which starts the key's next message
      return;
    }
    this.track(node, port, msg, Promise.resolve(result));
  };

  /** Counts `result` in flight until it settles; then the node's next waiting message may start. */
  track(node: RuntimeNode, port: string, msg: Message, result: Promise<void>): void {
    const host = this.host;
    host.inFlight(node, 1);
    const started = host.hooks.onTimed !== undefined ? performance.now() : -1; // every async call is timed: a clock read is cheap beside a promise
    const finish = () => {
      const onTimed = host.hooks.onTimed;
      if (onTimed !== undefined && started >= 0) onTimed(node, port, performance.now() - started, 1);
      host.inFlight(node, -1);
      node.lanes?.leave(msg);
      if (node.concurrency > 0) this.pump(node);
      host.settle();
    };
    result.then(
      () => {
        const onComplete = host.hooks.onComplete;
        if (onComplete !== undefined) onComplete(node, port, msg, undefined);
        finish();
      },
      (error: unknown) => {
        host.fail(node, port, msg, error);
        finish();
      },
    );
  }
}
