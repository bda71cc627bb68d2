import { AiotError, Config, defineNode, errorMessage, Secret, Type, type Message } from "../../runtime/sdk/index.ts";

/** Statuses worth another try: the receiver is overloaded, restarting or timed out. Other 4xx are final. */
const RETRIED_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);
/** The most deliveries one node may have in flight; `maxInFlight` picks a lower bound per node. */
const MAX_IN_FLIGHT = 64;

type Outcome = { ok: true; status: number } | { ok: false; retry: boolean; reason: string; status?: number };

export default defineNode({
  type: "http-out",
  version: 1,
  family: "sinks",
  title: "HTTP out (webhook)",
  summary: "POSTs or PUTs each message as JSON to a URL, retrying with exponential backoff when the receiver fails.",
  docs: `
Sends every message as a JSON body to \`url\`: the whole message (\`{ topic, key, ts, payload, meta }\`) or
only its payload (\`body\`). Header values may be secret references, e.g.
\`"headers": { "Authorization": { "$secret": "webhook-token" } }\`, resolved from the runtime's secret store
when the flow is deployed (a missing secret fails the deploy with SECRET_MISSING). For a bearer token,
\`auth: { "$secret": "webhook-token" }\` sends \`Authorization: Bearer <token>\` (not together with an
Authorization header).

**Retries**: a network error, a timeout (\`timeoutMs\`) or a status 408, 425, 429, 500, 502, 503 or 504 is
tried again up to \`retries\` times, waiting \`backoff.initialMs\` · 2ⁿ (at most \`backoff.maxMs\`) between
tries. Any other non-2xx status is final at once. A message that could not be delivered goes to the error
port as HTTP_DELIVERY_FAILED with the URL, the last status or network error and the number of attempts;
the flow keeps running. Counted: \`delivered\`, \`retries\`, \`failed\`.

**Concurrency**: at most \`maxInFlight\` requests are open at once (1 keeps messages in order). Retries wait
in memory only: messages in flight are lost when the process stops (there is no disk buffer for this
sink yet).

Out (\`sent\`): the message, with \`meta.http: { status, attempts }\` added.

Example: \`{ "url": "https://ops.example.com/hooks/alarms", "headers": { "Authorization": { "$secret": "ops-hook" } }, "retries": 5 }\``,
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
    timeoutMs: Type.Integer({ minimum: 1, default: 10_000, unit: "ms", description: "Give up on one attempt after this long (then retry)." }),
    retries: Type.Integer({ minimum: 0, maximum: 20, default: 3, description: "Further attempts after the first failed one." }),
    backoff: Type.Object(
      {
        initialMs: Type.Integer({ minimum: 0, default: 500, unit: "ms", description: "Wait before the first retry; doubles for each further one." }),
        maxMs: Type.Integer({ minimum: 0, default: 30_000, unit: "ms", description: "Longest wait between two attempts." }),
      },
      { additionalProperties: false, default: {}, description: "Exponential backoff between attempts." },
    ),
    maxInFlight: Type.Integer({ minimum: 1, maximum: MAX_IN_FLIGHT, default: 4, description: "Requests open at once; 1 delivers strictly in order." }),
  }),
  inputs: { in: { kind: "any", description: "Messages to deliver." } },
  outputs: { sent: { kind: "any", description: "Delivered messages, with meta.http: { status, attempts }." } },
  concurrency: MAX_IN_FLIGHT,
  examples: [
    { title: "Alarm webhook", config: { url: "https://ops.example.com/hooks/alarms", headers: { Authorization: { $secret: "ops-hook" } } } },
    { title: "In order, patient", description: "One request at a time, up to 8 retries, payload only.", config: { url: "http://historian.local:8080/api/points", method: "PUT", body: "payload", maxInFlight: 1, retries: 8 } },
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
    const aborts = new AbortController();
    let open = 0;
    const waiting: Array<() => void> = [];

    async function slot(): Promise<void> {
      if (open < config.maxInFlight) {
        open++;
        return;
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
    function release(): void {
      const next = waiting.shift();
      if (next) next(); // the slot passes straight on
      else open--;
    }

    const sleep = (ms: number) => new Promise<void>((resolve) => ctx.clock.setTimeout(resolve, ms));

    async function attempt(body: string): Promise<Outcome> {
      try {
        const response = await fetch(config.url, {
          method: config.method,
          headers,
          body,
          signal: AbortSignal.any([aborts.signal, AbortSignal.timeout(config.timeoutMs)]),
        });
        await response.body?.cancel(); // the answer's body is not used; free the socket
        if (response.ok) return { ok: true, status: response.status };
        return { ok: false, retry: RETRIED_STATUSES.has(response.status), reason: `${response.status} ${response.statusText}`.trim(), status: response.status };
      } catch (error) {
        const timedOut = error instanceof Error && error.name === "TimeoutError";
        const cause = error instanceof Error && error.cause instanceof Error ? `: ${errorMessage(error.cause)}` : "";
        return { ok: false, retry: !aborts.signal.aborted, reason: timedOut ? `no answer within ${config.timeoutMs} ms` : `${errorMessage(error)}${cause}` };
      }
    }

    async function deliver(msg: Message): Promise<void> {
      const body = JSON.stringify(config.body === "payload" ? msg.payload : msg);
      let attempts = 0;
      for (;;) {
        attempts++;
        const outcome = await attempt(body);
        if (outcome.ok) {
          ctx.metrics.count("delivered");
          ctx.emit("sent", { ...msg, meta: { ...msg.meta, http: { status: outcome.status, attempts } } });
          return;
        }
        if (!outcome.retry || attempts > config.retries) {
          ctx.metrics.count("failed");
          const tries = attempts === 1 ? "1 attempt" : `${attempts} attempts`;
          throw new AiotError("HTTP_DELIVERY_FAILED", `${config.method} ${config.url} failed after ${tries}: ${outcome.reason}`, {
            url: config.url,
            attempts,
            ...(outcome.status !== undefined ? { status: outcome.status } : {}),
          });
        }
        ctx.metrics.count("retries");
        await sleep(Math.min(config.backoff.maxMs, config.backoff.initialMs * 2 ** (attempts - 1)));
      }
    }

    return {
      async onMessage(msg) {
        await slot();
        try {
          await deliver(msg);
        } finally {
          release();
        }
      },
      close() {
        aborts.abort();
      },
    };
  },
});
