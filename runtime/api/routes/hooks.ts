import { Type } from "typebox";
import type { ApiDeps } from "../deps.ts";
import { ApiError } from "../http-errors.ts";
import { defineRoute, type Route } from "../route.ts";

/**
 * Webhooks of running http-in nodes. Public as far as user tokens go: each http-in node checks its
 * own source token (a secret) and answers 202, 401, 400 or 503 itself.
 */
export function hookRoutes({ ingress }: ApiDeps): Route[] {
  return [
    defineRoute({
      method: "post",
      path: "/api/hooks/:flow/:node",
      operationId: "hook.receive",
      tag: "hooks",
      summary: "Deliver readings to a running http-in node (its source token, not a user token)",
      description: "Send a JSON object or an array of objects with `Authorization: Bearer <source token>`; see the http-in node's docs.",
      access: "public",
      params: { flow: "Id of the running flow.", node: "Id of the http-in node in it." },
      body: Type.Unknown({ description: "A JSON object, or an array of up to 1000 objects." }),
      responses: { 202: { description: "Accepted.", schema: Type.Object({ accepted: Type.Integer() }) } },
      errors: {
        400: "Not a JSON object or array of objects (HTTP_BODY_INVALID), or not JSON (API_BODY_MALFORMED).",
        401: "Missing or wrong source token (HTTP_TOKEN_INVALID).",
        404: "No running http-in node at this path.",
        503: "The flow is saturated (HTTP_BUSY, with Retry-After), or this server has no webhook ingress.",
      },
      handler: (ctx) => {
        if (!ingress) throw new ApiError("SERVICE_UNAVAILABLE", "this server runs no webhook ingress", {}, 503);
        const headers = Object.fromEntries(Object.entries(ctx.request.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : v]));
        const reply = ingress.dispatch(ctx.param("flow"), ctx.param("node"), headers, ctx.body);
        return { status: reply.status, body: reply.body, ...(reply.headers ? { headers: reply.headers } : {}) };
      },
    }),
  ];
}
