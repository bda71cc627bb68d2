import type { Message, NodeContext } from "../../../runtime/sdk/index.ts";

/**
 * Backpressure for a source whose server pushes and cannot be paused (an OPC UA subscription sends its
 * data changes whether the flow keeps up or not). While the flow is saturated (an emit returned false,
 * and `ctx.writable()` has not resolved yet) only the newest message of each item is kept; the ones it
 * supersedes are counted as `dropped_backpressure`. Once the flow can take more, the kept messages go
 * out, oldest change first. At most one message per item is ever held.
 *
 * @example
 * const outlet = new NewestWhileSaturated(ctx);
 * monitored.on("changed", (value) => outlet.offer(itemIndex, toMessage(value)));
 * // in stop(): outlet.discard();
 */
export class NewestWhileSaturated<Item> {
  private readonly kept = new Map<Item, Message>();
  private saturated = false;

  constructor(private readonly ctx: Pick<NodeContext<"out">, "emit" | "writable" | "metrics">) {}

  /** Messages held until the flow can take more. */
  get held(): number {
    return this.kept.size;
  }

  /** Sends `msg` now, or keeps it as the newest of `item` while the flow is saturated. */
  offer(item: Item, msg: Message): void {
    if (this.saturated) {
      if (this.kept.delete(item)) this.ctx.metrics.count("dropped_backpressure");
      this.kept.set(item, msg); // re-inserted: the kept ones go out in the order of their newest change
      return;
    }
    if (!this.ctx.emit("out", msg)) this.wait();
  }

  /** Forgets what is held (the source stops), counted as dropped. */
  discard(): void {
    if (this.kept.size > 0) this.ctx.metrics.count("dropped_backpressure", this.kept.size);
    this.kept.clear();
  }

  private wait(): void {
    this.saturated = true;
    void this.ctx.writable().then(() => this.flush());
  }

  private flush(): void {
    this.saturated = false;
    for (const [item, msg] of this.kept) {
      this.kept.delete(item);
      if (!this.ctx.emit("out", msg)) return this.wait();
    }
  }
}
