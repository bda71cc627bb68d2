/**
 * Refuses requests a browser was tricked into sending:
 *
 * - Cross-site writes: any request other than GET/HEAD/OPTIONS whose `Origin` names another host
 *   than the request's `Host` is 403 AUTH_FORBIDDEN (browsers send Origin on every cross-origin
 *   POST/PUT/DELETE). Requests without Origin (curl, scripts) are not affected.
 * - DNS rebinding (`--no-auth` only, where no token protects anything): a Host header that is not a
 *   loopback name (127.0.0.1, localhost, [::1], any port) is 403 for every method: a page on
 *   evil.example whose name was rebound to 127.0.0.1 still sends `Host: evil.example`.
 *
 * (A form can still post without Origin in old browsers; state-changing routes also refuse any
 * Content-Type but JSON, see route.ts.)
 */
import type { IncomingMessage } from "node:http";
import type { NextFunction, Request, Response } from "express";
import { ApiError } from "./http-errors.ts";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const LOOPBACK = /^(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?$/i;

export function isLoopbackHost(host: string | undefined): boolean {
  return host !== undefined && LOOPBACK.test(host.trim());
}

/** Why `req` must be refused, or undefined. `auth` false = --no-auth mode. */
export function crossSiteProblem(req: IncomingMessage, auth: boolean): ApiError | undefined {
  const host = req.headers.host;
  if (!auth && !isLoopbackHost(host)) {
    return new ApiError("AUTH_FORBIDDEN", `in --no-auth mode only loopback names may be used as Host (127.0.0.1, localhost, [::1]), not ${JSON.stringify(String(host ?? "").slice(0, 100))}`);
  }
  const origin = req.headers.origin;
  if (origin === undefined || SAFE_METHODS.has(req.method ?? "GET")) return undefined;
  let originHost: string | undefined;
  try {
    originHost = new URL(origin).host;
  } catch {
    originHost = undefined; // "null" (sandboxed frames, file:) and other non-URLs
  }
  if (originHost === undefined || originHost.toLowerCase() !== String(host ?? "").toLowerCase()) {
    return new ApiError("AUTH_FORBIDDEN", `cross-site request from ${JSON.stringify(origin.slice(0, 100))} refused: the API only takes writes from its own origin`);
  }
  return undefined;
}

export function requestGuard(auth: boolean) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const problem = crossSiteProblem(req, auth);
    next(problem);
  };
}
