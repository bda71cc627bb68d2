/**
 * A slow client never slows a flow: an event goes to a client only while its unsent data is under
 * a bound; past it the event is dropped and counted, and a client stuck past the bound for
 * `stuckMs` is to be closed (1013, try again later) rather than buffered for without end.
 */

export interface SlowClientLimits {
  /** Unsent bytes a client may have before events to it are dropped. */
  readonly maxBufferedBytes: number;
  /** Over the bound this long: stuck. */
  readonly stuckMs: number;
}

/** `reading`: under the bound; `behind`: over it; `stuck`: over it for `stuckMs` (close it). */
export type ReadingState = "reading" | "behind" | "stuck";

export interface SlowClientNote {
  readonly type: "dropped";
  readonly reason: "slow-client";
  readonly count: number;
}

export interface SlowClient {
  /** At each event, given the client's unsent bytes: true when it is behind and the event is dropped (and counted). */
  drops(buffered: number): boolean;
  /** At each tick, given the client's unsent bytes. */
  state(buffered: number): ReadingState;
  /** The note of events dropped since the last one, forgetting them; undefined when none were. */
  takeNote(): SlowClientNote | undefined;
}

export function slowClient(limits: SlowClientLimits, now: () => number = Date.now): SlowClient {
  let stuckSince: number | undefined;
  let dropped = 0;
  return {
    drops(buffered) {
      if (buffered <= limits.maxBufferedBytes) return false;
      dropped++;
      stuckSince ??= now();
      return true;
    },
    state(buffered) {
      if (buffered <= limits.maxBufferedBytes) {
        stuckSince = undefined;
        return "reading";
      }
      const at = now();
      stuckSince ??= at;
      return at - stuckSince >= limits.stuckMs ? "stuck" : "behind";
    },
    takeNote() {
      if (dropped === 0) return undefined;
      const note: SlowClientNote = { type: "dropped", reason: "slow-client", count: dropped };
      dropped = 0;
      return note;
    },
  };
}
