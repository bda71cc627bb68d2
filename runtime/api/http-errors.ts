/**
 * The API's one error exit: every failure becomes `{ error: { code, message, hint, path?, ... } }`
 * with the status its code calls for. Errors the stores raise (AiotError with a code) pass through
 * with their message; anything else is our bug: logged with its stack under an id, answered 500
 * with that id and never with the stack.
 */
import { randomUUID } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import type { Logger } from "../sdk/define.ts";
import { AiotError, isAiotError, type ErrorCode, type ErrorDetails } from "../sdk/errors.ts";

const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  API_BODY_TOO_LARGE: 413,
  API_BODY_MALFORMED: 400,
  API_BODY_INVALID: 400,
  API_CONTENT_TYPE: 415,
  API_QUERY_INVALID: 400,
  API_ROUTE_UNKNOWN: 404,
  API_UPGRADE_REQUIRED: 426,
  AUTH_REQUIRED: 401,
  AUTH_INVALID: 401,
  AUTH_EXPIRED: 401,
  AUTH_LOGIN_FAILED: 401,
  AUTH_FORBIDDEN: 403,
  AUTH_THROTTLED: 429,
  NOT_FOUND: 404,
  FLOW_NOT_FOUND: 404,
  VERSION_NOT_FOUND: 404,
  USER_NOT_FOUND: 404,
  ID_INVALID: 400,
  FLOW_ID_INVALID: 400,
  FLOW_ID_MISMATCH: 400,
  USER_INVALID: 400,
  ROLE_NOT_ALLOWED: 400,
  SECRET_NAME_INVALID: 400,
  TOKEN_INVALID: 400,
  USER_DISABLED: 409,
  IMPORT_INVALID: 400,
  FLOW_EXISTS: 409,
  USER_EXISTS: 409,
  FLOW_DEPLOYED: 409,
  VERSION_CONFLICT: 409,
  ROLLBACK_UNAVAILABLE: 409,
  FLOW_INVALID: 422,
  STORE_WRITE_FAILED: 503,
};

/** An AiotError that knows its HTTP status when the code alone does not decide it (DEPLOY_FAILED: 422 or 500). */
export class ApiError extends AiotError {
  constructor(
    code: ErrorCode,
    message: string,
    details: ErrorDetails = {},
    readonly status: number = STATUS_BY_CODE[code] ?? 500,
  ) {
    super(code, message, details);
  }
}

export function statusOf(error: AiotError): number {
  return error instanceof ApiError ? error.status : (STATUS_BY_CODE[error.code] ?? 500);
}

export function errorBody(error: AiotError): { error: Record<string, unknown> } {
  const { code, message, hint, ...details } = error.toJSON();
  return { error: { code, message, hint, ...details } };
}

/** Turns whatever was thrown into the AiotError to answer with; logs our own bugs. */
export function toAiotError(thrown: unknown, logger: Logger | undefined, where: string): AiotError {
  if (isAiotError(thrown)) return thrown;
  // express's router raises a plain 400 for a path with broken percent-encoding (`%E0%A4%A`).
  if (thrown instanceof URIError || (thrown instanceof Error && "status" in thrown && thrown.status === 400)) {
    return new ApiError("ID_INVALID", "the path holds malformed percent-encoding");
  }
  const id = randomUUID();
  logger?.error(`internal error in ${where}`, { errorId: id, stack: thrown instanceof Error ? thrown.stack : String(thrown) });
  return new ApiError("API_INTERNAL", `internal error (logged as ${id})`, { errorId: id }, 500);
}

export function sendError(res: Response, error: AiotError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const retryAfter = error.details.retryAfterSeconds;
  if (typeof retryAfter === "number") res.setHeader("Retry-After", String(retryAfter));
  res.status(statusOf(error)).setHeader("Cache-Control", "no-store").json(errorBody(error));
}

/** Express error middleware (four arguments are how express recognises it). */
export function errorExit(logger: Logger | undefined) {
  return (thrown: unknown, req: Request, res: Response, _next: NextFunction): void => {
    sendError(res, toAiotError(thrown, logger, `${req.method} ${req.path}`));
  };
}

export function routeUnknown(req: Request, _res: Response, next: NextFunction): void {
  next(new ApiError("API_ROUTE_UNKNOWN", `no route ${req.method} ${req.originalUrl.split("?")[0]}`));
}

type Handle = (req: Request, res: Response, callback?: (error?: unknown) => void) => void;

/**
 * Replaces express's last-resort handler (an HTML page) with ours: a request nothing answered,
 * whatever its path and whatever was mounted on the app after the API (static files), gets the
 * JSON 404; an error that reached the end gets the JSON error. A URL too long for node's header
 * limit never gets here: node answers 431 itself.
 */
export function answerUnhandledAsJson(app: { handle: Handle }, logger: Logger | undefined): void {
  const handle = app.handle.bind(app);
  app.handle = (req, res, callback) =>
    handle(
      req,
      res,
      callback ??
        ((error?: unknown) => {
          if (error !== undefined && error !== null && error !== "route" && error !== "router") {
            sendError(res, toAiotError(error, logger, `${req.method} ${req.url}`));
            return;
          }
          sendError(res, new ApiError("API_ROUTE_UNKNOWN", `no route ${req.method} ${(req.url ?? "/").split("?")[0]!.slice(0, 200)}`));
        }),
    );
}
