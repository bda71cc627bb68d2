/**
 * Live events at /api/events (debug, status, errors, deploy progress; `?flow=<id>` for one flow)
 * over a WebSocket (socket.ts) or Server-Sent Events (sse.ts). The hub is the runtime's one
 * listener: it serialises an event once and offers it to each client within its rate
 * (rate-window.ts) and while it keeps up (slow-client.ts), so no client slows a flow. One timer
 * turns rate windows, closes stuck clients (1013), re-checks tokens (token-recheck.ts) and sends
 * heartbeats. A one-flow subscriber first gets that flow's last debug events (history.ts).
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Logger } from "../../sdk/define.ts";
import { errorMessage } from "../../sdk/errors.ts";
import type { LocalRuntime, RuntimeEvent } from "../../local/local-runtime.ts";
import type { Gate } from "../auth.ts";
import { closeClient, newClient, type Client, type Subscription, type Transport } from "./client.ts";
import { eventHistory } from "./history.ts";
import { eventSettings, type EventLimits } from "./limits.ts";
import { every } from "./periodic.ts";
import { serialise } from "./serialise.ts";
import { socketEndpoint } from "./socket.ts";
import { serveEventStream } from "./sse.ts";
import { tokenRecheck } from "./token-recheck.ts";

const WINDOW_MS = 1000;
const HEARTBEAT_MS = 30_000;

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

export interface EventHubDeps {
  readonly runtime: LocalRuntime;
  readonly gate: Pick<Gate, "admit" | "check">;
  readonly auth: boolean;
  readonly limits?: EventLimits | undefined;
  readonly logger?: Logger | undefined;
}

export function createEventHub(deps: EventHubDeps): EventHub {
  const settings = eventSettings(deps.limits);
  const history = eventHistory(settings.historyPerFlow);
  const clients = new Set<Client>();
  const totals = { droppedRate: 0, droppedSlow: 0, closedSlow: 0 };
  const start = Date.now();
  const newWindow = every(WINDOW_MS, start);
  const heartbeat = every(HEARTBEAT_MS, start);
  const recheck = tokenRecheck({ gate: deps.gate, auth: deps.auth, everyMs: settings.recheckMs, start });

  const sendJson = (client: Client, value: unknown) => client.out.send(JSON.stringify(value));

  const join = (out: Transport, subscription: Subscription): Client => {
    const client = newClient(out, subscription, settings);
    clients.add(client);
    sendJson(client, { type: "hello", flow: subscription.flow ?? null, limits: { perFlowPerSecond: settings.perFlowPerSecond } });
    // History only for one flow's subscriber; not rate-limited, as it is bounded by the ring.
    const replay = subscription.flow === undefined ? [] : history.of(subscription.flow);
    for (const event of replay) client.out.send(serialise({ ...event, replayed: true }));
    return client;
  };
  const leave = (client: Client) => void clients.delete(client);

  const onEvent = (event: RuntimeEvent) => {
    history.remember(event);
    let text: string | undefined;
    for (const client of clients) {
      if (client.closing || (client.flow !== undefined && client.flow !== event.flowId)) continue;
      // Deploy progress is rare and must never be lost: it is not rate-limited.
      if (event.type !== "deploy" && !client.rate.take(event.type, event.flowId)) {
        totals.droppedRate++;
        continue;
      }
      if (client.slow.drops(client.out.buffered())) {
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
    const windowTurns = newWindow(now);
    const beat = heartbeat(now);
    const checkTokens = recheck.due(now);
    for (const client of clients) {
      if (client.closing) continue;
      const refusal = checkTokens ? recheck.refusal(client.token) : undefined;
      if (refusal) {
        closeClient(client, refusal.code, refusal.reason, settings.closeGraceMs);
        continue;
      }
      const state = client.slow.state(client.out.buffered());
      if (state === "stuck") {
        totals.closedSlow++;
        deps.logger?.warn("closing a live-event client that does not read", { buffered: client.out.buffered() });
        closeClient(client, 1013, "client too slow: events were dropped", settings.closeGraceMs);
        continue;
      }
      if (windowTurns) {
        client.rate.restart();
        // Notes wait while the client is behind: they would only be dropped too.
        if (state === "reading") {
          for (const note of client.rate.takeNotes()) sendJson(client, note);
          const slowNote = client.slow.takeNote();
          if (slowNote) sendJson(client, slowNote);
        }
      }
      if (beat) {
        if (!client.alive) client.out.terminate();
        client.alive = false;
        client.out.ping();
      }
    }
  };

  const sockets = socketEndpoint({ gate: deps.gate, auth: deps.auth, join, leave });
  let unsubscribe: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  // The runtime is listened to from the first client transport on, not from construction.
  const listen = () => {
    unsubscribe ??= deps.runtime.subscribe(onEvent);
    timer ??= setInterval(tick, settings.tickMs).unref();
  };

  return {
    attach(server) {
      listen();
      sockets.attach(server);
    },
    async stream(req, res) {
      listen();
      await serveEventStream(req, res, { gate: deps.gate, join, leave });
    },
    stats: () => ({ clients: clients.size, ...totals }),
    close() {
      unsubscribe?.();
      if (timer) clearInterval(timer);
      for (const client of clients) closeClient(client, 1001, "server shutting down", settings.closeGraceMs);
      sockets.close();
    },
  };
}
