/**
 * A route is data plus a handler: method, path, the role it needs, its query and body schemas and
 * its responses. `mountRoutes` turns one into an express handler that runs the same steps for every
 * route (token and role, path ids, query, body, handler) and `openApiDocument` describes it from the
 * same spec, so the two cannot drift apart. Handlers see typed, validated input and return a reply
 * or throw an AiotError; they never touch express.
 */
import type { IncomingMessage } from "node:http";
import type { Request, Response, Router } from "express";
import { Type, type Static, type TObject, type TSchema } from "typebox";
import Value from "typebox/value";
import { schemaProblems } from "../sdk/config.ts";
import type { AuditRecord } from "../contract/audit-record.ts";
import type { Principal, Role } from "../contract/access.ts";
import { ANONYMOUS_ADMIN, type Gate } from "./auth.ts";
import type { ApiDeps } from "./deps.ts";
import { ApiError } from "./http-errors.ts";
import { DEFAULT_BODY_BYTES, readBinaryBody, readJsonBody } from "./json-body.ts";

export type Method = "get" | "post" | "put" | "delete";
/** The least role a route needs, or "public" for no token at all. */
export type Access = Role | "public";

export type Reply =
  | { readonly status?: number; readonly headers?: Readonly<Record<string, string>>; readonly body: unknown }
  | { readonly status?: number; readonly headers?: Readonly<Record<string, string>>; readonly text: string; readonly contentType: string };

export interface ResponseDoc {
  readonly description: string;
  readonly schema?: TSchema;
  /** Default application/json. */
  readonly contentType?: string;
}

export interface AuditEntry {
  readonly actor?: string;
  readonly action?: string;
  readonly target?: string;
  readonly outcome?: AuditRecord["outcome"];
  readonly before?: string | undefined;
  readonly after?: string | undefined;
  readonly detail?: Record<string, unknown>;
}

export interface RouteContext<B, Q> {
  readonly principal: Principal;
  readonly body: B;
  readonly query: Q;
  /** The body as sent, for locating problems by line and column. */
  readonly rawBody: string | undefined;
  /** The binary body of a route that declares `binaryBody`. */
  readonly bytes: Uint8Array | undefined;
  readonly request: IncomingMessage;
  /** A validated path parameter. */
  param(name: string): string;
  /** Appends an audit record; actor, action (the operationId) and target default to this request's. */
  audit(entry: AuditEntry): Promise<void>;
}

export interface RouteSpec<B extends TSchema, Q extends TObject> {
  readonly method: Method;
  /** Express syntax, absolute: `/api/flows/:id/versions/:v`. */
  readonly path: string;
  /** Unique; also the audit action (`flow.save`). */
  readonly operationId: string;
  readonly tag: string;
  readonly summary: string;
  readonly description?: string;
  readonly access: Access;
  /** Descriptions of path parameters where the default one (PARAM_DESCRIPTIONS) does not fit. */
  readonly params?: Readonly<Record<string, string>>;
  readonly query?: Q;
  readonly body?: B;
  /** A missing body counts as `{}`. */
  readonly bodyOptional?: boolean;
  /** The body is a file, not JSON: its accepted types and size limit (instead of `body`). */
  readonly binaryBody?: { readonly types: readonly string[]; readonly maxBytes: number; readonly description: string };
  /** Success responses by status. */
  readonly responses: Readonly<Record<number, ResponseDoc>>;
  /** Errors particular to this route (401/403/400/404/413/415 are added from the spec). */
  readonly errors?: Readonly<Record<number, string>>;
  /** The audit target (`flow:pump-1`); default the request path. */
  readonly target?: (param: (name: string) => string) => string;
  readonly handler: (ctx: RouteContext<Static<B>, Static<Q>>) => Reply | Promise<Reply>;
}

export interface RunEnv {
  readonly principal: Principal;
  readonly bodyLimit: number;
  readonly target: string;
  readonly audit: ApiDeps["audit"];
}

export interface Route extends Omit<RouteSpec<TSchema, TObject>, "handler"> {
  run(req: Request, env: RunEnv): Promise<Reply>;
}

export const ID_PATTERN = "^[A-Za-z0-9_.:-]+$";
export const IdSchema = Type.String({ minLength: 1, maxLength: 128, pattern: ID_PATTERN });
const VERSION_PATTERN = /^[1-9]\d{0,8}$/;
export const VersionSchema = versionField("A version number: 1, 2, 3 ...");

export function versionField(description: string) {
  return Type.Integer({ minimum: 1, maximum: 999_999_999, description });
}

export const PARAM_DESCRIPTIONS: Readonly<Record<string, string>> = {
  id: "Flow id (letters, digits, _ . : -).",
  v: "Version number: 1, 2, 3 ...",
  type: "Node type from the catalog.",
  name: "Secret name (letters, digits, _ . : -).",
  user: "Username.",
};

/** Flow ids, node types, secret names and token ids in URLs: no slashes, NULs or `..` once decoded. */
const ID_REGEX = new RegExp(ID_PATTERN);

export function isSafeId(value: string): boolean {
  return value.length <= 128 && ID_REGEX.test(value) && !/^\.+$/.test(value);
}

export function pathParams(path: string): string[] {
  return [...path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
}

export function paramSchema(name: string): TSchema {
  return name === "v" ? VersionSchema : IdSchema;
}

/** What a route without a declared query accepts: nothing. */
const NO_QUERY: TObject = Type.Object({}, { additionalProperties: false });
/** What a route without a declared body reads: nothing (a body sent anyway is not read). */
const NO_BODY: TSchema = Type.Unknown();

export function defineRoute<B extends TSchema = TSchema, Q extends TObject = TObject>(spec: RouteSpec<B, Q>): Route {
  const { handler, ...doc } = spec;
  // A route that declares no query or body leaves Q and B at their defaults (TObject, TSchema),
  // which these empty schemas satisfy: the one place that claim is made.
  const querySchema = spec.query ?? (NO_QUERY as Q);
  const bodySchema = spec.body ?? (NO_BODY as B);
  return {
    ...doc,
    async run(req, env) {
      const param = (name: string): string => {
        const value = req.params[name];
        if (typeof value !== "string") throw new Error(`route ${spec.path} has no parameter "${name}"`);
        return value;
      };
      for (const name of pathParams(spec.path)) {
        const value = param(name);
        const ok = name === "v" ? VERSION_PATTERN.test(value) : isSafeId(value);
        if (!ok) throw new ApiError("ID_INVALID", `${name} ${JSON.stringify(value.slice(0, 140))} is not a valid ${name === "v" ? "version number" : "id"}`, { param: name });
      }
      const query = readQuery(querySchema, req.query);
      if (!spec.body && !spec.binaryBody && spec.method !== "get") refuseFormType(req);
      const bytes = spec.binaryBody ? await readBinaryBody(req, spec.binaryBody.types, spec.binaryBody.maxBytes) : undefined;
      const read = spec.body ? await readJsonBody(req, env.bodyLimit) : undefined;
      if (read === undefined && spec.body && !spec.bodyOptional) throw new ApiError("API_BODY_INVALID", "this route needs a JSON body", { path: "body" });
      // A body that was sent is checked as sent: `null` is not "no body".
      const body = readBody(bodySchema, read !== undefined ? read.value : spec.body ? {} : undefined);
      return handler({
        principal: env.principal,
        query,
        body,
        rawBody: read?.text,
        bytes,
        request: req,
        param,
        audit: (entry) => appendAudit(env, spec.operationId, entry),
      });
    },
  };
}

/**
 * A state-changing route without a body still refuses a request typed as anything but JSON: an
 * HTML form (urlencoded, multipart, text/plain) can be sent cross-site without a preflight, JSON
 * cannot. No Content-Type at all (curl -X POST) is accepted.
 */
function refuseFormType(req: Request): void {
  const type = req.headers["content-type"];
  if (type === undefined || type.trim() === "") return;
  if (!/^application\/([\w.-]+\+)?json\s*(;|$)/i.test(type)) {
    throw new ApiError("API_CONTENT_TYPE", `this route takes no body; send no Content-Type or application/json, not "${type.slice(0, 100)}"`);
  }
}

function readQuery<S extends TObject>(schema: S, raw: unknown): Static<S> {
  const value = Value.Convert(schema, Value.Clone(raw ?? {}));
  if (Value.Check(schema, value)) return value;
  const problem = schemaProblems(schema, value, "query")[0];
  throw new ApiError("API_QUERY_INVALID", `${problem?.path ?? "query"}: ${problem?.message ?? "invalid"}`, { path: problem?.path ?? "query" });
}

function readBody<S extends TSchema>(schema: S, value: unknown): Static<S> {
  if (Value.Check(schema, value)) return value;
  const problems = schemaProblems(schema, value, "body");
  const first = problems[0];
  throw new ApiError("API_BODY_INVALID", first ? `${first.path}: ${first.message}` : "the body does not match the route's schema", {
    path: first?.path ?? "body",
    problems,
  });
}

async function appendAudit(env: RunEnv, action: string, entry: AuditEntry): Promise<void> {
  await env.audit.append({
    actor: entry.actor ?? env.principal.username,
    action: entry.action ?? action,
    target: entry.target ?? env.target,
    outcome: entry.outcome ?? "ok",
    ...(entry.before !== undefined && { before: entry.before }),
    ...(entry.after !== undefined && { after: entry.after }),
    ...(entry.detail !== undefined && { detail: entry.detail }),
  });
}

/** Registers every route on `router`: token and role first, then the route's own steps. */
export function mountRoutes(router: Router, routes: readonly Route[], deps: Pick<ApiDeps, "audit" | "auth" | "limits">, gate: Gate): void {
  const bodyLimit = deps.limits?.bodyBytes ?? DEFAULT_BODY_BYTES;
  for (const route of routes) {
    router[route.method](route.path, async (req: Request, res: Response) => {
      const rawParam = (name: string) => String(req.params[name] ?? "").slice(0, 140);
      const target = route.target ? route.target(rawParam) : req.path.slice(0, 200);
      const principal =
        route.access === "public" ? (deps.auth ? PUBLIC_CALLER : ANONYMOUS_ADMIN) : await gate.admit(req, route.access, route.operationId, target);
      const reply = await route.run(req, { principal, bodyLimit, target, audit: deps.audit });
      res.status(reply.status ?? 200).setHeader("Cache-Control", "no-store");
      for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
      if ("text" in reply) res.type(reply.contentType).send(reply.text);
      else res.json(reply.body);
    });
  }
}

const PUBLIC_CALLER: Principal = { username: "(unauthenticated)", role: "viewer" };
