/**
 * A client keeps the token it connected with, and that token is checked again every so often: a
 * logout, a revoked or expired token or a disabled user must end a live stream too, not only the
 * next request. WebSocket close code 1008 is "policy violation".
 */
import type { Gate } from "../auth.ts";
import { every } from "./periodic.ts";

export const REVOKED_CLOSE_CODE = 1008;

export interface TokenRecheck {
  /** True when this tick re-checks every client's token (never without authentication). */
  due(now: number): boolean;
  /** How to close a client whose token is no longer accepted; undefined when it still is. */
  refusal(token: string | undefined): { readonly code: number; readonly reason: string } | undefined;
}

export function tokenRecheck(deps: { gate: Pick<Gate, "check">; auth: boolean; everyMs: number; start: number }): TokenRecheck {
  const due = every(deps.everyMs, deps.start);
  return {
    due: (now) => deps.auth && due(now),
    refusal(token) {
      const result = deps.gate.check(token);
      // A close reason must fit in a control frame (123 bytes).
      return result.ok ? undefined : { code: REVOKED_CLOSE_CODE, reason: result.error.message.slice(0, 120) };
    },
  };
}
