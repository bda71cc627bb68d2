/**
 * Waiting for a condition or an event, never for a fixed time: a test that sleeps is slow when the
 * machine is idle and flaky when it is busy. Every wait here has a deadline and fails saying what it
 * waited for.
 *
 * The timer functions are taken when this module loads, so a test that swaps in node:test's mock
 * timers (`mock.timers.enable`) can still wait on real I/O; deadlines use `performance.now()`,
 * which mock timers leave alone.
 */
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;

export interface UntilOptions {
  /** Fail after this long (default 5 s): a network wait on a busy machine, not a timing assertion. */
  readonly timeoutMs?: number;
  /** Time between two looks (default 10 ms). */
  readonly pollMs?: number;
  /** Runs after each look that found the condition false, e.g. to move a virtual clock on. */
  readonly between?: () => void;
}

/** What was awaited, for the failure message; a function to report state read at the deadline. */
export type What = string | (() => string);

/**
 * Resolves as soon as `condition` holds; throws "timed out waiting for <what>" at the deadline.
 * `options` may be a number: the timeout in ms.
 *
 * @example
 * await until(() => t.received("got").length === 2, "two readings");
 * await until(async () => (await metrics()).includes("dropped 1"), "the drop in the metrics", { timeoutMs: 10_000 });
 */
export async function until(condition: () => boolean | Promise<boolean>, what: What, options: number | UntilOptions = {}): Promise<void> {
  const { timeoutMs = 5_000, pollMs = 10, between } = typeof options === "number" ? { timeoutMs: options } : options;
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${spell(what)} (${timeoutMs} ms)`);
    between?.();
    await new Promise((resolve) => realSetTimeout(resolve, pollMs));
  }
}

/**
 * `promise`, or a rejection "<what>: not within <ms> ms" if it takes longer.
 *
 * @example
 * const code = await within(exited, "the exit after SIGINT", 20_000);
 */
export function within<T>(promise: Promise<T>, what: What, timeoutMs = 5_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = realSetTimeout(() => reject(new Error(`${spell(what)}: not within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => realClearTimeout(timer));
}

function spell(what: What): string {
  return typeof what === "string" ? what : what();
}
