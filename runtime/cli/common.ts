/** What every `aiotflow` command shares: output, parsed options, usage errors, run/serve lifetimes. */
import { ERROR_CATALOGUE } from "../sdk/errors.ts";
import type { LogLevel } from "../core/logger.ts";
import type { FlowFileProblem } from "../core/flow-file.ts";
import { HELP } from "./help.ts";

export const out = (text: string) => void process.stdout.write(`${text}\n`);
export const err = (text: string) => void process.stderr.write(`${text}\n`);

export type Options = {
  json?: boolean;
  quiet?: boolean;
  "data-dir"?: string;
  duration?: string;
  "log-level"?: string;
  port?: string;
  host?: string;
  "mqtt-port"?: string;
  "http-port"?: string;
  "no-mqtt"?: boolean;
  "no-auth"?: boolean;
  "no-state"?: boolean;
  "keep-running"?: boolean;
  "drain-timeout"?: string;
  name?: string;
  features?: string;
  stage?: string;
  card?: string;
};


export function printProblems(problems: FlowFileProblem[], json: boolean): void {
  if (json) {
    out(JSON.stringify(problems.map((p) => ({ location: p.location, ...p.error.toJSON() })), null, 2));
    return;
  }
  err(`${problems.length} problem${problems.length === 1 ? "" : "s"}:`);
  for (const { error, location } of problems) {
    const path = error.details.path && error.details.path !== "$" ? `${error.details.path}: ` : "";
    err(`  ${location}  ${path}${error.message} [${error.code}]`);
  }
  const codes = [...new Set(problems.map((p) => p.error.code))];
  err("\nWhat to do:");
  for (const code of codes) err(`  ${code}: ${ERROR_CATALOGUE[code]}`);
}

/** setTimeout's limit (2^31 - 1 ms); longer runs simply have no --duration. */
const MAX_DURATION_S = 2_147_483;

/** Reads --log-level and --duration; a usage message when either is malformed. */
export function commonRunOptions(command: string, options: Options): { level: LogLevel; duration: number | undefined } | string {
  const level = (options["log-level"] ?? (options.quiet ? "warn" : "info")) as LogLevel;
  if (!["debug", "info", "warn", "error"].includes(level)) return `--log-level must be debug, info, warn or error, not "${level}"`;
  const duration = seconds("--duration", options.duration);
  if (typeof duration === "string") return duration;
  return { level, duration };
}

/** Reads --drain-timeout (seconds) as milliseconds: undefined when not given, a usage message when malformed. */
export function drainTimeoutMs(options: Options): number | undefined | string {
  const value = seconds("--drain-timeout", options["drain-timeout"]);
  return typeof value === "number" ? value * 1000 : value;
}

/** A number of seconds for a timer: undefined when not given, a usage message when malformed. */
function seconds(name: string, text: string | undefined): number | undefined | string {
  if (text === undefined) return undefined;
  const value = Number(text);
  return value > 0 && value <= MAX_DURATION_S ? value : `${name} must be a number of seconds between 0 and ${MAX_DURATION_S} (24 days), not "${text}"`;
}

/** How often the keep-alive timer of stopSignal fires: rarely, it only holds the event loop open. */
const KEEP_ALIVE_MS = 60 * 60 * 1000;

/**
 * Resolves on Ctrl-C / SIGTERM, after `duration` seconds or on `stop()`; a second Ctrl-C exits at once.
 * Until then it keeps the process alive with a timer of its own (the --duration timer, or a keep-alive):
 * a flow whose sources have all ended may leave nothing else that does, and Node would then exit with
 * code 13 (a top-level await that never settled) instead of draining. `stop()` clears the timer.
 */
export function stopSignal(duration: number | undefined, log: { info(message: string): void }): { stopped: Promise<void>; stop(reason: string): void } {
  let stopping = false;
  let resolve!: () => void;
  const stopped = new Promise<void>((r) => (resolve = r));
  const timer = duration ? setTimeout(() => stop(`--duration ${duration} s`), duration * 1000) : setInterval(() => undefined, KEEP_ALIVE_MS);
  const stop = (reason: string) => {
    if (stopping) return;
    stopping = true;
    clearTimeout(timer);
    log.info(`stopping (${reason}): draining queued messages`);
    resolve();
  };
  const interrupt = () => {
    if (stopping) {
      err("aiotflow: second interrupt, exiting without draining");
      process.exit(130);
    }
    stop("interrupted");
  };
  process.on("SIGINT", interrupt);
  process.on("SIGTERM", interrupt);
  return { stopped, stop };
}

export function usage(command: string, problem: string): number {
  err(`aiotflow ${command}: ${problem}\n\n${HELP[command]}`);
  return 2;
}
