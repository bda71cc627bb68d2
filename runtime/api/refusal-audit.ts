/**
 * Refusals (no token, a bad token, a role too low, a throttled login) are audited, but a client
 * hammering the API must not turn each one into an fsync'd audit record. Per (reason, remote
 * address) at most `perWindow` refusals a window are written one by one; past that they are only
 * counted, and one `auth.refused-summary` record `{ count, reason, from }` is written when the
 * window ends (or at the next refusal that may be written, whichever comes first).
 */
import type { Logger } from "../sdk/define.ts";
import { errorMessage } from "../sdk/errors.ts";
import type { AuditLog } from "../store/audit-log.ts";

export interface RefusalAuditLimits {
  /** Refusal records written one by one per (reason, address) per window (default 20). */
  readonly perWindow?: number;
  /** Default 60 000 ms. */
  readonly windowMs?: number;
}

export type RefusalEntry = Omit<Parameters<AuditLog["append"]>[0], "outcome">;

export interface RefusalRecorder {
  /** Writes the refusal, or counts it when its (reason, from) is over the limit; never throws. */
  record(reason: string, from: string, entry: RefusalEntry): Promise<void>;
  /** Writes every pending summary now (tests, shutdown). */
  flush(): Promise<void>;
}

interface Window {
  start: number;
  written: number;
  suppressed: number;
  timer: NodeJS.Timeout | undefined;
}

/** Most (reason, address) windows kept; past it expired ones are dropped first, then the oldest. */
const MAX_WINDOWS = 10_000;
const byAudit = new WeakMap<AuditLog, RefusalRecorder>();

/** One recorder per audit log, so the gate and the login route share their counts. */
export function refusalRecorder(audit: AuditLog, limits: RefusalAuditLimits = {}, logger?: Logger): RefusalRecorder {
  let recorder = byAudit.get(audit);
  if (!recorder) byAudit.set(audit, (recorder = createRefusalRecorder(audit, limits, logger)));
  return recorder;
}

export function createRefusalRecorder(audit: AuditLog, limits: RefusalAuditLimits = {}, logger?: Logger): RefusalRecorder {
  const perWindow = limits.perWindow ?? 20;
  const windowMs = limits.windowMs ?? 60_000;
  const windows = new Map<string, Window>();

  const append = async (entry: Parameters<AuditLog["append"]>[0]) => {
    try {
      await audit.append(entry);
    } catch (error) {
      logger?.error("cannot write the audit record of a refusal", { action: entry.action, target: entry.target, error: errorMessage(error) });
    }
  };

  const summarise = async (key: string, window: Window) => {
    if (window.timer) clearTimeout(window.timer);
    window.timer = undefined;
    const count = window.suppressed;
    window.suppressed = 0;
    if (count === 0) return;
    const [reason, from] = splitKey(key);
    await append({
      actor: "(refusals)",
      action: "auth.refused-summary",
      target: "auth",
      outcome: "refused",
      detail: { count, reason, from, windowStart: new Date(window.start).toISOString(), windowMs },
    });
  };

  // Bounded whatever arrives (every new address opens a window): expired, quiet windows go first;
  // if all are live, the oldest are summarised and dropped, so memory and the scan stay bounded.
  const prune = (now: number) => {
    for (const [key, window] of windows) {
      if (now - window.start >= windowMs && window.suppressed === 0) windows.delete(key);
      if (windows.size < MAX_WINDOWS) return;
    }
    for (const [key, window] of windows) {
      void summarise(key, window);
      windows.delete(key);
      if (windows.size < MAX_WINDOWS) return;
    }
  };

  return {
    async record(reason, from, entry) {
      const now = Date.now();
      const key = `${reason}\u0000${from}`;
      let window = windows.get(key);
      if (window && now - window.start >= windowMs) {
        await summarise(key, window);
        windows.delete(key);
        window = undefined;
      }
      if (!window) {
        if (windows.size >= MAX_WINDOWS) prune(now);
        windows.set(key, (window = { start: now, written: 0, suppressed: 0, timer: undefined }));
      }
      if (window.written < perWindow) {
        window.written++;
        await append({ ...entry, outcome: "refused" });
        return;
      }
      window.suppressed++;
      if (!window.timer) {
        const current = window;
        current.timer = setTimeout(() => {
          void summarise(key, current).then(() => {
            if (windows.get(key) === current && current.suppressed === 0) windows.delete(key);
          });
        }, Math.max(0, current.start + windowMs - now));
        current.timer.unref();
      }
    },
    async flush() {
      for (const [key, window] of [...windows]) await summarise(key, window);
    },
  };
}

function splitKey(key: string): [string, string] {
  const at = key.indexOf("\u0000");
  return [key.slice(0, at), key.slice(at + 1)];
}
