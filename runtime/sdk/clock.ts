/**
 * Time is injected: nodes read `ctx.clock`, never `Date.now()` or global timers, so tests run on a
 * `VirtualClock` and never sleep.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  setInterval(callback: () => void, ms: number): TimerHandle;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    const handle = setTimeout(callback, ms);
    return { cancel: () => clearTimeout(handle) };
  },
  setInterval(callback, ms) {
    const handle = setInterval(callback, ms);
    return { cancel: () => clearInterval(handle) };
  },
};

interface VirtualTimer {
  due: number;
  readonly seq: number;
  readonly every: number | undefined;
  readonly callback: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only when told. `advance(ms)` fires due timers in time order (ties in creation
 * order) and sets `now()` to each timer's due time while it runs.
 *
 * @example
 * const clock = new VirtualClock(Date.UTC(2026, 0, 1));
 * clock.setTimeout(() => console.log("fired at", clock.now()), 500);
 * clock.advance(1000); // logs once, then now() is start + 1000
 */
export class VirtualClock implements Clock {
  private current: number;
  private timers: VirtualTimer[] = [];
  private nextSeq = 0;

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    return this.schedule(callback, ms, undefined);
  }

  setInterval(callback: () => void, ms: number): TimerHandle {
    return this.schedule(callback, ms, Math.max(1, ms));
  }

  /** Number of timers still waiting. */
  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  advance(ms: number): void {
    const until = this.current + ms;
    for (;;) {
      const next = this.earliestDue(until);
      if (!next) break;
      this.current = next.due;
      if (next.every === undefined) next.cancelled = true;
      else next.due += next.every;
      next.callback();
      this.timers = this.timers.filter((t) => !t.cancelled);
    }
    this.current = until;
  }

  private earliestDue(until: number): VirtualTimer | undefined {
    let best: VirtualTimer | undefined;
    for (const t of this.timers) {
      if (t.cancelled || t.due > until) continue;
      if (!best || t.due < best.due || (t.due === best.due && t.seq < best.seq)) best = t;
    }
    return best;
  }

  private schedule(callback: () => void, ms: number, every: number | undefined): TimerHandle {
    const timer: VirtualTimer = { due: this.current + Math.max(0, ms), seq: this.nextSeq++, every, callback, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }
}
