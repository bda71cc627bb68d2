import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { startApi, type TestApi } from "../../../test/support/api.ts";
import { HttpIngressRegistry } from "../../connections/http-ingress.ts";
import type { IngressRequest } from "../../sdk/http-ingress.ts";
import { createApi, type Api } from "../app.ts";

describe("POST /api/hooks/:flow/:node", () => {
  let t: TestApi;
  let api: Api;
  let server: Server;
  let url: string;
  const ingress = new HttpIngressRegistry();
  const delivered: IngressRequest[] = [];

  before(async () => {
    t = await startApi();
    ingress.register("line-1", "orders", (request) => {
      delivered.push(request);
      return request.headers["authorization"] === "Bearer source-token"
        ? { status: 202, body: { accepted: 1 }, headers: { "x-accepted": "1" } }
        : { status: 401, body: { error: { code: "HTTP_TOKEN_INVALID" } } };
    });
    api = createApi({ ...t.deps, ingress });
    server = createServer(api.app);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    api.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await t.close();
  });

  const post = async (path: string, body: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${url}${path}`, { method: "POST", body, headers: { "content-type": "application/json", authorization: "Bearer source-token", ...headers } });
    return { status: response.status, headers: response.headers, body: (await response.json()) as any };
  };

  it("hands the parsed body and the headers to the running node, and answers with its status, body and headers", async () => {
    delivered.length = 0;
    const reply = await post("/api/hooks/line-1/orders", '[{"qty": 3}]', { "x-device": "plc-7" });
    assert.deepEqual([reply.status, reply.body, reply.headers.get("x-accepted")], [202, { accepted: 1 }, "1"]);
    assert.deepEqual(delivered[0]?.body, [{ qty: 3 }]);
    assert.equal(delivered[0]?.headers["x-device"], "plc-7");
  });

  it("takes no user token: the node checks its own source token, and its refusal is answered as it is", async () => {
    const refused = await post("/api/hooks/line-1/orders", "{}", { authorization: `Bearer ${t.tokens.admin}` });
    assert.deepEqual([refused.status, refused.body], [401, { error: { code: "HTTP_TOKEN_INVALID" } }]);
    assert.equal(t.audit.records.filter((r) => r.outcome === "refused").length, 0, "the gate refused nothing: the route is public");
  });

  it("answers 404 NOT_FOUND for a node that is not running", async () => {
    const reply = await post("/api/hooks/line-1/nope", "{}");
    assert.deepEqual([reply.status, reply.body.error.code], [404, "NOT_FOUND"]);
  });

  it("refuses bad ids and bodies that are not JSON before the node sees them", async () => {
    delivered.length = 0;
    const cases: Array<[string, string, Record<string, string>, number, string]> = [
      ["/api/hooks/line-1/a%2Fb", "{}", {}, 400, "ID_INVALID"],
      ["/api/hooks/line-1/orders", "{qty: 3", {}, 400, "API_BODY_MALFORMED"],
      ["/api/hooks/line-1/orders", "qty=3", { "content-type": "application/x-www-form-urlencoded" }, 415, "API_CONTENT_TYPE"],
    ];
    for (const [path, body, headers, status, code] of cases) {
      const reply = await post(path, body, headers);
      assert.deepEqual([reply.status, reply.body.error.code], [status, code], `${path} ${body}`);
    }
    assert.deepEqual(delivered, []);
  });

  it("answers 503 SERVICE_UNAVAILABLE on a server that runs no webhook ingress", async () => {
    const reply = await t.request("POST", "/api/hooks/line-1/orders", { as: "nobody", body: {} });
    assert.deepEqual([reply.status, reply.body.error.code, reply.body.error.message], [503, "SERVICE_UNAVAILABLE", "this server runs no webhook ingress"]);
  });
});
