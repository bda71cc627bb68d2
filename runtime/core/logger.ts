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
