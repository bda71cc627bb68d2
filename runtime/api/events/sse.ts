/**
 * The Server-Sent Events transport of the live events, for clients that cannot speak WebSocket
 * (curl -N, EventSource): the same admission, the same hub and limits, `data:` frames on a
 * text/event-stream response.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Gate } from "../auth.ts";
import { errorBody, statusOf } from "../http-errors.ts";
import type { Client, Subscription, Transport } from "./client.ts";
import { admitSubscriber, asRefusal, requestUrl } from "./subscribe.ts";

export interface StreamDeps {
  readonly gate: Pick<Gate, "admit">;
  /** Registers an admitted client with the hub. */
  join(out: Transport, subscription: Subscription): Client;
  /** Forgets a client whose response closed. */
  leave(client: Client): void;
}

/** Answers `req` with the event stream, or with the JSON error of a refused subscription. */
export async function serveEventStream(req: IncomingMessage, res: ServerResponse, deps: StreamDeps): Promise<void> {
  let subscription: Subscription;
  try {
    subscription = await admitSubscriber(req, requestUrl(req), deps.gate);
  } catch (error) {
    const refusal = asRefusal(error);
    res.writeHead(statusOf(refusal), { "content-type": "application/json" }).end(JSON.stringify(errorBody(refusal)));
    return;
  }
  // No buffering by a reverse proxy (nginx honours x-accel-buffering): events must arrive as they happen.
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" });
  let client: Client | undefined;
  client = deps.join(streamTransport(res, () => client), subscription);
  res.on("close", () => client && deps.leave(client));
}

/** `client()`: the client this transport carries, once joined (a ping proves liveness: a dead peer closes the response). */
export function streamTransport(res: ServerResponse, client: () => Client | undefined): Transport {
  return {
    send: (text) => void res.write(`data: ${text}\n\n`),
    buffered: () => res.writableLength,
    close: (_code, reason) => void res.end(`event: close\ndata: ${JSON.stringify({ reason })}\n\n`),
    terminate: () => res.destroy(),
    ping: () => {
      res.write(": keep-alive\n\n");
      const joined = client();
      if (joined) joined.alive = true;
    },
  };
}
