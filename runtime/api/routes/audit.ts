import { Type } from "typebox";
import type { ApiDeps } from "../deps.ts";
import { defineRoute, type Route } from "../route.ts";
import { AuditRecordSchema } from "../schemas.ts";

const DEFAULT_LIMIT = 100;

export function auditRoutes({ audit }: ApiDeps): Route[] {
  return [
    defineRoute({
      method: "get",
      path: "/api/audit",
      operationId: "audit.list",
      tag: "audit",
      summary: "Audit records: who changed, deployed or was refused what, when, with content hashes",
      access: "operator",
      query: Type.Object(
        {
          since: Type.Optional(Type.Integer({ minimum: 0, description: "Only records after this sequence number." })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: `At most this many (default ${DEFAULT_LIMIT}).` })),
        },
        { additionalProperties: false },
      ),
      description: "Without `since`: the latest `limit` records. With `since`: the first `limit` records after it, to page forward. Oldest first either way.",
      responses: { 200: { description: "Oldest first.", schema: Type.Object({ records: Type.Array(AuditRecordSchema) }) } },
      handler: (ctx) => ({ body: { records: audit.list({ ...(ctx.query.since !== undefined && { since: ctx.query.since }), limit: ctx.query.limit ?? DEFAULT_LIMIT }) } }),
    }),
    defineRoute({
      method: "get",
      path: "/api/audit/verify",
      operationId: "audit.verify",
      tag: "audit",
      summary: "Check the audit log's hash chain (as `aiotflow audit verify`)",
      access: "operator",
      responses: {
        200: {
          description: "ok, or the first record where the chain breaks.",
          schema: Type.Object({ ok: Type.Boolean(), records: Type.Integer(), brokenAt: Type.Optional(Type.Integer()), reason: Type.Optional(Type.String()) }),
        },
      },
      handler: () => ({ body: audit.verify() }),
    }),
  ];
}
