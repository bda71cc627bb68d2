import { Type } from "typebox";
import { contentHash } from "../../store/canonical.ts";
import type { ApiDeps } from "../deps.ts";
import { roleAllows } from "../auth.ts";
import { ApiError } from "../http-errors.ts";
import { defineRoute, type Route } from "../route.ts";
import { PasswordField } from "./auth.ts";
import { RoleSchema, roleField, TokenInfoSchema, UserRecordSchema } from "../schemas.ts";

const DAY_MS = 24 * 60 * 60 * 1000;
/** One minute, in days: a token that expires sooner could not be used. */
const MIN_EXPIRY_DAYS = 1 / 1440;

/** Users and API tokens: admin only. Token values are shown once, when issued. */
export function userRoutes({ users }: ApiDeps): Route[] {
  const findUser = (username: string) => {
    const user = users.listUsers().find((u) => u.username === username);
    if (!user) throw new ApiError("USER_NOT_FOUND", `no user "${username}"`, { username });
    return user;
  };
  return [
    defineRoute({
      method: "get",
      path: "/api/users",
      operationId: "user.list",
      tag: "users",
      summary: "Every user and their role",
      access: "admin",
      responses: { 200: { description: "Users (never passwords).", schema: Type.Object({ users: Type.Array(UserRecordSchema) }) } },
      handler: () => ({ body: { users: users.listUsers() } }),
    }),
    defineRoute({
      method: "post",
      path: "/api/users",
      operationId: "user.create",
      tag: "users",
      summary: "Create a user with a role and a password",
      access: "admin",
      body: Type.Object(
        {
          username: Type.String({ minLength: 1, maxLength: 64, pattern: "^[a-z0-9_.-]+$", description: "Lower-case letters, digits, _ . -" }),
          role: RoleSchema,
          password: PasswordField,
        },
        { additionalProperties: false },
      ),
      responses: { 201: { description: "Created.", schema: Type.Object({ user: UserRecordSchema }) } },
      errors: { 409: "The username is taken (USER_EXISTS)." },
      handler: async (ctx) => {
        const { username, role, password } = ctx.body;
        if (users.listUsers().some((u) => u.username === username)) throw new ApiError("USER_EXISTS", `user "${username}" exists`, { path: "body.username" });
        const user = await users.createUser(username, role, password);
        await ctx.audit({ target: `user:${username}`, after: contentHash(user), detail: { role } });
        return { status: 201, body: { user } };
      },
    }),
    defineRoute({
      method: "put",
      path: "/api/users/:user",
      operationId: "user.update",
      tag: "users",
      summary: "Disable or enable a user (a disabled user's tokens and password stop working), or reset their password",
      description: "A new password revokes every session token of the user (API tokens stay). The password is never audited.",
      access: "admin",
      target: (param) => `user:${param("user")}`,
      body: Type.Object(
        { disabled: Type.Optional(Type.Boolean()), password: Type.Optional(PasswordField) },
        { additionalProperties: false, minProperties: 1 },
      ),
      responses: { 200: { description: "The user now.", schema: Type.Object({ user: UserRecordSchema }) } },
      handler: async (ctx) => {
        const username = ctx.param("user");
        const before = findUser(username);
        const { disabled, password } = ctx.body;
        if (username === ctx.principal.username && disabled) {
          throw new ApiError("API_BODY_INVALID", "an admin cannot disable their own account (ask another admin)", { path: "body.disabled" });
        }
        let user = before;
        let revokedSessions: number | undefined;
        if (password !== undefined) ({ user, revokedSessions } = await users.setPassword(username, password));
        if (disabled !== undefined) user = await users.setUserDisabled(username, disabled);
        await ctx.audit({
          before: contentHash(before),
          after: contentHash(user),
          detail: {
            ...(disabled !== undefined && { disabled }),
            ...(password !== undefined && { passwordReset: true, revokedSessions }),
          },
        });
        return { body: { user } };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/tokens",
      operationId: "token.list",
      tag: "users",
      summary: "Issued tokens (facts only, never values)",
      access: "admin",
      query: Type.Object({ username: Type.Optional(Type.String({ description: "Only this user's tokens." })) }, { additionalProperties: false }),
      responses: { 200: { description: "Tokens.", schema: Type.Object({ tokens: Type.Array(TokenInfoSchema) }) } },
      handler: (ctx) => ({ body: { tokens: users.listTokens(ctx.query.username) } }),
    }),
    defineRoute({
      method: "post",
      path: "/api/tokens",
      operationId: "token.create",
      tag: "users",
      summary: "Issue an API token for a system (CI, MES, ERP)",
      access: "admin",
      body: Type.Object(
        {
          name: Type.String({ minLength: 1, maxLength: 100, description: "What uses it, e.g. ci-pipeline." }),
          username: Type.Optional(Type.String({ description: "Whose token it is. Default: the caller." })),
          role: Type.Optional(roleField("At most the user's role. Default: the user's role.")),
          expiresInDays: Type.Optional(Type.Number({ minimum: MIN_EXPIRY_DAYS, maximum: 3650, description: "At least one minute (1/1440). Default: never expires." })),
        },
        { additionalProperties: false },
      ),
      responses: {
        201: { description: "The token value, shown this once.", schema: Type.Object({ token: Type.String(), info: TokenInfoSchema }) },
      },
      errors: { 404: "No such user (USER_NOT_FOUND)." },
      handler: async (ctx) => {
        const user = findUser(ctx.body.username ?? ctx.principal.username);
        const role = ctx.body.role ?? user.role;
        if (!roleAllows(user.role, role)) {
          throw new ApiError("ROLE_NOT_ALLOWED", `user "${user.username}" is ${user.role}; a token cannot carry ${role}`, { path: "body.role" });
        }
        const days = ctx.body.expiresInDays;
        const issued = await users.issueToken({ username: user.username, name: ctx.body.name, role, kind: "api", ...(days !== undefined && { ttlMs: days * DAY_MS }) });
        await ctx.audit({ target: `token:${issued.info.id}`, after: contentHash(issued.info), detail: { username: user.username, role } });
        return { status: 201, body: issued };
      },
    }),
    defineRoute({
      method: "delete",
      path: "/api/tokens/:id",
      operationId: "token.revoke",
      tag: "users",
      summary: "Revoke a token",
      access: "admin",
      params: { id: "Token id (from GET /api/tokens)." },
      target: (param) => `token:${param("id")}`,
      responses: { 200: { description: "Revoked.", schema: Type.Object({ revoked: Type.String() }) } },
      handler: async (ctx) => {
        const id = ctx.param("id");
        const info = users.listTokens().find((t) => t.id === id);
        if (!info || !(await users.revokeToken(id))) throw new ApiError("NOT_FOUND", `no token "${id}"`, { path: "id" });
        await ctx.audit({ before: contentHash(info) });
        return { body: { revoked: id } };
      },
    }),
  ];
}
