/**
 * Per client, debug, status and error events are limited per type and flow per window (a second):
 * a chatty flow must not drown the others, nor a browser. What is over the limit is not queued but
 * counted, and the counts go out as one note per type and flow when the window turns.
 */

export interface DropNote {
  /** `debug-dropped`, `status-dropped` or `error-dropped`. */
  readonly type: string;
  readonly flowId: string;
  readonly count: number;
}

export interface RateWindow {
  /** Counts one event of `type` for `flowId`: true when it may be sent, false when over the limit (counted as dropped). */
  take(type: string, flowId: string): boolean;
  /** Starts a new window: what was sent is forgotten; what was dropped waits for `takeNotes`. */
  restart(): void;
  /** One note per type and flow dropped since the last call, in the order they were first dropped; forgets them. */
  takeNotes(): DropNote[];
}

export function rateWindow(perWindow: number): RateWindow {
  let sent = new Map<string, number>();
  let dropped = new Map<string, { type: string; flowId: string; count: number }>();
  return {
    take(type, flowId) {
      const key = `${type} ${flowId}`;
      const count = sent.get(key) ?? 0;
      if (count < perWindow) {
        sent.set(key, count + 1);
        return true;
      }
      const note = dropped.get(key) ?? { type, flowId, count: 0 };
      note.count++;
      dropped.set(key, note);
      return false;
    },
    restart() {
      sent = new Map();
    },
    takeNotes() {
      const notes = [...dropped.values()].map(({ type, flowId, count }) => ({ type: `${type}-dropped`, flowId, count }));
      dropped = new Map();
      return notes;
    },
  };
}
