import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startApi, type TestApi } from "../../test/support/api.ts";
import type { Logger } from "../sdk/define.ts";
import { apiRoutes, createApi } from "./app.ts";
import type { Route } from "./route.ts";

const noEvents = () => ({ clients: 0, droppedRate: 0, droppedSlow: 0, closedSlow: 0 });

/** A logger that keeps its warnings. */
function warningsOf(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, logger: { debug() {}, info() {}, warn: (message) => void warnings.push(message), error() {} } };
}

/** The express path as a pattern: each `:param` one path segment. */
const patternOf = (path: string) => new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/:\w+/g, "[^/]+")}$`);

describe("the API's routes", () => {
  let t: TestApi;
  let routes: Route[];
  before(async () => {
    t = await startApi();
    routes = apiRoutes(t.deps, noEvents);
  });
  after(() => t.close());

  it("each have their own operationId (the audit action) and their own method and path", () => {
    const duplicates = (keys: string[]) => keys.filter((key, i) => keys.indexOf(key) !== i);
    assert.deepEqual(duplicates(routes.map((r) => r.operationId)), []);
    assert.deepEqual(duplicates(routes.map((r) => `${r.method} ${r.path}`)), []);
  });

  it("are mounted so that no route is hidden behind an earlier one (fixed paths before /:id)", () => {
    assert.ok(patternOf("/api/flows/:id").test("/api/flows/validate"), "the check would see /api/flows/:id answer /api/flows/validate");
    const hidden: string[] = [];
    routes.forEach((later, j) => {
      const earlier = routes.slice(0, j).find((r) => r.method === later.method && patternOf(r.path).test(later.path));
      if (earlier) hidden.push(`${later.method} ${later.path} is answered by ${earlier.method} ${earlier.path}`);
    });
    assert.deepEqual(hidden, []);
  });

  it("all live under /api but /metrics (where Prometheus looks), and end with the OpenAPI document, which lists them all", async () => {
    assert.deepEqual(routes.filter((r) => !r.path.startsWith("/api/")).map((r) => r.path), ["/metrics"]);
    assert.equal(routes.at(-1)?.operationId, "openapi");
    const document = (await t.request("GET", "/api/openapi.json", { as: "nobody" })).body as { paths: Record<string, Record<string, { operationId: string }>> };
    const documented = new Set(Object.values(document.paths).flatMap((operations) => Object.values(operations).map((o) => o.operationId)));
    assert.deepEqual(routes.map((r) => r.operationId).filter((id) => !documented.has(id)), []);
  });

  it("ask the least role that makes sense: reads for viewers, user and secret management for admins only", () => {
    const accessOf = (method: string, path: string) => routes.find((r) => r.method === method && r.path === path)?.access;
    assert.equal(accessOf("get", "/api/flows"), "viewer");
    assert.equal(accessOf("get", "/api/catalog"), "viewer");
    for (const path of ["/api/users", "/api/secrets", "/api/tokens"]) assert.equal(accessOf("get", path), "admin", path);
    const publicRoutes = routes.filter((r) => r.access === "public").map((r) => `${r.method} ${r.path}`);
    for (const route of publicRoutes) assert.match(route, /auth\/login|hooks|events|openapi|metrics/, `${route} is public`);
  });
});

describe("createApi", () => {
  let t: TestApi;
  before(async () => (t = await startApi()));
  after(() => t.close());

  it("warns that anyone is admin when authentication is off, and says nothing otherwise", () => {
    const off = warningsOf();
    createApi({ ...t.deps, auth: false, logger: off.logger }).close();
    assert.equal(off.warnings.length, 1);
    assert.match(off.warnings[0]!, /authentication is OFF \(--no-auth\): anyone who can reach this port is admin/);
    const on = warningsOf();
    createApi({ ...t.deps, logger: on.logger }).close();
    assert.deepEqual(on.warnings, []);
  });

  it("listens to the runtime's events only once a server is attached, and stops on close", () => {
    const before = t.runtime.listenerCount();
    const api = createApi(t.deps);
    assert.equal(t.runtime.listenerCount(), before);
    api.attachWebSocket(t.server);
    assert.equal(t.runtime.listenerCount(), before + 1);
    api.close();
    assert.equal(t.runtime.listenerCount(), before);
  });

  it("answers GET /api/events as an event stream when asked for one, and with 426 otherwise", async () => {
    const controller = new AbortController();
    const stream = await fetch(`${t.url}/api/events`, { headers: { accept: "text/event-stream", authorization: `Bearer ${t.tokens.viewer}` }, signal: controller.signal });
    assert.deepEqual([stream.status, stream.headers.get("content-type")], [200, "text/event-stream"]);
    controller.abort();
    assert.equal((await t.request("GET", "/api/events", { as: "viewer", headers: { accept: "application/json" } })).status, 426);
  });

  it("marks every answer nosniff, without x-powered-by, routed or not", async () => {
    for (const path of ["/api/flows", "/api/nowhere", "/elsewhere"]) {
      const reply = await t.request("GET", path, { as: "viewer" });
      assert.equal(reply.headers.get("x-content-type-options"), "nosniff", path);
      assert.equal(reply.headers.get("x-powered-by"), null, path);
    }
  });

  it("reads a query with the simple parser: brackets are no nested objects", async () => {
    const reply = await t.request("GET", "/api/audit?limit[$gt]=1", { as: "operator" });
    assert.equal(reply.status, 400);
    assert.equal(reply.body.error.code, "API_QUERY_INVALID");
    assert.match(reply.body.error.message, /limit\[\$gt\]/);
  });
});
