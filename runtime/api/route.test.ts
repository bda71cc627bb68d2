import assert from "node:assert/strict";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import express from "express";
import { Type } from "typebox";
import { MemoryAuditLog, MemoryUserStore } from "../../test/support/api-stores.ts";
import { PASSWORD } from "../../test/support/api.ts";
import type { Principal } from "../contract/access.ts";
import { createGate } from "./auth.ts";
import { errorExit } from "./http-errors.ts";
import { defineRoute, IdSchema, isSafeId, mountRoutes, paramSchema, pathParams, VersionSchema, type Route, type RouteContext } from "./route.ts";

interface Served {
  readonly audit: MemoryAuditLog;
  /** Sends a request as the editor (default), as nobody, or with the headers given. */
  call(method: string, path: string, options?: { body?: string | Uint8Array; headers?: Record<string, string>; as?: "editor" | "nobody" }): Promise<{ status: number; headers: Headers; text: string; body: any }>;
  /** Sends `path` byte for byte as the editor (fetch would resolve `.` and `%2e%2e`); answers status and parsed body. */
  rawCall(method: string, path: string): Promise<{ status: number; body: string }>;
}

/** Serves `routes` as the API does (mountRoutes, then the error exit) for the length of `use`, with one editor. */
async function withRoutes(routes: Route[], use: (served: Served) => Promise<void>, options: { auth?: boolean; bodyBytes?: number } = {}): Promise<void> {
  const users = new MemoryUserStore();
  const audit = new MemoryAuditLog();
  await users.createUser("ana", "editor", PASSWORD);
  const { token } = await users.issueToken({ username: "ana", name: "test", kind: "api" });
  const deps = { audit, auth: options.auth ?? true, ...(options.bodyBytes !== undefined && { limits: { bodyBytes: options.bodyBytes } }) };
  const router = express.Router();
  mountRoutes(router, routes, deps, createGate({ ...deps, users }));
  router.use(errorExit(undefined));
  const app = express();
  app.set("query parser", "simple");
  app.use(router);
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    await use({
      audit,
      async call(method, path, { body, headers = {}, as = "editor" } = {}) {
        const response = await fetch(`${url}${path}`, {
          method,
          headers: { ...(as === "editor" && { authorization: `Bearer ${token}` }), ...(body !== undefined && { "content-type": "application/json" }), ...headers },
          ...(body !== undefined && { body }),
        });
        const text = await response.text();
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        return { status: response.status, headers: response.headers, text, body: parsed };
      },
      rawCall: (method, path) =>
        new Promise((resolve, reject) => {
          const req = request({ host: "127.0.0.1", port: new URL(url).port, path, method, headers: { authorization: `Bearer ${token}` } }, (res) => {
            let text = "";
            res.setEncoding("utf8");
            res.on("data", (chunk: string) => (text += chunk));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
          });
          req.on("error", reject);
          req.end();
        }),
    });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** A route that answers what its handler saw; `seen` collects each context. */
function echoRoute(seen: Array<RouteContext<unknown, Record<string, unknown>>>, spec: Partial<Parameters<typeof defineRoute>[0]> = {}): Route {
  return defineRoute({
    method: "post",
    path: "/api/things/:id",
    operationId: "thing.update",
    tag: "things",
    summary: "Echo",
    access: "editor",
    responses: { 200: { description: "What the handler saw." } },
    handler: (ctx) => {
      seen.push(ctx);
      return { body: { principal: ctx.principal, id: ctx.param("id"), query: ctx.query, body: ctx.body ?? null, rawBody: ctx.rawBody ?? null } };
    },
    ...spec,
  });
}

describe("isSafeId", () => {
  const cases: Array<[string, boolean]> = [
    ["line-1", true],
    ["a.b:c_d-E9", true],
    ["x".repeat(128), true],
    ["a..b", true],
    ["x".repeat(129), false],
    ["", false],
    [".", false],
    ["..", false],
    ["....", false],
    ["a/b", false],
    ["a b", false],
    ["a\u0000", false],
    ["naïve", false],
    ["%2e%2e", false],
  ];
  for (const [value, safe] of cases) {
    it(`${safe ? "takes" : "refuses"} ${JSON.stringify(value.length > 20 ? `${value.slice(0, 10)}... (${value.length})` : value)}`, () => assert.equal(isSafeId(value), safe));
  }
});

describe("path parameters", () => {
  it("are read from the express path, in order", () => {
    assert.deepEqual(pathParams("/api/flows/:id/versions/:v"), ["id", "v"]);
    assert.deepEqual(pathParams("/api/flows"), []);
  });

  it("are version numbers for :v and ids for everything else", () => {
    assert.equal(paramSchema("v"), VersionSchema);
    for (const name of ["id", "type", "name", "user"]) assert.equal(paramSchema(name), IdSchema);
  });
});

describe("a mounted route", () => {
  it("hands the handler the caller, the path id, the query converted to its schema and the body as parsed and as sent", async () => {
    const seen: Array<RouteContext<unknown, Record<string, unknown>>> = [];
    const route = echoRoute(seen, {
      query: Type.Object({ dry: Type.Optional(Type.Boolean()), limit: Type.Optional(Type.Integer()) }, { additionalProperties: false }),
      body: Type.Object({ name: Type.String() }),
    });
    await withRoutes([route], async ({ call }) => {
      const raw = '{ "name": "pump" }';
      const reply = await call("POST", "/api/things/line-1?dry=true&limit=5", { body: raw });
      assert.equal(reply.status, 200);
      assert.deepEqual(reply.body, { principal: { username: "ana", role: "editor", tokenId: seen[0]!.principal.tokenId }, id: "line-1", query: { dry: true, limit: 5 }, body: { name: "pump" }, rawBody: raw });
      assert.equal(reply.headers.get("cache-control"), "no-store");
    });
  });

  it("refuses an id with a slash, dots only or over 128 characters with 400 ID_INVALID before the handler runs", async () => {
    const seen: Array<RouteContext<unknown, Record<string, unknown>>> = [];
    await withRoutes([echoRoute(seen)], async ({ rawCall }) => {
      for (const id of ["a%2Fb", "%2e%2e", ".", "..", "x".repeat(129), "line%00"]) {
        const reply = await rawCall("POST", `/api/things/${id}`);
        assert.equal(reply.status, 400, id);
        const { error } = JSON.parse(reply.body) as { error: { code: string; param: string } };
        assert.deepEqual([error.code, error.param], ["ID_INVALID", "id"], id);
      }
      assert.equal(seen.length, 0);
    });
  });

  it("takes only 1 to 999999999 as a version number", async () => {
    const route = defineRoute({
      method: "get", path: "/api/things/:id/versions/:v", operationId: "thing.version", tag: "things", summary: "One version", access: "editor",
      responses: { 200: { description: "The version." } },
      handler: (ctx) => ({ body: { v: ctx.param("v") } }),
    });
    await withRoutes([route], async ({ call }) => {
      for (const v of ["1", "42", "999999999"]) assert.deepEqual((await call("GET", `/api/things/a/versions/${v}`)).body, { v }, v);
      for (const v of ["0", "01", "-1", "1e3", "1.0", "1000000000", "one"]) {
        const reply = await call("GET", `/api/things/a/versions/${v}`);
        assert.deepEqual([reply.status, reply.body.error.code, reply.body.error.message], [400, "ID_INVALID", `v ${JSON.stringify(v)} is not a valid version number`], v);
      }
    });
  });

  it("refuses unknown and malformed query parameters with 400 API_QUERY_INVALID naming the parameter", async () => {
    const route = echoRoute([], { query: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false }) });
    await withRoutes([route, echoRoute([], { path: "/api/plain/:id" })], async ({ call }) => {
      const cases: Array<[string, string]> = [
        ["/api/things/a?limit=lots", "query.limit"],
        ["/api/things/a?limit=0", "query.limit"],
        ["/api/things/a?limit=1&limit=2", "query.limit"],
        ["/api/things/a?limt=5", "query"],
        ["/api/plain/a?anything=1", "query"],
      ];
      for (const [path, where] of cases) {
        const reply = await call("POST", path);
        assert.deepEqual([reply.status, reply.body.error.code], [400, "API_QUERY_INVALID"], path);
        assert.ok(String(reply.body.error.path).startsWith(where), `${path}: ${reply.body.error.path}`);
      }
    });
  });

  it("refuses a missing body with 400 API_BODY_INVALID, unless the route says it is optional, when the handler gets {}", async () => {
    const body = Type.Object({ note: Type.Optional(Type.String()) });
    await withRoutes([echoRoute([], { body }), echoRoute([], { path: "/api/optional/:id", body, bodyOptional: true })], async ({ call }) => {
      const missing = await call("POST", "/api/things/a");
      assert.deepEqual([missing.status, missing.body.error.code, missing.body.error.path], [400, "API_BODY_INVALID", "body"]);
      const optional = await call("POST", "/api/optional/a");
      assert.deepEqual([optional.status, optional.body.body, optional.body.rawBody], [200, {}, null]);
    });
  });

  it("checks a body that was sent as sent: null is not 'no body'", async () => {
    await withRoutes([echoRoute([], { body: Type.Object({}), bodyOptional: true })], async ({ call }) => {
      const reply = await call("POST", "/api/things/a", { body: "null" });
      assert.deepEqual([reply.status, reply.body.error.code], [400, "API_BODY_INVALID"]);
    });
  });

  it("names every field of a body that does not match the route's schema", async () => {
    const body = Type.Object({ name: Type.String(), count: Type.Integer() }, { additionalProperties: false });
    await withRoutes([echoRoute([], { body })], async ({ call }) => {
      const reply = await call("POST", "/api/things/a", { body: JSON.stringify({ count: "three", extra: true }) });
      assert.equal(reply.status, 400);
      assert.deepEqual(reply.body.error.problems, [
        { path: "body", message: 'missing required field "name"' },
        { path: "body", message: 'unknown field "extra"' },
        { path: "body.count", message: "must be integer" },
      ]);
      assert.ok(reply.body.error.message.startsWith(`${reply.body.error.path}: `));
    });
  });

  it("refuses a body over the API's limit with 413", async () => {
    await withRoutes(
      [echoRoute([], { body: Type.Unknown() })],
      async ({ call }) => {
        assert.equal((await call("POST", "/api/things/a", { body: JSON.stringify("x".repeat(30)) })).status, 200);
        assert.equal((await call("POST", "/api/things/a", { body: JSON.stringify("x".repeat(40)) })).status, 413);
      },
      { bodyBytes: 32 },
    );
  });

  it("refuses form types on a write route without a body (a cross-site form could send them), and takes none or JSON", async () => {
    const seen: Array<RouteContext<unknown, Record<string, unknown>>> = [];
    await withRoutes([echoRoute(seen)], async ({ call }) => {
      for (const type of ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"]) {
        const reply = await call("POST", "/api/things/a", { body: "a=1", headers: { "content-type": type } });
        assert.deepEqual([reply.status, reply.body.error.code], [415, "API_CONTENT_TYPE"], type);
      }
      assert.equal(seen.length, 0);
      assert.equal((await call("POST", "/api/things/a")).status, 200);
      assert.equal((await call("POST", "/api/things/a", { body: "{}" })).status, 200);
      assert.equal(seen[1]!.body, undefined, "a body the route does not declare is not read");
    });
  });

  it("hands a binary body's bytes to the handler, refusing other types with 415", async () => {
    const route = defineRoute({
      method: "post", path: "/api/files/:id", operationId: "file.upload", tag: "files", summary: "Upload", access: "editor",
      binaryBody: { types: ["application/octet-stream"], maxBytes: 8, description: "A file." },
      responses: { 200: { description: "Its size." } },
      handler: (ctx) => ({ body: { bytes: [...(ctx.bytes ?? [])] } }),
    });
    await withRoutes([route], async ({ call }) => {
      const octets = { "content-type": "application/octet-stream" };
      assert.deepEqual((await call("POST", "/api/files/a", { body: new Uint8Array([1, 2, 255]), headers: octets })).body, { bytes: [1, 2, 255] });
      assert.equal((await call("POST", "/api/files/a", { body: "[1]" })).status, 415);
      assert.equal((await call("POST", "/api/files/a", { body: new Uint8Array(9), headers: octets })).status, 413);
    });
  });

  it("answers a reply's status, headers and text with its content type", async () => {
    const route = defineRoute({
      method: "get", path: "/api/report", operationId: "report.get", tag: "things", summary: "Text", access: "editor",
      responses: { 203: { description: "CSV.", contentType: "text/csv" } },
      handler: () => ({ status: 203, headers: { "x-rows": "2" }, text: "a,b\n1,2\n", contentType: "text/csv" }),
    });
    await withRoutes([route], async ({ call }) => {
      const reply = await call("GET", "/api/report");
      assert.deepEqual([reply.status, reply.headers.get("x-rows"), reply.text], [203, "2", "a,b\n1,2\n"]);
      assert.match(reply.headers.get("content-type") ?? "", /^text\/csv/);
    });
  });

  it("answers 500 for a handler that asks for a parameter its path does not declare (a bug in the route)", async () => {
    const route = echoRoute([], { handler: (ctx) => ({ body: ctx.param("nope") }) });
    await withRoutes([route], async ({ call }) => {
      const reply = await call("POST", "/api/things/a");
      assert.deepEqual([reply.status, reply.body.error.code], [500, "API_INTERNAL"]);
    });
  });
});

describe("a mounted route's access", () => {
  const whoAmI = (access: "public" | "editor" | "admin", path: string) =>
    defineRoute({
      method: "get", path, operationId: `who.${access}`, tag: "who", summary: "The caller", access,
      responses: { 200: { description: "The caller." } },
      handler: (ctx) => ({ body: ctx.principal satisfies Principal }),
    });
  const routes = [whoAmI("public", "/api/public"), whoAmI("editor", "/api/editors"), whoAmI("admin", "/api/admins")];

  it("asks for a token and the role, auditing refusals; a public route answers anyone as the unauthenticated viewer", async () => {
    await withRoutes(routes, async ({ call, audit }) => {
      assert.deepEqual((await call("GET", "/api/public", { as: "nobody" })).body, { username: "(unauthenticated)", role: "viewer" });
      assert.equal((await call("GET", "/api/editors")).body.username, "ana");
      const noToken = await call("GET", "/api/editors", { as: "nobody" });
      assert.deepEqual([noToken.status, noToken.body.error.code], [401, "AUTH_REQUIRED"]);
      const tooLow = await call("GET", "/api/admins");
      assert.deepEqual([tooLow.status, tooLow.body.error.code], [403, "AUTH_FORBIDDEN"]);
      assert.deepEqual(audit.records.map((r) => [r.actor, r.action, r.target, r.outcome]), [
        ["(unauthenticated)", "who.editor", "/api/editors", "refused"],
        ["ana", "who.admin", "/api/admins", "refused"],
      ]);
    });
  });

  it("answers everyone as the admin anonymous in --no-auth mode, public routes included", async () => {
    await withRoutes(
      routes,
      async ({ call }) => {
        for (const path of ["/api/public", "/api/admins"]) assert.deepEqual((await call("GET", path, { as: "nobody" })).body, { username: "anonymous", role: "admin" }, path);
      },
      { auth: false },
    );
  });
});

describe("a mounted route's audit records", () => {
  it("default to the caller, the operationId and the request path, outcome ok; what the handler names wins", async () => {
    const route = echoRoute([], {
      handler: async (ctx) => {
        await ctx.audit({});
        await ctx.audit({ actor: "system", action: "thing.renamed", target: "thing:x", outcome: "refused", before: "h1", after: undefined, detail: { why: "test" } });
        return { body: {} };
      },
    });
    const targeted = echoRoute([], { path: "/api/targeted/:id", target: (param) => `thing:${param("id")}`, handler: async (ctx) => (await ctx.audit({}), { body: {} }) });
    await withRoutes([route, targeted], async ({ call, audit }) => {
      await call("POST", "/api/things/pump-1");
      await call("POST", "/api/targeted/pump-2");
      assert.deepEqual(
        audit.records.map(({ actor, action, target, outcome, before, after, detail }) => ({ actor, action, target, outcome, before, after, detail })),
        [
          { actor: "ana", action: "thing.update", target: "/api/things/pump-1", outcome: "ok", before: undefined, after: undefined, detail: undefined },
          { actor: "system", action: "thing.renamed", target: "thing:x", outcome: "refused", before: "h1", after: undefined, detail: { why: "test" } },
          { actor: "ana", action: "thing.update", target: "thing:pump-2", outcome: "ok", before: undefined, after: undefined, detail: undefined },
        ],
      );
      assert.equal("after" in audit.records[1]!, false, "a field given as undefined is left out");
    });
  });
});
