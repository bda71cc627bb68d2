/**
 * One listener of the live events, whatever carries them: a WebSocket or a Server-Sent Events
 * response. The hub sees only the Transport, so both get the same limits and the same closes.
 */
import { rateWindow, type RateWindow } from "./rate-window.ts";
import { slowClient, type SlowClient, type SlowClientLimits } from "./slow-client.ts";

/** What a client is sent through: a WebSocket, or a Server-Sent Events response (curl -N). */
export interface Transport {
  send(text: string): void;
  /** Bytes accepted but not yet written to the network. */
  buffered(): number;
  close(code: number, reason: string): void;
  terminate(): void;
  /** Keep-alive; resolves liveness through `Client.alive` (set back by a pong, or at once for SSE). */
  ping(): void;
}

/** What a client asked for when it was admitted. */
export interface Subscription {
  /** Only this flow's events; undefined: every flow's. */
  readonly flow: string | undefined;
  /** The token it connected with, checked again every `recheckMs`. */
  readonly token: string | undefined;
}

export interface Client extends Subscription {
  readonly out: Transport;
  readonly rate: RateWindow;
  readonly slow: SlowClient;
  /** False after a heartbeat until the client answers; still false at the next one: cut. */
  alive: boolean;
  /** Being closed: it gets nothing more. */
  closing: boolean;
}

export function newClient(out: Transport, subscription: Subscription, limits: SlowClientLimits & { readonly perFlowPerSecond: number }): Client {
  return { out, ...subscription, rate: rateWindow(limits.perFlowPerSecond), slow: slowClient(limits), alive: true, closing: false };
}

/**
 * Closes `client` with `code` and cuts it after `graceMs`: a client that never answers the close
 * handshake must not keep its socket, nor a stopping server, alive.
 */
export function closeClient(client: Client, code: number, reason: string, graceMs: number): void {
  client.closing = true;
  client.out.close(code, reason);
  setTimeout(() => client.out.terminate(), graceMs).unref();
}
