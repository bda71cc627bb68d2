import { AiotError, Config, defineNode, isRecord, Type, type Message, type TimerHandle } from "../../runtime/sdk/index.ts";
import { SeededRandom } from "../../runtime/sdk/seeded-random.ts";

/** The attempt a message is on: `meta.attempt` as set by a retry node, 1 when absent or not a count. */
function attemptOf(msg: Message): number {
  const attempt = msg.meta?.["attempt"];
  return typeof attempt === "number" && Number.isInteger(attempt) && attempt >= 1 ? attempt : 1;
}

function isEnvelope(value: unknown): value is Message {
  return isRecord(value) && typeof value["topic"] === "string" && typeof value["ts"] === "number" && "payload" in value;
}

/** The message a node failed on, from what its error port sent (`payload.input`); undefined when it is not one. */
function failedInput(error: Message): Message | undefined {
  const input = isRecord(error.payload) ? error.payload["input"] : undefined;
  return isEnvelope(input) ? input : undefined;
}

/** A 32-bit seed from the node id (FNV-1a), so each retry node has its own, reproducible jitter. */
function seedOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

export default defineNode({
  type: "retry",
  version: 1,
  family: "util",
  title: "Retry",
  summary: "Sends messages on and re-sends each one a downstream node failed on, with exponential backoff and jitter, up to maxAttempts; loop-safe.",
  docs: `
Wire \`out\` to the node that may fail (an \`http-out\`, a model call) and that node's \`error\` port back
to this node's \`retry\` input. The loop this makes is allowed: retry is loop-safe.

- A message on \`in\` goes out at once as attempt 1 (\`meta.attempt: 1\`, replacing a count an upstream retry set).
- A failure coming back on \`retry\` (what an error port sends: \`{ code, message, ..., input }\`) is
  re-sent after a wait: \`backoff.initialMs\` · \`backoff.multiplier\`^(attempt − 1), at most
  \`backoff.maxMs\`, drawn at random from [wait · (1 − jitter), wait] so that many failures do not
  come back all at once. The message re-sent is \`input\`, the one the failing node was handed, with
  \`meta.attempt\` one higher; put the retry right before that node, so nothing between them runs twice.
- Once the failure of attempt \`maxAttempts\` comes back, the failure goes out of \`exhausted\` as it
  came (the last error's code and message, and \`input\`), with \`meta.attempt\` and
  \`meta.exhausted: "max-attempts"\` (counted: \`exhausted\`).

A re-sent message goes out after the ones that came meanwhile: order, also per key, is not kept across
retries. Counted: \`retried\`, \`exhausted\`. Waits use the runtime's clock (a test's virtual clock drives
them); the jitter's random stream is seeded from the node id, so a run repeats exactly.

**Bounded**: at most \`maxPending\` messages wait for their next attempt. A failure coming back while
that many wait goes out of \`exhausted\` at once with \`meta.exhausted: "pending-full"\` (counted:
\`pending_full\`). A message on \`retry\` that is not a failure (no \`payload.input\` envelope) raises
MESSAGE_SHAPE_INVALID on this node's error port. Messages still waiting when the node is closed (a stop,
or a redeploy that changes it) are discarded, counted in \`dropped_on_close\` and logged.

Example: \`{ "maxAttempts": 4, "backoff": { "initialMs": 2000, "maxMs": 30000 } }\` tries a delivery
four times, waiting 1–2 s, 2–4 s and 4–8 s in between (the default jitter, 0.5, draws each wait from its upper half).`,
  config: Config({
    maxAttempts: Type.Integer({ minimum: 1, maximum: 100, default: 5, description: "Attempts in all, the first send included (a count)." }),
    backoff: Type.Object({
      initialMs: Type.Integer({ minimum: 1, maximum: 86_400_000, default: 1000, unit: "ms", description: "Wait before attempt 2, in ms." }),
      multiplier: Type.Number({ minimum: 1, maximum: 10, default: 2, description: "Each further wait is this many times the one before (2 doubles it; 1 keeps it)." }),
      maxMs: Type.Integer({ minimum: 1, maximum: 86_400_000, default: 60_000, unit: "ms", description: "Longest wait between two attempts, in ms." }),
      jitter: Type.Number({ minimum: 0, maximum: 1, default: 0.5, description: "Random share of each wait (a fraction): the wait is drawn from [wait · (1 − jitter), wait]; 0 waits exactly, 1 is full jitter." }),
    }, { additionalProperties: false, default: {}, description: "Exponential backoff between attempts." }),
    maxPending: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 10_000, description: "Most messages waiting for their next attempt at once (a count)." }),
  }),
  inputs: {
    in: { kind: "any", description: "Messages to send (attempt 1)." },
    retry: { kind: "event", description: "Failures from the error port of the node `out` feeds." },
  },
  outputs: {
    out: { kind: "any", description: "Every attempt, with meta.attempt (1, 2, ...)." },
    exhausted: { kind: "event", description: "The last failure of a message that used up its attempts, with meta.attempt and meta.exhausted." },
  },
  examples: [
    { title: "Retry a webhook 5 times", config: {} },
    { title: "Four tries, backing off from 2 s", description: "Waits 1–2 s, 2–4 s and 4–8 s between the tries.", config: { maxAttempts: 4, backoff: { initialMs: 2_000, maxMs: 30_000 } } },
    { title: "Every 10 s exactly, for a minute", config: { maxAttempts: 7, backoff: { initialMs: 10_000, multiplier: 1, jitter: 0 } } },
  ],
  loopSafe: true,
  check(config) {
    const { initialMs, maxMs } = config.backoff;
    return initialMs > maxMs ? [{ path: "backoff.maxMs", message: `must be >= backoff.initialMs (${initialMs})` }] : [];
  },
  fieldsOut: (_config, inputFields) => ({ out: inputFields, exhausted: ["code", "message", "input"] }),
  create(config, ctx) {
    const { maxAttempts, maxPending } = config;
    const { initialMs, multiplier, maxMs, jitter } = config.backoff;
    const random = new SeededRandom(seedOf(ctx.nodeId));
    const pending = new Set<TimerHandle>();
    let closed = false;

    /** The wait after attempt `attempt` failed, in ms. */
    function waitAfter(attempt: number): number {
      const wait = Math.min(maxMs, initialMs * multiplier ** (attempt - 1));
      return Math.round(wait * (1 - jitter * random.next()));
    }

    function exhaust(failure: Message, attempt: number, reason: "max-attempts" | "pending-full"): void {
      ctx.metrics.count(reason === "max-attempts" ? "exhausted" : "pending_full");
      ctx.emit("exhausted", { ...failure, meta: { ...failure.meta, attempt, exhausted: reason } });
    }

    return {
      onMessage(msg, port) {
        if (port === "in") return void ctx.emit("out", { ...msg, meta: { ...msg.meta, attempt: 1 } });
        const input = failedInput(msg);
        if (input === undefined) {
          throw new AiotError("MESSAGE_SHAPE_INVALID", "the retry input takes what a node's error port sends ({ code, message, input }); this message has no input envelope", { path: "payload.input" });
        }
        const attempt = attemptOf(input);
        if (attempt >= maxAttempts) return exhaust(msg, attempt, "max-attempts");
        if (pending.size >= maxPending) return exhaust(msg, attempt, "pending-full");
        const timer: TimerHandle = ctx.clock.setTimeout(() => {
          pending.delete(timer);
          if (closed) return;
          ctx.metrics.count("retried");
          ctx.emit("out", { ...input, meta: { ...input.meta, attempt: attempt + 1 } });
        }, waitAfter(attempt));
        pending.add(timer);
      },
      close() {
        closed = true;
        for (const timer of pending) timer.cancel();
        if (pending.size > 0) {
          ctx.metrics.count("dropped_on_close", pending.size);
          ctx.log.warn(`${pending.size} message(s) waiting for another attempt discarded on close`, { pending: pending.size });
        }
        pending.clear();
      },
    };
  },
});
