import { Type } from "typebox";
import type { ApiDeps } from "../deps.ts";
import { ApiError } from "../http-errors.ts";
import { defineRoute, type Route } from "../route.ts";
import { SecretInfoSchema } from "../schemas.ts";

/**
 * Secret names, never values: a value goes in and is never sent back, not even hashed (a hash of a
 * short password can be guessed). Flows reference secrets as `{ "$secret": "<name>" }`.
 */
export function secretRoutes({ secrets }: ApiDeps): Route[] {
  const target = (param: (name: string) => string) => `secret:${param("name")}`;
  return [
    defineRoute({
      method: "get",
      path: "/api/secrets",
      operationId: "secret.list",
      tag: "secrets",
      summary: "Names of the stored secrets (never their values)",
      access: "admin",
      responses: { 200: { description: "Names and when each was last set.", schema: Type.Object({ secrets: Type.Array(SecretInfoSchema) }) } },
      handler: () => ({ body: { secrets: secrets.list() } }),
    }),
    defineRoute({
      method: "put",
      path: "/api/secrets/:name",
      operationId: "secret.set",
      tag: "secrets",
      summary: "Store or replace a secret (encrypted at rest)",
      access: "admin",
      target,
      body: Type.Object({ value: Type.String({ minLength: 1, maxLength: 65536 }) }, { additionalProperties: false }),
      responses: {
        200: { description: "Replaced.", schema: Type.Object({ secret: SecretInfoSchema }) },
        201: { description: "Created.", schema: Type.Object({ secret: SecretInfoSchema }) },
      },
      handler: async (ctx) => {
        const name = ctx.param("name");
        const existed = secrets.has(name);
        await secrets.set(name, ctx.body.value);
        await ctx.audit({ detail: { replaced: existed } });
        const secret = secrets.list().find((s) => s.name === name) ?? { name, updatedAt: new Date().toISOString() };
        return { status: existed ? 200 : 201, body: { secret } };
      },
    }),
    defineRoute({
      method: "delete",
      path: "/api/secrets/:name",
      operationId: "secret.delete",
      tag: "secrets",
      summary: "Delete a secret (flows that reference it then fail to deploy with SECRET_MISSING)",
      access: "admin",
      target,
      responses: { 200: { description: "Deleted.", schema: Type.Object({ deleted: Type.String() }) } },
      handler: async (ctx) => {
        const name = ctx.param("name");
        if (!(await secrets.delete(name))) throw new ApiError("NOT_FOUND", `no secret "${name}"`, { path: "name" });
        await ctx.audit({});
        return { body: { deleted: name } };
      },
    }),
  ];
}
