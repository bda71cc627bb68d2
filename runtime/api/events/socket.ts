/**
 * The WebSocket transport of the live events: the `upgrade` listener on each HTTP server that
 * admits a subscriber at EVENTS_PATH (refusing with a plain HTTP answer, never a hanging socket)
 * and hands the socket to the hub as a Transport.
 */
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import type { Gate } from "../auth.ts";
import { ApiError, errorBody, statusOf } from "../http-errors.ts";
import { crossSiteProblem } from "../request-guard.ts";
import type { Client, Subscription, Transport } from "./client.ts";
import { EVENTS_PATH } from "./events-route.ts";
import { admitSubscriber, asRefusal, requestUrl } from "./subscribe.ts";

export interface SocketDeps {
  readonly gate: Pick<Gate, "admit">;
  readonly auth: boolean;
  /** Registers an admitted client with the hub. */
  join(out: Transport, subscription: Subscription): Client;
  /** Forgets a client whose socket closed. */
  leave(client: Client): void;
}

export interface SocketEndpoint {
  /** Serves EVENTS_PATH upgrades on `server` (once per server). */
  attach(server: Server): void;
  /** Stops listening for upgrades; open sockets are the hub's to close. */
  close(): void;
}

/** Status lines for the refusals an upgrade can meet. */
const REASONS: Readonly<Record<number, string>> = { 401: "Unauthorized", 403: "Forbidden", 404: "Not Found" };

export function socketEndpoint(deps: SocketDeps): SocketEndpoint {
  // Small frames only: clients send nothing but pongs and closes.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  const servers = new Map<Server, (req: IncomingMessage, socket: Duplex, head: Buffer) => void>();

  const upgrade = async (server: Server, req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    const url = requestUrl(req);
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
      const subscription = await admitSubscriber(req, url, deps.gate);
      wss.handleUpgrade(req, socket, head, (ws) => addSocket(ws, subscription));
    } catch (error) {
      refuse(socket, asRefusal(error));
    }
  };

  const addSocket = (ws: WebSocket, subscription: Subscription) => {
    const client = deps.join(socketTransport(ws), subscription);
    ws.on("pong", () => (client.alive = true));
    ws.on("error", () => ws.terminate());
    ws.on("close", () => deps.leave(client));
  };

  return {
    attach(server) {
      const listener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void upgrade(server, req, socket, head);
      servers.set(server, listener);
      server.on("upgrade", listener);
    },
    close() {
      for (const [server, listener] of servers) server.off("upgrade", listener);
      servers.clear();
      wss.close();
    },
  };
}

export function socketTransport(ws: WebSocket): Transport {
  return {
    send: (text) => ws.send(text),
    buffered: () => ws.bufferedAmount,
    close: (code, reason) => ws.close(code, reason),
    terminate: () => ws.terminate(),
    ping: () => ws.ping(),
  };
}

/** Answers a refused upgrade in plain HTTP with the API's JSON error body, and ends the socket. */
function refuse(socket: Duplex, error: ApiError): void {
  const body = JSON.stringify(errorBody(error));
  const status = statusOf(error);
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? "Bad Request"}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** The host of an Origin header; undefined for `null` or anything unparsable (never the same host). */
function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}
