import assert from "node:assert/strict";
import type { Server } from "node:http";
import { after, before, describe, it } from "node:test";
import type { IngressRequest } from "../sdk/http-ingress.ts";
import { HOOKS_PREFIX, HttpIngressRegistry } from "./http-ingress.ts";

const accepted = (tag: string) => (request: IngressRequest) => ({ status: 202, body: { tag, got: request.body, agent: request.headers["x-agent"] } });

describe("HttpIngressRegistry.dispatch", () => {
  it("hands a request to the node registered under its flow and node id, at the path it was told", () => {
    const registry = new HttpIngressRegistry();
    const endpoint = registry.register("line-1", "orders", accepted("a"));
    assert.equal(endpoint.path, `${HOOKS_PREFIX}/line-1/orders`);
    assert.deepEqual(registry.dispatch("line-1", "orders", { "x-agent": "curl" }, { n: 1 }), { status: 202, body: { tag: "a", got: { n: 1 }, agent: "curl" } });
  });

  it("answers 404 NOT_FOUND, naming the flow and node, when no node is there", () => {
    const reply = new HttpIngressRegistry().dispatch("line-1", "nope", {}, {});
    assert.equal(reply.status, 404);
    assert.deepEqual([(reply.body as { error: { code: string; message: string } }).error.code, (reply.body as { error: { message: string } }).error.message], [
      "NOT_FOUND", 'no webhook at /api/hooks/line-1/nope: no running http-in node "nope" in flow "line-1"',
    ]);
  });

  it("lets the newest registration win across a hot redeploy, and the old node's close leave it in place", () => {
    const registry = new HttpIngressRegistry();
    const old = registry.register("f", "n", accepted("old"));
    const next = registry.register("f", "n", accepted("new"));
    old.close();
    assert.equal((registry.dispatch("f", "n", {}, null).body as { tag: string }).tag, "new");
    next.close();
    assert.equal(registry.dispatch("f", "n", {}, null).status, 404);
  });

  it("keeps nodes of different flows apart", () => {
    const registry = new HttpIngressRegistry();
    registry.register("a", "n", accepted("a"));
    registry.register("b", "n", accepted("b"));
    assert.equal((registry.dispatch("b", "n", {}, null).body as { tag: string }).tag, "b");
  });
});

describe("HttpIngressRegistry.listen", () => {
  const registry = new HttpIngressRegistry();
  let server: Server;
  let base: string;
  before(async () => {
    registry.register("line-1", "orders", (request) => ({ status: 202, body: { got: request.body, agent: request.headers["x-agent"] }, headers: { "x-accepted": "1" } }));
    const listening = await registry.listen(0, "127.0.0.1");
    server = listening.server;
    base = `http://127.0.0.1:${listening.port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const post = (path: string, body: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });

  it("serves POST /api/hooks/<flow>/<node> with a JSON body, the node's status, body and headers", async () => {
    const response = await post("/api/hooks/line-1/orders/?source=test", '{"qty":3}', { "x-agent": "plc" });
    assert.deepEqual([response.status, response.headers.get("x-accepted"), await response.json()], [202, "1", { got: { qty: 3 }, agent: "plc" }]);
  });

  const refused: Array<[string, () => Promise<Response>, number, string]> = [
    ["a GET", () => fetch(`${base}/api/hooks/line-1/orders`), 404, "API_ROUTE_UNKNOWN"],
    ["another path", () => post("/api/flows", "{}"), 404, "API_ROUTE_UNKNOWN"],
    ["an id with a slash in it", () => post("/api/hooks/line-1/orders/extra", "{}"), 404, "API_ROUTE_UNKNOWN"],
    ["a node that is not running", () => post("/api/hooks/line-1/nope", "{}"), 404, "NOT_FOUND"],
    ["a body that is not JSON", () => post("/api/hooks/line-1/orders", "{qty: 3"), 400, "API_BODY_MALFORMED"],
    ["an empty body", () => post("/api/hooks/line-1/orders", ""), 400, "API_BODY_MALFORMED"],
  ];
  for (const [name, request, status, code] of refused) {
    it(`answers ${name} with ${status} ${code}`, async () => {
      const response = await request();
      assert.equal(response.status, status);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, code);
    });
  }

  it("refuses a body over 1 MiB with 413 API_BODY_TOO_LARGE", async () => {
    const response = await post("/api/hooks/line-1/orders", `"${"x".repeat(1024 * 1024 + 1)}"`);
    assert.equal(response.status, 413);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, "API_BODY_TOO_LARGE");
  });

  it("refuses to listen on a port already taken", async () => {
    const port = Number(new URL(base).port);
    await assert.rejects(new HttpIngressRegistry().listen(port, "127.0.0.1"), { code: "EADDRINUSE" });
  });
});
