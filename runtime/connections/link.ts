import type { Clock, TimerHandle } from "../sdk/clock.ts";
import { ConnectionFailure, type AnyConnectionDefinition, type ConnectionContext, type ConnectionState, type OpenedConnection } from "../sdk/connections.ts";
import type { Logger } from "../sdk/define.ts";
import { errorMessage, isAiotError } from "../sdk/errors.ts";

export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  /** Each failure multiplies the delay by this. */
  readonly factor: number;
  /** Fraction of the delay drawn at random (0.2: ±20 %), so many gateways do not reconnect in step. */
  readonly jitter: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 500, maxMs: 30_000, factor: 2, jitter: 0.2 };

/** The delay before attempt `failures` + 1; `random` in [0, 1). */
export function backoffDelay(backoff: Backoff, failures: number, random: number): number {
  const base = Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** Math.max(0, failures - 1));
  return Math.max(0, Math.round(base * (1 + backoff.jitter * (2 * random - 1))));
}

/** A failure as `{ code, reason, permanent }`, whatever was thrown. */
export function describeFailure(error: unknown): { code: string; reason: string; permanent: boolean } {
  if (error instanceof ConnectionFailure) return { code: error.code, reason: error.message, permanent: error.permanent };
  if (isAiotError(error)) return { code: error.code, reason: error.message, permanent: true };
  return { code: "CONNECTION_FAILED", reason: errorMessage(error), permanent: false };
}

/**
 * One supervised connection: opens it, reopens it after a backoff when it breaks or fails to open,
 * and tells its listeners every state change and every new client. Closed for good by `close`.
 */
export class Link {
  private opened: OpenedConnection<unknown> | undefined;
  private current: ConnectionState = { state: "connecting" };
  private failures = 0;
  private timer: TimerHandle | undefined;
  private attempt = 0;
  private closed = false;
  private started = false;
  readonly connectedListeners = new Set<(client: unknown) => void>();
  readonly stateListeners = new Set<(state: ConnectionState) => void>();

  constructor(
    readonly name: string,
    private readonly definition: AnyConnectionDefinition,
    private readonly config: unknown,
    private readonly deps: {
      clock: Clock;
      log: Logger;
      backoff: Backoff;
      secret: ConnectionContext["secret"];
      random: () => number;
      /** True once the runtime shuts down: a lost link then stays down instead of retrying. */
      halted?: () => boolean;
    },
  ) {}

  get state(): ConnectionState {
    return this.current;
  }

  get client(): unknown {
    return this.current.state === "connected" ? this.opened?.client : undefined;
  }

  /** Starts connecting unless already started. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    void this.connect();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.timer?.cancel();
    this.attempt++;
    const opened = this.opened;
    this.opened = undefined;
    this.setState({ state: "closed" });
    await opened?.close().catch((error: unknown) => this.deps.log.warn(`closing connection ${this.name}: ${errorMessage(error)}`, { code: "CONNECTION_CLOSE_FAILED" }));
  }

  private async connect(): Promise<void> {
    const attempt = ++this.attempt;
    let lostEarly: { reason: string; code: string } | undefined;
    let ready = false;
    const ctx: ConnectionContext = {
      id: this.name,
      log: this.deps.log,
      secret: this.deps.secret,
      lost: (reason, code = "CONNECTION_LOST") => {
        if (attempt !== this.attempt || this.closed) return;
        if (!ready) lostEarly = { reason, code };
        else void this.broken(reason, code);
      },
    };
    try {
      const opened = await this.definition.open(this.config as never, ctx);
      if (attempt !== this.attempt || this.closed) {
        await opened.close().catch(() => undefined); // closed or superseded while opening
        return;
      }
      this.opened = opened;
      ready = true;
      if (lostEarly) return void this.broken(lostEarly.reason, lostEarly.code);
      this.failures = 0;
      this.setState({ state: "connected", ...(opened.describe ? { reason: opened.describe } : {}) });
      for (const listener of [...this.connectedListeners]) this.safely(() => listener(opened.client));
    } catch (error) {
      if (attempt !== this.attempt || this.closed) return;
      const failure = describeFailure(error);
      this.retryLater(failure.reason, failure.code, failure.permanent);
    }
  }

  private async broken(reason: string, code: string): Promise<void> {
    const opened = this.opened;
    this.opened = undefined;
    this.attempt++;
    this.retryLater(reason, code, false);
    await opened?.close().catch(() => undefined);
  }

  private retryLater(reason: string, code: string, permanent: boolean): void {
    if (this.deps.halted?.()) {
      // Shutting down (the broker may already be gone): retrying would only keep the process alive.
      this.timer?.cancel();
      this.setState({ state: "closed", reason: `${reason}; not reconnecting: shutting down`, code });
      this.deps.log.debug(`connection ${this.name} lost during shutdown: ${reason}; not reconnecting`, { code });
      return;
    }
    this.failures++;
    // A permanent failure (refused credentials, a bad certificate) is retried only at the slowest pace.
    const delay = permanent ? this.deps.backoff.maxMs : backoffDelay(this.deps.backoff, this.failures, this.deps.random());
    this.setState({ state: permanent ? "failed" : "reconnecting", reason: `${reason}; retrying in ${formatDelay(delay)}`, code });
    this.deps.log.warn(`connection ${this.name} ${permanent ? "failed" : "lost"}: ${reason}`, { code, retryInMs: delay });
    this.timer?.cancel();
    this.timer = this.deps.clock.setTimeout(() => void this.connect(), delay);
  }

  private setState(state: ConnectionState): void {
    this.current = state;
    for (const listener of [...this.stateListeners]) this.safely(() => listener(state));
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.deps.log.error(`connection ${this.name} listener failed: ${errorMessage(error)}`);
    }
  }
}

function formatDelay(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
