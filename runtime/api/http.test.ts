import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createServer } from "node:http";
import { createApi } from "./app.ts";
import { nestingDepth } from "./json-body.ts";
import { sampleFlow, startApi, type TestApi } from "../../test/support/api.ts";
import { MemoryFlowStore } from "../../test/support/api-stores.ts";

describe("the API's one error exit", () => {
  let t: TestApi;
  before(async () => (t = await startApi({ limits: { bodyBytes: 64 * 1024 } })));
  after(() => t.close());

  /** After every abuse the server still answers a normal request. */
  async function stillServing(): Promise<void> {
    const reply = await t.request("GET", "/api/flows", { as: "viewer" });
    assert.equal(reply.status, 200);
  }

  it("answers an unknown route under /api with 404 JSON", async () => {
    const reply = await t.request("GET", "/api/no-such-thing");
    assert.equal(reply.status, 404);
    assert.equal(reply.body.error.code, "API_ROUTE_UNKNOWN");
    assert.match(reply.body.error.hint, /openapi\.json/);
    const wrongMethod = await t.request("PATCH", "/api/flows");
    assert.equal(wrongMethod.status, 404);
    assert.equal(wrongMethod.body.error.code, "API_ROUTE_UNKNOWN");
  });

  it("answers paths outside /api that nothing serves with 404 JSON, not express's HTML page", async () => {
    for (const [method, path] of [["GET", "/nowhere"], ["POST", "/"], ["DELETE", "/x/y?z=1"]] as const) {
      const reply = await t.request(method, path);
      assert.equal(reply.status, 404, `${method} ${path}`);
      assert.match(reply.headers.get("content-type") ?? "", /application\/json/);
      assert.equal(reply.body.error.code, "API_ROUTE_UNKNOWN");
    }
  });

  it("refuses a body over the limit with 413, declared or streamed, and keeps serving", async () => {
    const big = JSON.stringify({ document: sampleFlow(), message: "x".repeat(80 * 1024) });
    const declared = await t.request("POST", "/api/flows", { as: "editor", raw: big });
    assert.equal(declared.status, 413);
    assert.equal(declared.body.error.code, "API_BODY_TOO_LARGE");
    assert.match(declared.body.error.message, /65536 bytes/);
    const chunks = [new TextEncoder().encode(big.slice(0, 40_000)), new TextEncoder().encode(big.slice(40_000))];
    const streamed = await fetch(`${t.url}/api/flows`, {
      method: "POST",
      headers: { authorization: `Bearer ${t.tokens.editor}`, "content-type": "application/json" },
      body: new ReadableStream({ pull: (c) => (chunks.length ? c.enqueue(chunks.shift()!) : c.close()) }),
      duplex: "half",
    } as RequestInit);
    assert.equal(streamed.status, 413);
    assert.equal(t.flows.listFlows().length, 0);
    await stillServing();
  });

  it("says where malformed JSON goes wrong", async () => {
    const reply = await t.request("POST", "/api/flows", { as: "editor", raw: '{\n  "document": {"id": "a",}\n}' });
    assert.equal(reply.status, 400);
    assert.equal(reply.body.error.code, "API_BODY_MALFORMED");
    assert.equal(reply.body.error.location, "body:2:26");
    assert.equal(reply.body.error.message, `invalid JSON: property name expected at "}" (body:2:26)`);
    await stillServing();
  });

  it("refuses bodies that are not JSON, compressed, broken UTF-8 or nested absurdly deep", async () => {
    const cases: Array<[string, { raw: string | Uint8Array; headers?: Record<string, string> }, number, string]> = [
      ["form-encoded", { raw: "a=1", headers: { "content-type": "application/x-www-form-urlencoded" } }, 415, "API_CONTENT_TYPE"],
      ["text/plain (a cross-site form could send it)", { raw: "{}", headers: { "content-type": "text/plain" } }, 415, "API_CONTENT_TYPE"],
      ["gzip", { raw: "{}", headers: { "content-encoding": "gzip" } }, 415, "API_CONTENT_TYPE"],
      ["broken UTF-8", { raw: new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d]) }, 400, "API_BODY_MALFORMED"],
      ["a nesting bomb", { raw: `${"[".repeat(5000)}${"]".repeat(5000)}` }, 400, "API_BODY_MALFORMED"],
    ];
    for (const [what, options, status, code] of cases) {
      const reply = await t.request("POST", "/api/flows/validate", { as: "viewer", ...options });
      assert.equal(reply.status, status, what);
      assert.equal(reply.body.error.code, code, what);
    }
    await stillServing();
  });

  it("names the wrong field of a body that does not match the route's schema", async () => {
    const reply = await t.request("PUT", "/api/flows/line-1", { as: "editor", body: { document: sampleFlow(), baseVersion: "one", extra: 1 } });
    assert.equal(reply.status, 400);
    assert.equal(reply.body.error.code, "API_BODY_INVALID");
    const paths = reply.body.error.problems.map((p: { path: string }) => p.path);
    assert.ok(paths.includes("body.baseVersion"), paths.join());
    const missing = await t.request("PUT", "/api/flows/line-1", { as: "editor" });
    assert.equal(missing.body.error.code, "API_BODY_INVALID");
  });

  it("refuses unknown and malformed query parameters", async () => {
    const unknown = await t.request("GET", "/api/audit?limt=5", { as: "operator" });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error.code, "API_QUERY_INVALID");
    const notANumber = await t.request("GET", "/api/audit?limit=lots", { as: "operator" });
    assert.equal(notANumber.body.error.path, "query.limit");
    const repeated = await t.request("GET", "/api/audit?limit=1&limit=2", { as: "operator" });
    assert.equal(repeated.status, 400);
  });

  it("refuses path tricks in ids with 400 ID_INVALID", async () => {
    await t.request("POST", "/api/flows", { as: "editor", body: { document: sampleFlow() } });
    const tricks = [
      "/api/flows/..",
      "/api/flows/%2e%2e",
      "/api/flows/.",
      "/api/flows/a%2Fb",
      "/api/flows/..%2F..%2Fetc%2Fpasswd",
      "/api/flows/line-1%00",
      "/api/flows/%E0%A4%A",
      `/api/flows/${"a".repeat(129)}`,
      "/api/flows/line-1/versions/0",
      "/api/flows/line-1/versions/1e3",
      "/api/flows/line-1/versions/-1",
      "/api/catalog/%2e",
    ];
    for (const path of tricks) {
      const reply = await t.rawRequest("GET", path);
      assert.equal(reply.status, 400, path);
      assert.equal(JSON.parse(reply.body).error.code, "ID_INVALID", path);
    }
    for (const path of ["/api/secrets/..", "/api/tokens/%2e%2e%2fadmin"]) {
      const reply = await t.rawRequest("DELETE", path);
      assert.equal(reply.status, 400, path);
      assert.equal(JSON.parse(reply.body).error.code, "ID_INVALID", path);
    }
    const traversal = await t.rawRequest("GET", "/api/flows/../users");
    assert.notEqual(traversal.status, 200, "a literal .. must never reach another route");
    await stillServing();
  });

  it("answers a bug with 500 and an error id, never a stack trace, and logs the stack", async () => {
    const logged: Array<Record<string, unknown> | undefined> = [];
    const t2 = await startApi();
    const logger = { debug() {}, info() {}, warn() {}, error: (_m: string, fields?: Record<string, unknown>) => void logged.push(fields) };
    const broken = new MemoryFlowStore();
    broken.listFlows = () => {
      throw new Error("disk on fire");
    };
    const api = createApi({ ...t2.deps, logger, flows: broken });
    const server = createServer(api.app).listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    const address = server.address();
    assert.ok(address && typeof address === "object");
    const response = await fetch(`http://127.0.0.1:${address.port}/api/flows`, { headers: { authorization: `Bearer ${t2.tokens.viewer}` } });
    const text = await response.text();
    assert.equal(response.status, 500);
    assert.equal(JSON.parse(text).error.code, "API_INTERNAL");
    assert.doesNotMatch(text, /disk on fire|at .*\.ts:\d+/);
    assert.match(String(logged[0]?.["stack"]), /disk on fire/);
    assert.equal(logged[0]?.["errorId"], JSON.parse(text).error.errorId);
    server.close();
    await t2.close();
  });

  it("sends no-store and nosniff headers on API answers", async () => {
    const reply = await t.request("GET", "/api/flows", { as: "viewer" });
    assert.equal(reply.headers.get("cache-control"), "no-store");
    assert.equal(reply.headers.get("x-content-type-options"), "nosniff");
    assert.equal(reply.headers.get("x-powered-by"), null);
  });
});

describe("nestingDepth", () => {
  it("counts brackets outside strings only", () => {
    assert.equal(nestingDepth('{"a":[1,{"b":"[[[{"}]}'), 3);
    assert.equal(nestingDepth('"\\"[["'), 0);
    assert.equal(nestingDepth("[[[]]]"), 3);
  });
});
