/**
 * Keyed concurrency (`orderBy: "key"`). An async node running several calls at once would reorder the
 * messages of one device: the second reading of pump-1 can finish before the first. With orderBy a
 * key has at most one call in flight; the key's later messages wait in its lane, in arrival order,
 * while other keys use the node's other slots. Messages without a key share one lane. Nodes without
 * orderBy never reach this code (the scheduler checks one field).
 */
import type { Message } from "../sdk/message.ts";
import { TripleRing } from "./ring.ts";

/** The lane of one key: its messages waiting behind the call in flight (port, message, owner). */
type Lane<N> = TripleRing<string, Message, N>;

/** The lanes of one node (`N`, handed back with every message so callers need no closure). */
export class KeyedLanes<N> {
  /** Keys with a call in flight -> their lane (created when a second message of the key comes). */
  private readonly busy = new Map<string | undefined, Lane<N> | undefined>();
  /**
   * Messages whose key's previous call has finished: they hold their key and start before anything
   * in the inbox, from the scheduler's loop (never from inside a finishing call: no recursion).
   */
  readonly ready: Lane<N> = new TripleRing(4);
  /** Messages in lanes and `ready`, all keys together. */
  waiting = 0;

  /** True when `msg`'s key has no call in flight (it now has); false when it must wait. */
  enter(msg: Message): boolean {
    if (this.busy.has(msg.key)) return false;
    this.busy.set(msg.key, undefined);
    return true;
  }

  /** Queues `msg` behind the call in flight of its key. */
  wait(port: string, msg: Message, owner: N): void {
    let lane = this.busy.get(msg.key);
    if (lane === undefined) this.busy.set(msg.key, (lane = new TripleRing(4)));
    lane.push(port, msg, owner);
    this.waiting++;
  }

  /** The call for `msg` is over: the next message of its key moves to `ready` (the key stays busy), or the key is free. */
  leave(msg: Message): void {
    const lane = this.busy.get(msg.key);
    if (lane === undefined || lane.size === 0) {
      this.busy.delete(msg.key);
      return;
    }
    lane.shift(this.makeReady);
  }

  private readonly makeReady = (port: string, msg: Message, owner: N): void => this.ready.push(port, msg, owner);

  /** Takes the oldest ready message into `start` (it leaves the count of waiting ones). */
  startReady(start: (port: string, msg: Message, owner: N) => void): void {
    this.waiting--;
    this.ready.shift(start);
  }

  /** Empties `ready` and every lane into `visit` (a stop that gave up draining); keys in flight stay busy. */
  discard(visit: (port: string, msg: Message, owner: N) => void): void {
    while (this.ready.size > 0) this.ready.shift(visit);
    for (const lane of this.busy.values()) {
      while (lane !== undefined && lane.size > 0) lane.shift(visit);
    }
    this.waiting = 0;
  }
}
