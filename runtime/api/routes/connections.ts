import { Type } from "typebox";
import { ERROR_CATALOGUE, type ErrorCode } from "../../sdk/errors.ts";
import type { ApiDeps } from "../deps.ts";
import { ApiError } from "../http-errors.ts";
import { defineRoute, type Route } from "../route.ts";

const ConnectionTypeSchema = Type.Object({
  type: Type.String(),
  title: Type.String(),
  summary: Type.String(),
  docs: Type.Optional(Type.String()),
  config: Type.Unknown({ description: "JSON Schema of the connection's config." }),
  examples: Type.Array(Type.Object({ title: Type.String(), config: Type.Unknown() })),
});

const TestReplySchema = Type.Object({
  ok: Type.Boolean(),
  durationMs: Type.Optional(Type.Number({ description: "How long opening and closing took." })),
  code: Type.Optional(Type.String({ description: "Why it failed: CONNECTION_REFUSED, CONNECTION_AUTH_FAILED, CONNECTION_TLS_FAILED, ..." })),
  message: Type.Optional(Type.String()),
  hint: Type.Optional(Type.String()),
  problems: Type.Optional(Type.Array(Type.Unknown(), { description: "Every config problem, each with its path." })),
});

/** Connection types (for the editor's connection form) and "test connection". */
export function connectionRoutes({ connections }: ApiDeps): Route[] {
  const available = () => {
    if (!connections) throw new ApiError("SERVICE_UNAVAILABLE", "this server runs no connection supervisor", {}, 503);
    return connections;
  };
  return [
    defineRoute({
      method: "get",
      path: "/api/connections/types",
      operationId: "connection.types",
      tag: "connections",
      summary: "Every connection type: config JSON Schema, docs, examples",
      access: "viewer",
      responses: { 200: { description: "The connection types.", schema: Type.Object({ types: Type.Array(ConnectionTypeSchema) }) } },
      errors: { 503: "The server runs no connection supervisor." },
      handler: () => ({
        body: {
          types: [...available().types.values()].map((d) => ({
            type: d.type, title: d.title, summary: d.summary, ...(d.docs ? { docs: d.docs } : {}), config: d.config, examples: d.examples,
          })),
        },
      }),
    }),
    defineRoute({
      method: "post",
      path: "/api/connections/test",
      operationId: "connection.test",
      tag: "connections",
      summary: "Test a connection: validate its config, open it once and close it; answers ok or the coded reason",
      access: "editor",
      body: Type.Object({
        type: Type.String({ minLength: 1, description: "Connection type, e.g. mqtt-broker." }),
        config: Type.Record(Type.String(), Type.Unknown(), { default: {}, description: "The connection's config, as in a flow's `connections`." }),
      }, { additionalProperties: false }),
      responses: { 200: { description: "The outcome: ok, or the code and message of the failure.", schema: TestReplySchema } },
      errors: { 503: "The server runs no connection supervisor." },
      handler: async (ctx) => {
        const result = await available().test(ctx.body.type, ctx.body.config);
        if (result.ok) return { body: result };
        const hint = Object.hasOwn(ERROR_CATALOGUE, result.code) ? ERROR_CATALOGUE[result.code as ErrorCode] : undefined;
        return { body: { ...result, ...(hint ? { hint } : {}) } };
      },
    }),
  ];
}
