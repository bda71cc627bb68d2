/**
 * Who may listen, the same for a WebSocket and an event stream: a viewer token, from the
 * Authorization header or from `?token=` (a browser cannot set headers on a WebSocket), and
 * optionally one flow (`?flow=<id>`). A refusal is audited by the gate and thrown as an ApiError.
 */
import type { IncomingMessage } from "node:http";
import { errorMessage } from "../../sdk/errors.ts";
import { bearerToken, type Gate } from "../auth.ts";
import { ApiError } from "../http-errors.ts";
import { isSafeId } from "../route.ts";
import type { Subscription } from "./client.ts";

export async function admitSubscriber(req: IncomingMessage, url: URL, gate: Pick<Gate, "admit">): Promise<Subscription> {
  const token = bearerToken(req.headers.authorization) ?? url.searchParams.get("token") ?? undefined;
  await gate.admit(req, "viewer", "events.subscribe", "events", token);
  const flow = url.searchParams.get("flow") ?? undefined;
  if (flow !== undefined && !isSafeId(flow)) throw new ApiError("ID_INVALID", "flow must be a flow id", { param: "flow" });
  return { flow, token };
}

/** What a failed subscription answers: its ApiError, or a 500 for anything unexpected. */
export function asRefusal(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError("API_INTERNAL", errorMessage(error), {}, 500);
}

/** The URL of a request, for its path and query (the host is irrelevant here). */
export function requestUrl(req: IncomingMessage): URL {
  return new URL(req.url ?? "/", "http://localhost");
}
