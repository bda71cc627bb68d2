import { isRecord, type Message } from "../../../runtime/sdk/index.ts";
import type { Outbox } from "../../../runtime/sdk/outbox.ts";

export interface DedupeConfig {
  readonly from: "payload" | "meta";
  readonly field: string;
  readonly window: number;
}

/** The message id `config` names: a string or a finite number, as text; undefined when the message has none. */
export function messageId(msg: Message, config: DedupeConfig): string | undefined {
  const holder = config.from === "payload" ? msg.payload : msg.meta;
  const value = isRecord(holder) ? holder[config.field] : undefined;
  if (typeof value === "string") return value;
  return typeof value === "number" && Number.isFinite(value) ? String(value) : undefined;
}

/**
 * The last `window` message ids seen, to drop the duplicates at-least-once delivery brings (a source
 * sending again what a crash or a reconnect left unacknowledged). The ids are kept in a log like the
 * node's buffer (an outbox of their own, in the data directory), so a restart, even after a kill -9,
 * still knows the ids sent before it: those are exactly the ones a broker sends again.
 */
export class DedupeWindow {
  private readonly seen = new Set<string>();

  constructor(private readonly log: Outbox<string>, private readonly window: number) {
    while (log.length > window) log.ack(1); // a smaller window than last run's
    for (const id of log.peek(window)) this.seen.add(id);
  }

  /** False for an id among the last `window` admitted; otherwise remembers it and returns true. */
  admit(id: string): boolean {
    if (this.seen.has(id)) return false;
    this.seen.add(id);
    this.log.push(id);
    if (this.log.length > this.window) {
      const [oldest] = this.log.peek(1);
      this.log.ack(1);
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    return true;
  }

  close(): void {
    this.log.close();
  }
}
