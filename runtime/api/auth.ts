/**
 * Who is calling and may they: bearer tokens resolved by the user store, roles ordered
 * viewer < editor < operator < admin, and an audit record for each refusal (at most 20 a minute
 * per reason and address; the rest are counted into one summary record, see refusal-audit.ts). With `auth: false`
 * (the `--no-auth` demo mode) every caller is the admin "anonymous".
 */
import type { IncomingMessage } from "node:http";
import { ROLES, type Principal, type Role } from "../contract/access.ts";
import type { ApiDeps } from "./deps.ts";
import { ApiError } from "./http-errors.ts";
import { refusalRecorder } from "./refusal-audit.ts";

export const ANONYMOUS_ADMIN: Principal = { username: "anonymous", role: "admin" };
const UNAUTHENTICATED = "(unauthenticated)";
const MAX_TOKEN_LENGTH = 512;

export function roleAllows(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

export type TokenCheck = { readonly ok: true; readonly principal: Principal } | { readonly ok: false; readonly error: ApiError };

/** The token of an `Authorization: Bearer <token>` header; undefined without one. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? undefined : /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  return header === undefined ? undefined : (match?.[1] ?? "");
}

export interface Gate {
  /** Resolves a presented token (undefined: none presented). */
  check(token: string | undefined): TokenCheck;
  /** The caller of `req` if allowed `need`; otherwise audits the refusal and throws 401 or 403. */
  admit(req: IncomingMessage, need: Role, action: string, target: string, token?: string): Promise<Principal>;
  /** Writes the audit record of a refusal; an audit failure is logged and never turns a refusal into a 500. */
  recordRefusal(actor: string, action: string, target: string, error: ApiError, req: IncomingMessage): Promise<void>;
}

export function createGate(deps: Pick<ApiDeps, "auth" | "users" | "audit" | "logger" | "limits">): Gate {
  const check = (token: string | undefined): TokenCheck => {
    if (!deps.auth) return { ok: true, principal: ANONYMOUS_ADMIN };
    if (token === undefined) {
      return { ok: false, error: new ApiError("AUTH_REQUIRED", "this route needs a token: send `Authorization: Bearer <token>`") };
    }
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
      return { ok: false, error: new ApiError("AUTH_INVALID", "the Authorization header must be `Bearer <token>`") };
    }
    const result = deps.users.authenticate(token);
    if (result.ok) return result;
    if (result.reason === "expired") return { ok: false, error: new ApiError("AUTH_EXPIRED", "the token has expired") };
    const why = result.reason === "disabled" ? "its user is disabled" : "it is unknown or revoked";
    return { ok: false, error: new ApiError("AUTH_INVALID", `the token is not accepted: ${why}`, { reason: result.reason }) };
  };

  // At most so many refusal records per (code, address) a minute; the rest become one summary.
  const refusals = refusalRecorder(deps.audit, deps.limits?.refusalAudit, deps.logger);
  const recordRefusal = async (actor: string, action: string, target: string, error: ApiError, req: IncomingMessage) => {
    const from = req.socket.remoteAddress ?? "";
    await refusals.record(error.code, from, {
      actor,
      action,
      target,
      detail: { status: error.status, code: error.code, reason: error.message, from },
    });
  };

  return {
    check,
    recordRefusal,
    async admit(req, need, action, target, token = bearerToken(req.headers.authorization)) {
      const result = check(token);
      if (!result.ok) {
        await recordRefusal(UNAUTHENTICATED, action, target, result.error, req);
        throw result.error;
      }
      const { principal } = result;
      if (!roleAllows(principal.role, need)) {
        const error = new ApiError("AUTH_FORBIDDEN", `${need} role needed; "${principal.username}" is ${principal.role}`, { required: need });
        await recordRefusal(principal.username, action, target, error, req);
        throw error;
      }
      return principal;
    },
  };
}
