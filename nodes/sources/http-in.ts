import { timingSafeEqual, createHash } from "node:crypto";
import { AiotError, Config, defineNode, isRecord, Secret, Type, type Message } from "../../runtime/sdk/index.ts";
import { HTTP_INGRESS, type IngressEndpoint, type IngressReply, type IngressRequest } from "../../runtime/sdk/http-ingress.ts";
import { emitError } from "../lib/sources/emit-error.ts";

/** Most readings one request may carry (an array body). */
const MAX_BATCH = 1000;

/** Compares tokens in constant time (hashing first makes the lengths equal). */
function sameToken(given: string, expected: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function refused(status: number, error: AiotError, headers?: Record<string, string>): IngressReply {
  return { status, body: { error: error.toJSON() }, ...(headers ? { headers } : {}) };
}

export default defineNode({
  type: "http-in",
  version: 1,
  family: "sources",
  title: "HTTP in (webhook)",
  summary: "A webhook endpoint with its own token: each JSON object POSTed becomes a reading.",
  docs: `
Receives readings pushed over HTTP: \`POST /api/hooks/<flow id>/<node id>\` with a JSON object (or an array of
up to 1000 objects) and the token as \`Authorization: Bearer <token>\` (or \`X-Aiotflow-Token\`). The token
is a secret from the runtime's secret store (\`{ "$secret": "<name>" }\`), one per source.

Under \`aiotflow serve\` the admin API's port answers the hook (no user token needed: the source token is the
credential). Under \`aiotflow run\`, start the run with \`--http-port <port>\`; without it the flow does not
deploy (SERVICE_UNAVAILABLE naming the http-ingress service).

Answers: **202** \`{ accepted: n }\`; **401** HTTP_TOKEN_INVALID for a missing or wrong token; **400**
HTTP_BODY_INVALID for a body that is not an object (or array of objects), or whose time field is unreadable
(also sent to the error port, counted as \`invalid\`); **400** API_BODY_MALFORMED for a body that is not JSON;
**503** HTTP_BUSY with Retry-After while the flow is saturated (senders should retry); **404** when the
flow or node is not running.

Each object becomes \`{ topic: "<topic>/<key>", key, ts, payload, meta: { source } }\`: \`key\` from \`keyField\`,
\`ts\` from \`timeField\` (epoch ms or ISO 8601; arrival time when absent), \`payload\` the object without those
two fields.

Example: \`{ "token": { "$secret": "line-3-hook" }, "keyField": "device", "timeField": "time" }\``,
  config: Config({
    token: Secret("The token senders must present, from the secret store."),
    keyField: Type.Optional(Type.String({ minLength: 1, description: "Body field holding the device or asset id (the message key)." })),
    timeField: Type.Optional(Type.String({ minLength: 1, description: "Body field holding the event time (epoch ms or ISO 8601); arrival time when omitted or absent." })),
    topic: Type.String({ default: "http", description: "Topic, or topic prefix followed by /<key> when the key is known." }),
    retryAfterS: Type.Integer({ minimum: 1, default: 1, unit: "s", description: "Retry-After sent with 503 while the flow is saturated." }),
  }),
  inputs: {},
  outputs: { out: { kind: "reading", description: "One reading per JSON object received." } },
  examples: [
    { title: "Gateway webhook", config: { token: { $secret: "gateway-hook" }, keyField: "device", timeField: "time" } },
    { title: "Lab system", description: "Readings without device ids, stamped on arrival.", config: { token: { $secret: "lab-hook" }, topic: "lab" } },
  ],
  create(config, ctx) {
    const token = ctx.secret(config.token);
    const ingress = ctx.use(HTTP_INGRESS);
    let endpoint: IngressEndpoint | undefined;
    let saturated = false;

    function toMessage(item: unknown, index: number, now: number): Message | AiotError {
      if (!isRecord(item)) return new AiotError("HTTP_BODY_INVALID", `body${index >= 0 ? `[${index}]` : ""} is ${Array.isArray(item) ? "an array" : JSON.stringify(item)?.slice(0, 40)}, not a JSON object`, { path: `body${index >= 0 ? `[${index}]` : ""}` });
      const payload: Record<string, unknown> = { ...item };
      const key = config.keyField !== undefined ? payload[config.keyField] : undefined;
      const time = config.timeField !== undefined ? payload[config.timeField] : undefined;
      if (config.keyField !== undefined) delete payload[config.keyField];
      if (config.timeField !== undefined) delete payload[config.timeField];
      const ts = time === undefined ? now : typeof time === "number" ? time : typeof time === "string" ? Date.parse(time) : Number.NaN;
      if (!Number.isFinite(ts)) {
        return new AiotError("HTTP_BODY_INVALID", `${config.timeField} is ${JSON.stringify(time)}, not epoch ms or an ISO 8601 time`, { path: `body${index >= 0 ? `[${index}]` : ""}.${config.timeField}` });
      }
      const keyText = typeof key === "string" || typeof key === "number" ? String(key) : undefined;
      return { topic: keyText ? `${config.topic}/${keyText}` : config.topic, ...(keyText ? { key: keyText } : {}), ts, payload, meta: { source: ctx.nodeId } };
    }

    function handle(request: IngressRequest): IngressReply {
      const bearer = /^Bearer\s+(.+)$/i.exec(request.headers["authorization"] ?? "")?.[1] ?? request.headers["x-aiotflow-token"];
      if (bearer === undefined || !sameToken(bearer.trim(), token)) {
        ctx.metrics.count("unauthorized");
        return refused(401, new AiotError("HTTP_TOKEN_INVALID", bearer === undefined ? "no token: send Authorization: Bearer <token>" : "wrong token"));
      }
      if (saturated) {
        ctx.metrics.count("busy");
        return refused(503, new AiotError("HTTP_BUSY", `flow "${ctx.flowId}" is saturated; retry in ${config.retryAfterS} s`), { "retry-after": String(config.retryAfterS) });
      }
      const items = Array.isArray(request.body) ? request.body : [request.body];
      if (items.length > MAX_BATCH) return refused(400, new AiotError("HTTP_BODY_INVALID", `${items.length} readings in one request; at most ${MAX_BATCH}`, { path: "body" }));
      const now = ctx.clock.now();
      const messages: Message[] = [];
      for (let i = 0; i < items.length; i++) {
        const built = toMessage(items[i], Array.isArray(request.body) ? i : -1, now);
        if (built instanceof AiotError) {
          // Nothing of a bad batch is taken, so the sender can fix it and send the whole batch again.
          emitError(ctx, built, { topic: config.topic, ts: now }, "invalid");
          return refused(400, built);
        }
        messages.push(built);
      }
      for (const msg of messages) if (!ctx.emit("out", msg)) saturated = true;
      if (saturated) void ctx.writable().then(() => void (saturated = false));
      ctx.metrics.count("accepted", messages.length);
      return { status: 202, body: { accepted: messages.length } };
    }

    return {
      start() {
        endpoint = ingress.register(ctx.flowId, ctx.nodeId, handle);
        ctx.status({ state: "running", text: `listening on ${endpoint.path}` });
      },
      stop() {
        endpoint?.close();
        endpoint = undefined;
      },
    };
  },
});
