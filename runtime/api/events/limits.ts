/**
 * The knobs of the live event stream, and the values the hub runs with. Imports nothing from the
 * rest of runtime/api: deps.ts names these limits, and the hub behind them imports deps.ts' users.
 */

export interface EventLimits {
  /** Debug, status and error events per flow per second each client gets (default 50); deploy events are never limited. */
  readonly perFlowPerSecond?: number;
  /** Unsent bytes a client may have before events to it are dropped (default 1 MiB). */
  readonly maxBufferedBytes?: number;
  /** A client over the buffer bound this long is closed with 1013 (default 10 s). */
  readonly stuckMs?: number;
  /** After a 1013 close, how long the client gets to read it before the socket is cut (default 2 s). */
  readonly closeGraceMs?: number;
  /** How often drop notes, stuck clients and heartbeats are looked at (default 250 ms). */
  readonly tickMs?: number;
  /**
   * How often each client's token is checked again (default 5 s): a client whose token was revoked
   * or expired, or whose user was disabled, is closed (WebSocket 1008, SSE: the response ends).
   */
  readonly recheckMs?: number;
  /** Debug events kept per flow and replayed to a client subscribing to that flow (default 100; 0 keeps none). */
  readonly historyPerFlow?: number;
}

/** EventLimits with every default filled in. */
export type EventSettings = { readonly [K in keyof EventLimits]-?: number };

export function eventSettings(limits: EventLimits = {}): EventSettings {
  const askedHistory = limits.historyPerFlow ?? 100;
  return {
    perFlowPerSecond: limits.perFlowPerSecond ?? 50,
    maxBufferedBytes: limits.maxBufferedBytes ?? 1024 * 1024,
    stuckMs: limits.stuckMs ?? 10_000,
    closeGraceMs: limits.closeGraceMs ?? 2000,
    tickMs: limits.tickMs ?? 250,
    recheckMs: limits.recheckMs ?? 5000,
    // A nonsense bound (NaN, negative) keeps nothing rather than an unbounded ring.
    historyPerFlow: Number.isFinite(askedHistory) ? Math.max(0, Math.floor(askedHistory)) : 0,
  };
}
