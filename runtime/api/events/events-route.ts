/** The events path as a route: it documents the WebSocket in OpenAPI, and a plain GET learns how to connect. */
import { Type } from "typebox";
import { ApiError } from "../http-errors.ts";
import { defineRoute, type Route } from "../route.ts";

export const EVENTS_PATH = "/api/events";

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
    query: Type.Object(
      {
        flow: Type.Optional(Type.String({ description: "Only this flow's events (and its last debug messages first)." })),
        token: Type.Optional(Type.String({ description: "The bearer token, for clients that cannot set a header." })),
      },
      { additionalProperties: false },
    ),
    responses: { 101: { description: "Switching to the WebSocket protocol." } },
    errors: { 426: "Not a WebSocket upgrade (API_UPGRADE_REQUIRED)." },
    handler: () => {
      throw new ApiError("API_UPGRADE_REQUIRED", `${EVENTS_PATH} is a WebSocket; open it with a WebSocket client`);
    },
  });
}
