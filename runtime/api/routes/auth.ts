import { setTimeout as sleep } from "node:timers/promises";
import { Type } from "typebox";
import type { ApiDeps } from "../deps.ts";
import { ApiError } from "../http-errors.ts";
import { loginGuard } from "../login-guard.ts";
import { refusalRecorder } from "../refusal-audit.ts";
import { defineRoute, type Route } from "../route.ts";
import { PrincipalSchema, RoleSchema, UserRecordSchema } from "../schemas.ts";

const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
const DEFAULT_FAILURE_DELAY_MS = 400;
export const MIN_PASSWORD = 8;
export const PasswordField = Type.String({ minLength: MIN_PASSWORD, maxLength: 1024, description: `At least ${MIN_PASSWORD} characters.` });

export function authRoutes({ users, audit, limits, logger }: ApiDeps): Route[] {
  const failureDelay = limits?.loginFailureDelayMs ?? DEFAULT_FAILURE_DELAY_MS;
  const guard = loginGuard(users, limits?.login);
  const refusals = refusalRecorder(audit, limits?.refusalAudit, logger);
  /** The same wait for an unknown user, a wrong password and a disabled account. */
  const failureWait = (started: number) => sleep(Math.max(0, failureDelay - (performance.now() - started)) + Math.random() * 50);

  return [
    defineRoute({
      method: "post",
      path: "/api/auth/login",
      operationId: "auth.login",
      tag: "auth",
      summary: "Exchange a username and password for a session token (12 h)",
      description:
        "A refused login answers 401 only after a fixed delay, whether the user exists or not, and is audited. After 10 failures within 5 minutes from one address (or for one username from that address) the answer is 429 AUTH_THROTTLED with Retry-After, without checking the password.",
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
      errors: { 401: "Wrong username or password (AUTH_LOGIN_FAILED).", 429: "Too many failed logins (AUTH_THROTTLED); see Retry-After." },
      handler: async (ctx) => {
        const started = performance.now();
        const { username } = ctx.body;
        const target = `user:${username.slice(0, 64)}`;
        const from = ctx.request.socket.remoteAddress ?? "";
        try {
          guard.admit(username, from);
        } catch (error) {
          if (error instanceof ApiError) {
            await refusals.record(error.code, from, { actor: username.slice(0, 64), action: "auth.login", target, detail: { code: error.code, from } });
          }
          throw error;
        }
        const user = await guard.check(() => users.checkPassword(username, ctx.body.password));
        if (!user || user.disabled) {
          guard.failed(username, from);
          await failureWait(started);
          await ctx.audit({ actor: username.slice(0, 64), target, outcome: "refused", detail: { from } });
          throw new ApiError("AUTH_LOGIN_FAILED", "wrong username or password");
        }
        guard.succeeded(username, from);
        const { token, info } = await users.issueToken({ username: user.username, name: "login", kind: "session", ttlMs: SESSION_TTL_MS });
        await ctx.audit({ actor: user.username, target, detail: { tokenId: info.id } });
        return { body: { token, ...(info.expiresAt ? { expiresAt: info.expiresAt } : {}), user: { username: user.username, role: info.role } } };
      },
    }),

    defineRoute({
      method: "post",
      path: "/api/auth/password",
      operationId: "auth.password",
      tag: "auth",
      summary: "Change your own password; answers a fresh session token (the old sessions are revoked)",
      description:
        "Needs the current password. A wrong one answers 401 AUTH_LOGIN_FAILED after the same delay as a failed login. Every session token of the user is revoked (API tokens stay) and a new session token is returned, so the caller carries on with it.",
      access: "viewer",
      body: Type.Object({ current: Type.String({ minLength: 1, maxLength: 1024 }), password: PasswordField }, { additionalProperties: false }),
      responses: {
        200: {
          description: "Changed.",
          schema: Type.Object({
            user: UserRecordSchema,
            revokedSessions: Type.Integer({ description: "Session tokens revoked (the caller's too, if it was one)." }),
            token: Type.String({ description: "A new session token to use from now on." }),
            expiresAt: Type.Optional(Type.String()),
          }),
        },
      },
      errors: { 401: "The current password is wrong (AUTH_LOGIN_FAILED).", 429: "Too many failed password checks (AUTH_THROTTLED)." },
      handler: async (ctx) => {
        const started = performance.now();
        const username = ctx.principal.username;
        const target = `user:${username}`;
        const from = ctx.request.socket.remoteAddress ?? "";
        if (!users.listUsers().some((u) => u.username === username)) {
          throw new ApiError("USER_NOT_FOUND", `"${username}" is not a stored user (--no-auth mode has no passwords)`, { username });
        }
        guard.admit(username, from);
        const user = await guard.check(() => users.checkPassword(username, ctx.body.current));
        if (!user) {
          guard.failed(username, from);
          await failureWait(started);
          await ctx.audit({ target, outcome: "refused", detail: { reason: "wrong current password", from } });
          throw new ApiError("AUTH_LOGIN_FAILED", "the current password is wrong", { path: "body.current" });
        }
        const changed = await users.setPassword(username, ctx.body.password);
        const { token, info } = await users.issueToken({ username, name: "login", kind: "session", ttlMs: SESSION_TTL_MS });
        await ctx.audit({ target, detail: { revokedSessions: changed.revokedSessions, tokenId: info.id } });
        return { body: { ...changed, token, ...(info.expiresAt ? { expiresAt: info.expiresAt } : {}) } };
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
