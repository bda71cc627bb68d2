/**
 * Live events over a WebSocket at /api/events: debug messages, node status changes, errors with
 * their codes and deploy progress from the local runtime, optionally for one flow (`?flow=<id>`).
 *
 * A slow client never slows a flow: the runtime's listener only serialises an event once and hands
 * it to each socket whose unsent data is under a bound (`ws.bufferedAmount`); past it the event is
 * dropped and counted, and a client stuck past the bound for `stuckMs` is closed with 1013 (try
 * again later). Per client, debug, status and error events are limited per flow per second; what
 * is over the limit is counted and reported once a second as `{ type: "debug-dropped", flowId, count }`.
 *
 * The last `historyPerFlow` debug events of each flow are kept in a bounded ring and sent, marked
 * `replayed: true`, to a client that subscribes to that flow: whoever opens the editor after an
 * alarm fired still sees it.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import type { Logger } from "../sdk/define.ts";
import { errorMessage } from "../sdk/errors.ts";
import type { LocalRuntime, RuntimeEvent } from "../local/local-runtime.ts";
import { bearerToken, type Gate } from "./auth.ts";
import { ApiError, errorBody, statusOf } from "./http-errors.ts";
import { crossSiteProblem } from "./request-guard.ts";
import { defineRoute, isSafeId, type Route } from "./route.ts";

export const EVENTS_PATH = "/api/events";
const WINDOW_MS = 1000;
const HEARTBEAT_MS = 30_000;
/** A debug message bigger than this is sent as a note of its size instead. */
const MAX_EVENT_BYTES = 64 * 1024;

export interface EventLimits {
  /** Debug, status and error events per flow per second each client gets (default 50); deploy events are never limited. */
  readonly perFlowPerSecond?: number;
  /** Unsent bytes a client may have before events to it are dropped (default 1 MiB). */
  readonly maxBufferedBytes?: number;
  /** A client over the buffer bound this long is closed with 1013 (default 10 s). */
  readonly stuckMs?: number;
  /** After a 1013 close, how long the client gets to read it before the socket is cut (default 2 s). */
  readonly closeGraceMs?: number;
  /** How often drop notes, stuck clients and heartbeats are looked at (default 250 ms). */
  readonly tickMs?: number;
  /**
   * How often each client's token is checked again (default 5 s): a client whose token was revoked
   * or expired, or whose user was disabled, is closed (WebSocket 1008, SSE: the response ends).
   */
  readonly recheckMs?: number;
  /** Debug events kept per flow and replayed to a client subscribing to that flow (default 100; 0 keeps none). */
  readonly historyPerFlow?: number;
}

export interface EventStats {
  readonly clients: number;
  readonly droppedRate: number;
  readonly droppedSlow: number;
  readonly closedSlow: number;
}

export interface EventHub {
  attach(server: Server): void;
  /** Serves the events as text/event-stream on a plain GET (curl -N). */
  stream(req: IncomingMessage, res: ServerResponse): Promise<void>;
  stats(): EventStats;
  close(): void;
}

/** What a client is sent through: a WebSocket, or a Server-Sent Events response (curl -N). */
interface Transport {
  send(text: string): void;
  /** Bytes accepted but not yet written to the network. */
  buffered(): number;
  close(code: number, reason: string): void;
  terminate(): void;
  /** Keep-alive; resolves liveness through `Client.alive` (set back by a pong, or at once for SSE). */
  ping(): void;
}

interface Client {
  readonly out: Transport;
  readonly flow: string | undefined;
  /** The token it connected with, checked again every `recheckMs`. */
  readonly token: string | undefined;
  /** Events sent this window, and events dropped over the rate, by `type flowId`. */
  sent: Map<string, number>;
  dropped: Map<string, { type: string; flowId: string; count: number }>;
  slowDropped: number;
  stuckSince: number | undefined;
  alive: boolean;
  closing: boolean;
}

export function createEventHub(deps: { runtime: LocalRuntime; gate: Gate; auth: boolean; limits?: EventLimits | undefined; logger?: Logger | undefined }): EventHub {
  const perSecond = deps.limits?.perFlowPerSecond ?? 50;
  const maxBuffered = deps.limits?.maxBufferedBytes ?? 1024 * 1024;
  const stuckMs = deps.limits?.stuckMs ?? 10_000;
  const closeGraceMs = deps.limits?.closeGraceMs ?? 2000;
  const recheckMs = deps.limits?.recheckMs ?? 5000;
  const askedHistory = deps.limits?.historyPerFlow ?? 100;
  // A nonsense bound (NaN, negative) keeps nothing rather than an unbounded ring.
  const historyPerFlow = Number.isFinite(askedHistory) ? Math.max(0, Math.floor(askedHistory)) : 0;
  /** Flow id -> its last debug events, oldest first; a bounded ring (the oldest falls off). */
  const history = new Map<string, RuntimeEvent[]>();
  let lastRecheck = Date.now();
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  const clients = new Set<Client>();
  const totals = { droppedRate: 0, droppedSlow: 0, closedSlow: 0 };
  const servers = new Map<Server, (req: IncomingMessage, socket: Duplex, head: Buffer) => void>();
  let windowStart = Date.now();
  let lastHeartbeat = Date.now();

  const sendJson = (client: Client, value: unknown) => client.out.send(JSON.stringify(value));

  const remember = (event: RuntimeEvent) => {
    if (event.type !== "debug" || historyPerFlow === 0) return;
    const ring = history.get(event.flowId) ?? [];
    ring.push(event);
    if (ring.length > historyPerFlow) ring.splice(0, ring.length - historyPerFlow);
    history.set(event.flowId, ring);
  };

  const onEvent = (event: RuntimeEvent) => {
    remember(event);
    let text: string | undefined;
    for (const client of clients) {
      if (client.closing || (client.flow !== undefined && client.flow !== event.flowId)) continue;
      if (event.type !== "deploy") {
        const key = `${event.type} ${event.flowId}`;
        const sent = client.sent.get(key) ?? 0;
        if (sent >= perSecond) {
          const note = client.dropped.get(key) ?? { type: event.type, flowId: event.flowId, count: 0 };
          note.count++;
          client.dropped.set(key, note);
          totals.droppedRate++;
          continue;
        }
        client.sent.set(key, sent + 1);
      }
      if (client.out.buffered() > maxBuffered) {
        client.slowDropped++;
        client.stuckSince ??= Date.now();
        totals.droppedSlow++;
        continue;
      }
      text ??= serialise(event);
      try {
        client.out.send(text);
      } catch (error) {
        // Never let one socket's trouble reach the runtime that emitted the event.
        deps.logger?.warn("cannot send a live event", { error: errorMessage(error) });
      }
    }
  };

  const tick = () => {
    const now = Date.now();
    const newWindow = now - windowStart >= WINDOW_MS;
    const heartbeat = now - lastHeartbeat >= HEARTBEAT_MS;
    if (newWindow) windowStart = now;
    if (heartbeat) lastHeartbeat = now;
    const recheck = deps.auth && now - lastRecheck >= recheckMs;
    if (recheck) lastRecheck = now;
    for (const client of clients) {
      if (client.closing) continue;
      if (recheck) {
        const result = deps.gate.check(client.token);
        if (!result.ok) {
          closeRevoked(client, result.error.message);
          continue;
        }
      }
      const over = client.out.buffered() > maxBuffered;
      if (!over) client.stuckSince = undefined;
      else client.stuckSince ??= now;
      if (client.stuckSince !== undefined && now - client.stuckSince >= stuckMs) {
        closeSlow(client);
        continue;
      }
      if (newWindow) {
        client.sent = new Map();
        // Notes wait while the client is behind: they would only be dropped too.
        if (!over) {
          for (const note of client.dropped.values()) sendJson(client, { type: `${note.type}-dropped`, flowId: note.flowId, count: note.count });
          if (client.slowDropped > 0) sendJson(client, { type: "dropped", reason: "slow-client", count: client.slowDropped });
          client.dropped = new Map();
          client.slowDropped = 0;
        }
      }
      if (heartbeat) {
        if (!client.alive) client.out.terminate();
        client.alive = false;
        client.out.ping();
      }
    }
  };

  const closeSlow = (client: Client) => {
    client.closing = true;
    totals.closedSlow++;
    deps.logger?.warn("closing a live-event client that does not read", { buffered: client.out.buffered() });
    client.out.close(1013, "client too slow: events were dropped");
    setTimeout(() => client.out.terminate(), closeGraceMs).unref();
  };

  /** 1008 (policy violation): the token this client connected with is no longer accepted. */
  const closeRevoked = (client: Client, why: string) => {
    client.closing = true;
    client.out.close(1008, why.slice(0, 120));
    setTimeout(() => client.out.terminate(), closeGraceMs).unref();
  };

  let unsubscribe: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;

  const refuse = (socket: Duplex, error: ApiError) => {
    const body = JSON.stringify(errorBody(error));
    const status = statusOf(error);
    socket.end(
      `HTTP/1.1 ${status} ${status === 401 ? "Unauthorized" : status === 403 ? "Forbidden" : status === 404 ? "Not Found" : "Bad Request"}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  };

  const upgrade = (server: Server) => async (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== EVENTS_PATH) {
      // Another upgrade listener may own this path; if there is none, say so instead of hanging.
      if (server.listenerCount("upgrade") === 1) refuse(socket, new ApiError("API_ROUTE_UNKNOWN", `no WebSocket at ${url.pathname}`));
      return;
    }
    try {
      const origin = req.headers.origin;
      if (!deps.auth && origin !== undefined && hostOf(origin) !== req.headers.host) {
        // Without tokens, only the server's own pages may listen: no other site's script.
        throw new ApiError("AUTH_FORBIDDEN", `cross-origin WebSocket from ${origin} refused in --no-auth mode`, {}, 403);
      }
      // DNS rebinding in --no-auth mode: a Host that is not a loopback name.
      const rebound = deps.auth ? undefined : crossSiteProblem(req, false);
      if (rebound) throw rebound;
      const token = bearerToken(req.headers.authorization) ?? url.searchParams.get("token") ?? undefined;
      await deps.gate.admit(req, "viewer", "events.subscribe", "events", token);
      const flow = url.searchParams.get("flow") ?? undefined;
      if (flow !== undefined && !isSafeId(flow)) throw new ApiError("ID_INVALID", "flow must be a flow id", { param: "flow" });
      wss.handleUpgrade(req, socket, head, (ws) => addSocket(ws, flow, token));
    } catch (error) {
      refuse(socket, error instanceof ApiError ? error : new ApiError("API_INTERNAL", errorMessage(error), {}, 500));
    }
  };

  const addClient = (out: Transport, flow: string | undefined, token: string | undefined): Client => {
    const client: Client = { out, flow, token, sent: new Map(), dropped: new Map(), slowDropped: 0, stuckSince: undefined, alive: true, closing: false };
    clients.add(client);
    sendJson(client, { type: "hello", flow: flow ?? null, limits: { perFlowPerSecond: perSecond } });
    // History only for one flow's subscriber; not rate-limited, as it is bounded by the ring.
    for (const event of flow === undefined ? [] : (history.get(flow) ?? [])) client.out.send(serialise({ ...event, replayed: true }));
    return client;
  };

  const addSocket = (ws: WebSocket, flow: string | undefined, token: string | undefined) => {
    const client = addClient(
      {
        send: (text) => ws.send(text),
        buffered: () => ws.bufferedAmount,
        close: (code, reason) => ws.close(code, reason),
        terminate: () => ws.terminate(),
        ping: () => ws.ping(),
      },
      flow,
      token,
    );
    ws.on("pong", () => (client.alive = true));
    ws.on("error", () => ws.terminate());
    ws.on("close", () => clients.delete(client));
  };

  /** The same events as Server-Sent Events, for curl -N and EventSource. */
  const stream = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    let flow: string | undefined;
    let token: string | undefined;
    try {
      token = bearerToken(req.headers.authorization) ?? url.searchParams.get("token") ?? undefined;
      await deps.gate.admit(req, "viewer", "events.subscribe", "events", token);
      flow = url.searchParams.get("flow") ?? undefined;
      if (flow !== undefined && !isSafeId(flow)) throw new ApiError("ID_INVALID", "flow must be a flow id", { param: "flow" });
    } catch (error) {
      const refusal = error instanceof ApiError ? error : new ApiError("API_INTERNAL", errorMessage(error), {}, 500);
      res.writeHead(statusOf(refusal), { "content-type": "application/json" }).end(JSON.stringify(errorBody(refusal)));
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" });
    let client: Client | undefined;
    client = addClient(
      {
        send: (text) => void res.write(`data: ${text}\n\n`),
        buffered: () => res.writableLength,
        close: (_code, reason) => void res.end(`event: close\ndata: ${JSON.stringify({ reason })}\n\n`),
        terminate: () => res.destroy(),
        ping: () => {
          res.write(": keep-alive\n\n");
          if (client) client.alive = true;
        },
      },
      flow,
      token,
    );
    res.on("close", () => client && clients.delete(client));
  };

  return {
    attach(server) {
      unsubscribe ??= deps.runtime.subscribe(onEvent);
      timer ??= setInterval(tick, deps.limits?.tickMs ?? 250).unref();
      const listener = upgrade(server);
      const wrapped = (req: IncomingMessage, socket: Duplex, head: Buffer) => void listener(req, socket, head);
      servers.set(server, wrapped);
      server.on("upgrade", wrapped);
    },
    stream: async (req, res) => {
      unsubscribe ??= deps.runtime.subscribe(onEvent);
      timer ??= setInterval(tick, deps.limits?.tickMs ?? 250).unref();
      await stream(req, res);
    },
    stats: () => ({ clients: clients.size, ...totals }),
    close() {
      unsubscribe?.();
      if (timer) clearInterval(timer);
      for (const [server, listener] of servers) server.off("upgrade", listener);
      for (const client of clients) {
        client.out.close(1001, "server shutting down");
        // A client that never answers the close handshake must not keep a stopping server alive.
        setTimeout(() => client.out.terminate(), closeGraceMs).unref();
      }
      wss.close();
    },
  };
}

/** The host of an Origin header; undefined for `null` or anything unparsable (never the same host). */
function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

/** JSON of an event; a message that cannot be serialised or is too big is replaced by a note saying so. */
function serialise(event: RuntimeEvent & { readonly replayed?: true }): string {
  try {
    const text = JSON.stringify(event);
    if (text.length <= MAX_EVENT_BYTES || event.type !== "debug") return text;
    return JSON.stringify({ ...event, msg: { omitted: `message of ${text.length} characters is over the ${MAX_EVENT_BYTES} limit` } });
  } catch (error) {
    return JSON.stringify({ type: event.type, flowId: event.flowId, at: event.at, omitted: `cannot serialise: ${errorMessage(error)}` });
  }
}

/** Plain HTTP on the events path: say how to connect (and document the WebSocket in OpenAPI). */
export function eventsRoute(): Route {
  return defineRoute({
    method: "get",
    path: EVENTS_PATH,
    operationId: "events",
    tag: "events",
    summary: "Live events (WebSocket): debug messages, node status, errors, deploy progress",
    description:
      "Open with a WebSocket client; token in the Authorization header or `?token=`; `?flow=<id>` for one flow. Messages are JSON: " +
      '`{type:"debug",flowId,node,label,msg,at}`, `{type:"status",flowId,node,status,at}`, `{type:"error",flowId,node,code,message,at}`, ' +
      '`{type:"deploy",flowId,version,phase,detail?,at}`, and notes `{type:"debug-dropped",flowId,count}` (over 50 a second per flow) and ' +
      '`{type:"dropped",reason:"slow-client",count}`. A client that stops reading is closed with 1013. ' +
      "A client subscribing with `?flow=` first gets that flow's last 100 debug messages, each marked `replayed: true`. " +
      "A plain GET with `Accept: text/event-stream` (curl -N) gets the same events as Server-Sent Events; any other plain GET answers 426.",
    access: "public",
    responses: { 101: { description: "Switching to the WebSocket protocol." } },
    errors: { 426: "Not a WebSocket upgrade (API_UPGRADE_REQUIRED)." },
    handler: () => {
      throw new ApiError("API_UPGRADE_REQUIRED", `${EVENTS_PATH} is a WebSocket; open it with a WebSocket client`);
    },
  });
}
