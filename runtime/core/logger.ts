import type { Logger } from "../sdk/define.ts";

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevel = keyof typeof LEVELS;

/**
 * A small structured logger: one line per record on stderr (stdout stays free for results), either
 * `12:00:01 WARN node=gate-1 message {fields}` or JSON lines for log shippers.
 */
export function createLogger(options: { level?: LogLevel; json?: boolean; fields?: Record<string, unknown>; write?: (line: string) => void } = {}): Logger & {
  child(fields: Record<string, unknown>): Logger;
} {
  const threshold = LEVELS[options.level ?? "info"];
  const write = options.write ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const base = options.fields ?? {};
  const log = (level: Exclude<LogLevel, "silent">) => (message: string, fields?: Record<string, unknown>) => {
    if (LEVELS[level] < threshold) return;
    const all = { ...base, ...fields };
    if (options.json) {
      write(JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...all }));
      return;
    }
    const context = Object.entries(all)
      .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
      .join(" ");
    const now = new Date();
    const time = [now.getHours(), now.getMinutes(), now.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
    write(`${time} ${level.toUpperCase().padEnd(5)} ${message}${context ? `  ${context}` : ""}`);
  };
  return {
    debug: log("debug"),
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
    child: (fields) => createLogger({ ...options, fields: { ...base, ...fields } }),
  };
}

export const silentLogger = createLogger({ level: "silent" });

/**
 * Keeps a repeated warning (a queue overflowing, a node failing on every message) to one line per
 * key and window: the first occurrence is written, the next ones within `windowMs` are only counted
 * and reported with the next line written ("(and 41 more like it)").
 */
export class LogThrottle {
  private readonly seen = new Map<string, { last: number; suppressed: number }>();

  constructor(
    private readonly now: () => number,
    private readonly windowMs = 10_000,
  ) {}

  /** Calls `write` with the suffix to append, unless `key` was written less than the window ago. */
  write(key: string, write: (more: string) => void): void {
    const now = this.now();
    const seen = this.seen.get(key);
    if (seen && now - seen.last < this.windowMs) {
      seen.suppressed++;
      return;
    }
    write(seen?.suppressed ? ` (and ${seen.suppressed} more like it)` : "");
    this.seen.set(key, { last: now, suppressed: 0 });
  }
}
