import { AiotError, Config, defineNode, ERROR_PORT, errorMessage, Secret, Type, type Message, type NodeContext, type TimerHandle } from "../../runtime/sdk/index.ts";
import { dropReporter, OUTBOXES } from "../../runtime/sdk/outbox.ts";

/** Statuses worth another try: the receiver is overloaded, restarting or timed out. Other non-2xx are final. */
const RETRIED_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);
/** The most deliveries one node may have in flight; `maxInFlight` picks a lower bound per node. */
const MAX_IN_FLIGHT = 64;

type Outcome = { ok: true; status: number } | { ok: false; retry: boolean; reason: string; status?: number };

export default defineNode({
  type: "http-out",
  version: 1,
  family: "sinks",
  title: "HTTP out (webhook)",
  summary: "POSTs or PUTs each message as JSON to a URL through a bounded store-and-forward buffer on disk, so deliveries survive an outage of the receiver.",
  docs: `
Sends every message as a JSON body to \`url\`: the whole message (\`{ topic, key, ts, payload, meta }\`) or
only its payload (\`body\`). Header values may be secret references, e.g.
\`"headers": { "Authorization": { "$secret": "webhook-token" } }\`, resolved from the runtime's secret store
when the flow is deployed (a missing secret fails the deploy with SECRET_MISSING). For a bearer token,
\`auth: { "$secret": "webhook-token" }\` sends \`Authorization: Bearer <token>\` (not together with an
Authorization header).

**Store-and-forward**: every message goes into a buffer in the data directory (\`outbox/<flow>/<node>.log\`,
in memory when the runtime has none) and leaves it only once the receiver answered. A network error, a
timeout (\`timeoutMs\`) or a status 408, 425, 429, 500, 502, 503 or 504 means the receiver is away: the
message stays at the head of the buffer and is tried again after \`backoff.initialMs\` · 2ⁿ (at most
\`backoff.maxMs\`) for as long as the outage lasts; the node's status shows \`reconnecting\` with the reason.
Meanwhile new messages queue behind it; past \`buffer.maxMessages\`/\`maxBytes\` the oldest are dropped
(BUFFER_OVERFLOW), past \`maxAgeMs\` they expire (BUFFER_EXPIRED), both logged and counted
(\`buffer_dropped_overflow\`, \`buffer_dropped_expired\`). Once the receiver answers, the buffer drains in
order. The buffer survives a restart: what was not delivered is sent after the flow starts again.

**Refused messages**: any other non-2xx status (400 bad body, 401/403 token, 404 wrong URL, 413, 422 ...)
cannot be fixed by retrying: the message leaves the buffer at once and goes to the error port as
HTTP_DELIVERY_REJECTED with the URL, the status and the attempts (counted: \`rejected\`); the next message is
sent. Counted as well: \`delivered\`, \`retries\` (rounds that failed and were tried again).

**Order and duplicates**: \`maxInFlight\` requests are sent at once (default 1: strictly in order). A message is
delivered at least once: when a request in a round fails, that message and the ones after it are sent
again, and a request cut off by a stop is repeated after the restart.

Out (\`sent\`): the message, with \`meta.http: { status, attempts }\` added.

Example: \`{ "url": "https://ops.example.com/hooks/alarms", "headers": { "Authorization": { "$secret": "ops-hook" } }, "buffer": { "maxMessages": 10000 } }\``,
  config: Config({
    url: Type.String({ minLength: 1, pattern: "^https?://", description: "Receiver URL (http:// or https://)." }),
    method: Type.Enum(["POST", "PUT"], { default: "POST", description: "HTTP method." }),
    body: Type.Enum(["message", "payload"], { default: "message", description: "Send the whole message (topic, key, ts, payload, meta) or only its payload." }),
    headers: Type.Record(
      Type.String(),
      Type.Union([Type.String({ description: "A plain header value." }), Secret("A header value from the secret store (tokens, API keys).")], {
        description: "A header value, plain or a secret reference.",
      }),
      { default: {}, description: "Extra request headers; Content-Type is always application/json." },
    ),
    auth: Type.Optional(Secret("Bearer token sent as Authorization: Bearer <token>")),
    timeoutMs: Type.Integer({ minimum: 1, default: 10_000, unit: "ms", description: "Give up on one attempt after this long (the message stays buffered and is tried again)." }),
    backoff: Type.Object(
      {
        initialMs: Type.Integer({ minimum: 0, default: 500, unit: "ms", description: "Wait before the first retry; doubles for each further one." }),
        maxMs: Type.Integer({ minimum: 0, default: 30_000, unit: "ms", description: "Longest wait between two attempts." }),
      },
      { additionalProperties: false, default: {}, description: "Exponential backoff while the receiver is away." },
    ),
    maxInFlight: Type.Integer({ minimum: 1, maximum: MAX_IN_FLIGHT, default: 1, description: "Requests open at once; 1 delivers strictly in order." }),
    buffer: Type.Object({
      maxMessages: Type.Integer({ minimum: 1, default: 100_000, description: "Most messages kept while the receiver is away." }),
      maxBytes: Type.Integer({ minimum: 1024, default: 64 * 1024 * 1024, unit: "bytes", description: "Most bytes kept." }),
      maxAgeMs: Type.Integer({ minimum: 0, default: 86_400_000, unit: "ms", description: "Older messages are dropped unsent; 0 keeps them." }),
    }, { additionalProperties: false, default: {}, description: "Store-and-forward limits." }),
  }),
  inputs: { in: { kind: "any", description: "Messages to deliver." } },
  outputs: { sent: { kind: "any", description: "Delivered messages, with meta.http: { status, attempts }." } },
  orderBy: "key",
  examples: [
    { title: "Alarm webhook", config: { url: "https://ops.example.com/hooks/alarms", headers: { Authorization: { $secret: "ops-hook" } } } },
    { title: "Historian, payload only, a week of buffer", description: "PUTs only the payload; keeps up to a week (or 1 M messages) while the historian is down.",
      config: { url: "http://historian.local:8080/api/points", method: "PUT", body: "payload", buffer: { maxMessages: 1_000_000, maxAgeMs: 604_800_000 } } },
    { title: "Fast, order not needed", description: "Eight requests at once, retries start after 100 ms.", config: { url: "http://erp.local/api/events", maxInFlight: 8, backoff: { initialMs: 100, maxMs: 5000 } } },
  ],
  check(config) {
    const problems = config.backoff.initialMs > config.backoff.maxMs ? [{ path: "backoff.maxMs", message: `must be >= backoff.initialMs (${config.backoff.initialMs})` }] : [];
    // Two Authorization headers would leave it unclear which one the receiver sees.
    const alsoInHeaders = config.auth !== undefined && Object.keys(config.headers).some((name) => name.toLowerCase() === "authorization");
    return alsoInHeaders ? [...problems, { path: "auth", message: "set either auth or an Authorization header, not both" }] : problems;
  },
  create(config, ctx) {
    const headers: Record<string, string> = { "content-type": "application/json" };
    for (const [name, value] of Object.entries(config.headers)) headers[name.toLowerCase()] = typeof value === "string" ? value : ctx.secret(value);
    if (config.auth !== undefined) headers["authorization"] = `Bearer ${ctx.secret(config.auth)}`;
    const outbox = ctx.use(OUTBOXES).open<Message>(ctx, config.buffer);
    const errors: NodeContext<string> = ctx; // the implicit error port is not among the declared outputs
    const aborts = new AbortController();
    /** How many rounds each message of the head was sent in (at most maxInFlight entries, aligned with the buffer's head). */
    let sentIn: number[] = [];
    let pumping: Promise<void> | undefined;
    let failedRounds = 0;
    let wait: { timer: TimerHandle; resolve: () => void } | undefined;
    let closed = false;

    async function attempt(msg: Message): Promise<Outcome> {
      try {
        const response = await fetch(config.url, {
          method: config.method,
          headers,
          body: JSON.stringify(config.body === "payload" ? msg.payload : msg),
          signal: AbortSignal.any([aborts.signal, AbortSignal.timeout(config.timeoutMs)]),
        });
        await response.body?.cancel(); // the answer's body is not used; free the socket
        if (response.ok) return { ok: true, status: response.status };
        return { ok: false, retry: RETRIED_STATUSES.has(response.status), reason: `${response.status} ${response.statusText}`.trim(), status: response.status };
      } catch (error) {
        const timedOut = error instanceof Error && error.name === "TimeoutError";
        const cause = error instanceof Error && error.cause instanceof Error ? `: ${errorMessage(error.cause)}` : "";
        return { ok: false, retry: true, reason: timedOut ? `no answer within ${config.timeoutMs} ms` : `${errorMessage(error)}${cause}` };
      }
    }

    const reportDrops = dropReporter(outbox, ctx);
    function countDrops(): void {
      const lost = reportDrops();
      if (lost > 0) sentIn = sentIn.slice(Math.min(lost, sentIn.length)); // dropped from the head
    }

    function reject(msg: Message, attempts: number, reason: string, status: number | undefined): void {
      ctx.metrics.count("rejected");
      const error = new AiotError("HTTP_DELIVERY_REJECTED", `${config.method} ${config.url} refused the message (${reason}); not retried`, {
        url: config.url, attempts, node: ctx.nodeId, ...(status !== undefined ? { status } : {}),
      });
      ctx.log.warn(error.message, { code: error.code, ...(status !== undefined ? { status } : {}) });
      errors.emit(ERROR_PORT, { topic: msg.topic, ...(msg.key !== undefined ? { key: msg.key } : {}), ts: msg.ts, payload: { ...error.toJSON(), input: msg }, meta: { ...msg.meta, error: error.code } });
    }

    const pause = (ms: number) => new Promise<void>((resolve) => {
      wait = { timer: ctx.clock.setTimeout(() => resolve(), ms), resolve };
    });

    /** Sends the buffer's head, `maxInFlight` at a time, until it is empty or the node closes. */
    async function drain(): Promise<void> {
      while (!closed && outbox.length > 0) {
        const batch = outbox.peek(config.maxInFlight);
        countDrops();
        if (batch.length === 0) break;
        while (sentIn.length < batch.length) sentIn.push(0); // only the head is tracked: a backlog costs nothing here
        const tries = batch.map((_, i) => ++sentIn[i]!);
        const droppedBefore = outbox.dropped.overflow;
        const outcomes = await Promise.all(batch.map(attempt));
        if (closed) break; // cut off: the buffer keeps them for the next start
        // A full buffer may have dropped some of this round's messages from its head meanwhile.
        const goneMeanwhile = outbox.dropped.overflow - droppedBefore;
        // Settle messages in order up to the first one the receiver may still take later.
        let settled = 0;
        for (; settled < batch.length; settled++) {
          const outcome = outcomes[settled]!;
          const msg = batch[settled]!;
          const attempts = tries[settled]!;
          if (outcome.ok) {
            ctx.metrics.count("delivered");
            ctx.emit("sent", { ...msg, meta: { ...msg.meta, http: { status: outcome.status, attempts } } });
          } else if (!outcome.retry) reject(msg, attempts, outcome.reason, outcome.status);
          else break;
        }
        const stillBuffered = Math.max(0, settled - goneMeanwhile);
        outbox.ack(stillBuffered);
        sentIn = sentIn.slice(stillBuffered);
        const failed = outcomes[settled];
        if (failed === undefined || failed.ok) {
          if (failedRounds > 0) {
            ctx.log.info(`${config.url} answers again; delivering ${outbox.length} buffered message(s)`);
            ctx.status({ state: "running", text: `delivering to ${config.url}` });
          }
          failedRounds = 0;
          continue;
        }
        const delayMs = Math.min(config.backoff.maxMs, config.backoff.initialMs * 2 ** failedRounds);
        if (failedRounds === 0) ctx.log.warn(`${config.url} unreachable (${failed.reason}); buffering and retrying`, { code: "HTTP_DELIVERY_FAILED" });
        failedRounds++;
        ctx.metrics.count("retries");
        ctx.status({ state: "reconnecting", text: `${config.url}: ${failed.reason}; retrying in ${delayMs} ms, ${outbox.length} buffered` });
        await pause(delayMs);
      }
      countDrops();
    }

    function kick(): void {
      // A microtask later, so a burst handed over in one engine slice fills a whole round of maxInFlight.
      pumping ??= Promise.resolve().then(drain).finally(() => {
        pumping = undefined;
        if (!closed && outbox.length > 0) kick(); // pushed while the last round was settling
      });
    }

    // A buffer left over from before a restart drains once the flow is wired (create itself does no I/O).
    if (outbox.length > 0) setImmediate(kick);
    return {
      onMessage(msg) {
        try {
          outbox.push(msg);
        } catch (error) {
          throw new AiotError("MESSAGE_SHAPE_INVALID", `the message cannot be sent as JSON: ${errorMessage(error)}`);
        }
        countDrops();
        kick();
      },
      async close() {
        closed = true;
        aborts.abort();
        wait?.timer.cancel();
        wait?.resolve();
        await pumping;
        outbox.close();
      },
    };
  },
});
