import { setTimeout as sleep } from "node:timers/promises";
import { Type } from "typebox";
import type { ApiDeps } from "../deps.ts";
import { ApiError } from "../http-errors.ts";
import { defineRoute, type Route } from "../route.ts";
import { PrincipalSchema, RoleSchema } from "../schemas.ts";

const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
const DEFAULT_FAILURE_DELAY_MS = 400;

export function authRoutes({ users, limits }: ApiDeps): Route[] {
  const failureDelay = limits?.loginFailureDelayMs ?? DEFAULT_FAILURE_DELAY_MS;
  return [
    defineRoute({
      method: "post",
      path: "/api/auth/login",
      operationId: "auth.login",
      tag: "auth",
      summary: "Exchange a username and password for a session token (12 h)",
      description: "A refused login answers 401 only after a fixed delay, whether the user exists or not, and is audited.",
      access: "public",
      body: Type.Object(
        { username: Type.String({ minLength: 1, maxLength: 200 }), password: Type.String({ minLength: 1, maxLength: 1024 }) },
        { additionalProperties: false },
      ),
      responses: {
        200: {
          description: "Send the token as `Authorization: Bearer <token>`.",
          schema: Type.Object({ token: Type.String(), expiresAt: Type.Optional(Type.String()), user: Type.Object({ username: Type.String(), role: RoleSchema }) }),
        },
      },
      errors: { 401: "Wrong username or password (AUTH_LOGIN_FAILED)." },
      handler: async (ctx) => {
        const started = performance.now();
        const { username } = ctx.body;
        const target = `user:${username.slice(0, 64)}`;
        const user = await users.checkPassword(username, ctx.body.password);
        if (!user || user.disabled) {
          // The same wait for an unknown user, a wrong password and a disabled account.
          await sleep(Math.max(0, failureDelay - (performance.now() - started)) + Math.random() * 50);
          await ctx.audit({ actor: username.slice(0, 64), target, outcome: "refused", detail: { from: ctx.request.socket.remoteAddress ?? "" } });
          throw new ApiError("AUTH_LOGIN_FAILED", "wrong username or password");
        }
        const { token, info } = await users.issueToken({ username: user.username, name: "login", kind: "session", ttlMs: SESSION_TTL_MS });
        await ctx.audit({ actor: user.username, target, detail: { tokenId: info.id } });
        return { body: { token, ...(info.expiresAt ? { expiresAt: info.expiresAt } : {}), user: { username: user.username, role: info.role } } };
      },
    }),

    defineRoute({
      method: "post",
      path: "/api/auth/logout",
      operationId: "auth.logout",
      tag: "auth",
      summary: "Revoke the token this request carries",
      access: "viewer",
      responses: { 200: { description: "Revoked (false in --no-auth mode, where there is no token).", schema: Type.Object({ revoked: Type.Boolean() }) } },
      handler: async (ctx) => {
        const tokenId = ctx.principal.tokenId;
        const revoked = tokenId === undefined ? false : await users.revokeToken(tokenId);
        if (revoked) await ctx.audit({ target: `token:${tokenId}` });
        return { body: { revoked } };
      },
    }),

    defineRoute({
      method: "get",
      path: "/api/auth/me",
      operationId: "auth.me",
      tag: "auth",
      summary: "Who the token belongs to and its role",
      access: "viewer",
      responses: { 200: { description: "The caller.", schema: Type.Object({ principal: PrincipalSchema }) } },
      handler: (ctx) => ({ body: { principal: ctx.principal } }),
    }),
  ];
}
