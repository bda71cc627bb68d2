/**
 * Guards the password checks (scrypt, expensive by design):
 *
 * - Throttling. After `maxFailures` failed logins within `windowMs` from one remote address, that
 *   address gets 429 AUTH_THROTTLED (with Retry-After) without a password check until its oldest
 *   failure leaves the window. The same count is kept per username over every address; a username
 *   over it is refused only to the addresses that took part in its failures, so someone guessing
 *   from many machines gets one guess per machine while the user, from a clean address, still
 *   logs in.
 * - Concurrency. At most `maxConcurrent` password checks run at once; the rest wait in line (at
 *   most `maxQueued`, past that 429 too), so a burst of logins cannot occupy the whole libuv thread
 *   pool that file writes also need.
 */
import { ApiError } from "./http-errors.ts";
import type { UserStore } from "../store/users.ts";

export interface LoginLimits {
  /** Failures allowed per address and per username within the window (default 10). */
  readonly maxFailures?: number;
  /** Default 5 minutes. */
  readonly windowMs?: number;
  /** Password checks running at once (default 4). */
  readonly maxConcurrent?: number;
  /** Password checks waiting for a turn before more are refused (default 200). */
  readonly maxQueued?: number;
}

export interface LoginGuard {
  /** Throws 429 AUTH_THROTTLED when this address, or this username from this address, is over the limit. */
  admit(username: string, from: string): void;
  failed(username: string, from: string): void;
  succeeded(username: string, from: string): void;
  /** Runs a password check in turn (at most maxConcurrent at once). */
  check<T>(task: () => Promise<T>): Promise<T>;
}

/** Most addresses and usernames tracked; past it the stalest are dropped. */
const MAX_TRACKED = 20_000;
const byUsers = new WeakMap<UserStore, LoginGuard>();

/** One guard per user store, so login and password change share the same limits. */
export function loginGuard(users: UserStore, limits: LoginLimits = {}): LoginGuard {
  let guard = byUsers.get(users);
  if (!guard) byUsers.set(users, (guard = createLoginGuard(limits)));
  return guard;
}

export function createLoginGuard(limits: LoginLimits = {}): LoginGuard {
  const maxFailures = limits.maxFailures ?? 10;
  const windowMs = limits.windowMs ?? 5 * 60_000;
  const maxConcurrent = limits.maxConcurrent ?? 4;
  const maxQueued = limits.maxQueued ?? 200;
  const byAddress = new Map<string, number[]>();
  const byUser = new Map<string, Array<{ at: number; from: string }>>();
  let running = 0;
  const waiting: Array<() => void> = [];

  const recent = <T extends number | { at: number }>(list: T[] | undefined, now: number): T[] =>
    (list ?? []).filter((item) => now - (typeof item === "number" ? item : item.at) < windowMs);

  const throttled = (oldest: number, now: number, what: string): ApiError => {
    const seconds = Math.max(1, Math.ceil((oldest + windowMs - now) / 1000));
    return new ApiError("AUTH_THROTTLED", `too many failed logins ${what}; try again in ${seconds} s`, { retryAfterSeconds: seconds });
  };

  const bound = <V>(map: Map<string, V>) => {
    // Maps keep insertion order and entries are re-inserted on use: the first ones are the stalest.
    while (map.size > MAX_TRACKED) map.delete(map.keys().next().value!);
  };

  return {
    admit(username, from) {
      const now = Date.now();
      const fromAddress = recent(byAddress.get(from), now);
      if (fromAddress.length >= maxFailures) throw throttled(fromAddress[0]!, now, "from this address");
      const forUser = recent(byUser.get(username), now);
      if (forUser.length >= maxFailures && forUser.some((f) => f.from === from)) throw throttled(forUser[0]!.at, now, `for "${username.slice(0, 64)}"`);
    },
    failed(username, from) {
      const now = Date.now();
      const address = recent(byAddress.get(from), now);
      address.push(now);
      byAddress.delete(from);
      byAddress.set(from, address.slice(-maxFailures));
      const user = recent(byUser.get(username), now);
      user.push({ at: now, from });
      byUser.delete(username);
      byUser.set(username, user.slice(-4 * maxFailures));
      bound(byAddress);
      bound(byUser);
    },
    succeeded(username, from) {
      const user = byUser.get(username)?.filter((f) => f.from !== from);
      if (user && user.length > 0) byUser.set(username, user);
      else byUser.delete(username);
    },
    async check(task) {
      if (running >= maxConcurrent) {
        if (waiting.length >= maxQueued) throw new ApiError("AUTH_THROTTLED", "too many logins at once; try again in a moment", { retryAfterSeconds: 1 });
        await new Promise<void>((resolve) => waiting.push(resolve));
      } else running++;
      try {
        return await task();
      } finally {
        const next = waiting.shift();
        if (next) next();
        else running--;
      }
    },
  };
}
