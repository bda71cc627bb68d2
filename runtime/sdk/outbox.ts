import type { Clock } from "./clock.ts";
import type { NodeContext } from "./define.ts";
import { serviceKey } from "./services.ts";

/**
 * A bounded store-and-forward queue for an output node (mqtt-out, http-out): messages go in while the
 * far side is down and come out in order once it is back. Kept on disk in the data directory (in
 * memory only when the runtime has none), so it also survives a restart.
 *
 * @example
 * const outbox = ctx.use(OUTBOXES).open<{ topic: string; body: string }>(ctx, { maxMessages: 10_000 });
 * outbox.push(record);                        // may drop the oldest, counted in outbox.dropped
 * const batch = outbox.peek(100);             // oldest first; send them, then:
 * outbox.ack(batch.length);
 */
export interface Outbox<T> {
  /** Appends; past a limit the oldest records are dropped and counted (`dropped.overflow`). */
  push(record: T): void;
  /** Up to `max` records, oldest first, without removing them. Expired ones are dropped first. */
  peek(max: number): readonly T[];
  /** Removes the `count` oldest records (they were delivered). */
  ack(count: number): void;
  readonly length: number;
  readonly bytes: number;
  readonly dropped: { readonly overflow: number; readonly expired: number };
  /** Writes pending records and the read position now (also done on its own, a tick later). */
  flush(): void;
  close(): void;
}

export interface OutboxLimits {
  /** Most records kept (default 100 000). */
  readonly maxMessages?: number;
  /** Most bytes kept, as JSON (default 64 MiB). */
  readonly maxBytes?: number;
  /** Records older than this are dropped unsent (default 24 h; 0 keeps them forever). */
  readonly maxAgeMs?: number;
}

export interface Outboxes {
  /** The outbox of node `owner.nodeId` in flow `owner.flowId`; reopening it finds what was left in it. */
  open<T>(owner: { readonly flowId: string; readonly nodeId: string; readonly clock: Clock }, limits?: OutboxLimits): Outbox<T>;
}

export const OUTBOXES = serviceKey<Outboxes>("outboxes");

/**
 * What an output node calls after pushing or peeking: reports the records its outbox dropped since
 * the last call (counters `buffer_dropped_overflow` / `buffer_dropped_expired`, a BUFFER_OVERFLOW /
 * BUFFER_EXPIRED warning each) and returns how many were dropped, all from the head of the queue.
 */
export function dropReporter(outbox: Outbox<unknown>, ctx: Pick<NodeContext<string>, "metrics" | "log">): () => number {
  let reported = { overflow: 0, expired: 0 };
  return () => {
    const { overflow, expired } = outbox.dropped;
    if (overflow > reported.overflow) {
      ctx.metrics.count("buffer_dropped_overflow", overflow - reported.overflow);
      ctx.log.warn(`store-and-forward buffer full: ${overflow - reported.overflow} oldest message(s) dropped`, { code: "BUFFER_OVERFLOW" });
    }
    if (expired > reported.expired) {
      ctx.metrics.count("buffer_dropped_expired", expired - reported.expired);
      ctx.log.warn(`${expired - reported.expired} buffered message(s) expired unsent`, { code: "BUFFER_EXPIRED" });
    }
    const dropped = overflow - reported.overflow + (expired - reported.expired);
    reported = { overflow, expired };
    return dropped;
  };
}
