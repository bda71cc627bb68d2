import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, describe, it } from "node:test";
import { createApi } from "../../runtime/api/app.ts";
import { FakeRuntime, MemoryAuditLog, MemoryFlowStore, MemorySecretStore, MemoryUserStore } from "../../test/support/api-stores.ts";
import { HttpIngressRegistry } from "../../runtime/connections/http-ingress.ts";
import { HTTP_INGRESS } from "../../runtime/sdk/http-ingress.ts";
import { Engine } from "../../runtime/core/engine.ts";
import { Config, configOf, defineNode, type AnyNodeDefinition } from "../../runtime/sdk/index.ts";
import { provide, services } from "../../runtime/sdk/services.ts";
import { harness } from "../../runtime/sdk/testing.ts";
import { probeNodes } from "../../test/support/test-nodes.ts";
import httpIn from "./http-in.ts";

const TOKEN = "hook-t0ken";
const T0 = Date.UTC(2026, 0, 1);

describe("http-in", () => {
  const registry = new HttpIngressRegistry();
  let listener: Server;
  let base = "";
  before(async () => {
    const { server, port } = await registry.listen(0, "127.0.0.1");
    listener = server;
    base = `http://127.0.0.1:${port}`;
  });
  after(() => {
    listener.closeAllConnections();
    listener.close();
  });

  /** A started http-in node (as "under-test" in "test-flow") on the shared ingress. */
  function node(config: Record<string, unknown> = {}, saturated = () => false) {
    const h = harness(httpIn, { token: { $secret: "hook" }, ...config }, { secrets: { hook: TOKEN }, services: services(provide(HTTP_INGRESS, registry)), saturated });
    void h.node.start?.();
    return h;
  }
  const post = async (body: string, headers: Record<string, string> | undefined = { authorization: `Bearer ${TOKEN}` }, url = `${base}/api/hooks/test-flow/under-test`) => {
    const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
    return { status: response.status, headers: response.headers, body: (await response.json()) as { accepted?: number; error?: { code: string; message: string; path?: string } } };
  };

  for (const example of httpIn.examples) {
    it(`accepts its example "${example.title}"`, () => assert.ok(configOf(httpIn, example.config)));
  }

  it("answers 202 and emits one reading per object, with key and event time from the body", async () => {
    const h = node({ keyField: "device", timeField: "time" });
    const reply = await post(JSON.stringify([{ device: "pump-1", time: "2026-01-01T00:00:00Z", vibration: 2.5 }, { device: "pump-2", time: T0 + 1000, vibration: 3 }]));
    assert.deepEqual({ status: reply.status, body: reply.body }, { status: 202, body: { accepted: 2 } });
    assert.deepEqual(h.out("out"), [
      { topic: "http/pump-1", key: "pump-1", ts: T0, payload: { vibration: 2.5 }, meta: { source: "under-test" } },
      { topic: "http/pump-2", key: "pump-2", ts: T0 + 1000, payload: { vibration: 3 }, meta: { source: "under-test" } },
    ]);
    assert.deepEqual(h.statuses.at(-1), { state: "running", text: "listening on /api/hooks/test-flow/under-test" });
    h.node.stop?.();
  });

  it("stamps arrival time (the node's clock) when the body has none, and takes X-Aiotflow-Token", async () => {
    const h = node();
    assert.equal((await post(JSON.stringify({ level: 3 }), { "x-aiotflow-token": TOKEN })).status, 202);
    assert.equal(h.out("out")[0]?.ts, h.clock.now());
    h.node.stop?.();
  });

  const unauthorized: Array<[string, Record<string, string>]> = [["no token", {}], ["a wrong token", { authorization: "Bearer guess" }], ["a wrong scheme", { authorization: `Basic ${TOKEN}` }]];
  for (const [name, headers] of unauthorized) {
    it(`answers 401 HTTP_TOKEN_INVALID for ${name}, emitting nothing`, async () => {
      const h = node();
      const reply = await post(JSON.stringify({ v: 1 }), headers);
      assert.equal(reply.status, 401);
      assert.equal(reply.body.error?.code, "HTTP_TOKEN_INVALID");
      assert.equal(h.emitted.length, 0);
      assert.equal(h.counters.get("unauthorized"), 1);
      h.node.stop?.();
    });
  }

  const badBodies: Array<{ name: string; body: string; code: string; path?: string }> = [
    { name: "a number", body: "42", code: "HTTP_BODY_INVALID", path: "body" },
    { name: "an array holding a string", body: JSON.stringify([{ v: 1 }, "oops"]), code: "HTTP_BODY_INVALID", path: "body[1]" },
    { name: "an unreadable time", body: JSON.stringify({ time: "yesterday", v: 1 }), code: "HTTP_BODY_INVALID", path: "body.time" },
    { name: "text that is not JSON", body: "{oops", code: "API_BODY_MALFORMED" },
  ];
  for (const { name, body, code, path } of badBodies) {
    it(`answers 400 ${code} for ${name}, taking nothing of the batch`, async () => {
      const h = node({ timeField: "time" });
      const reply = await post(body);
      assert.equal(reply.status, 400);
      assert.equal(reply.body.error?.code, code);
      if (path) assert.equal(reply.body.error?.path, path);
      assert.equal(h.out("out").length, 0);
      const errors = h.emitted.filter((e) => e.port === "error");
      assert.equal(errors.length, code === "HTTP_BODY_INVALID" ? 1 : 0, "a body the node refused is also on its error port");
      h.node.stop?.();
    });
  }

  it("answers 503 HTTP_BUSY with Retry-After while the flow is saturated, and 202 again once it drains", async () => {
    // A real engine whose sink holds every message until released: the flow saturates at 2 queued.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const heldSink = defineNode({
      type: "held-sink", version: 1, family: "sinks", title: "Held sink", summary: "Waits until released.", config: Config({}),
      inputs: { in: { kind: "any", description: "Anything." } }, outputs: {}, examples: [{ title: "plain", config: {} }], concurrency: 1,
      create: () => ({ onMessage: () => held }),
    });
    const engine = new Engine({ catalog: new Map<string, AnyNodeDefinition>([[httpIn.type, httpIn], [heldSink.type, heldSink]]), highWater: 2, secrets: () => TOKEN, services: services(provide(HTTP_INGRESS, registry)) });
    await engine.deploy({ format: "aiotflow/flow@1", id: "busy", name: "busy", connections: {},
      nodes: [{ id: "hook", type: "http-in", config: { token: { $secret: "hook" }, retryAfterS: 3 }, position: { x: 0, y: 0 } }, { id: "slow", type: "held-sink", config: {}, position: { x: 0, y: 0 } }],
      edges: [{ id: "e", from: { node: "hook", port: "out" }, to: { node: "slow", port: "in" } }] });
    const url = `${base}/api/hooks/busy/hook`;
    try {
      assert.equal((await post(JSON.stringify([{ v: 1 }, { v: 2 }, { v: 3 }, { v: 4 }]), undefined, url)).status, 202, "the request that filled the flow is taken");
      const busy = await post(JSON.stringify({ v: 5 }), undefined, url);
      assert.equal(busy.status, 503);
      assert.equal(busy.body.error?.code, "HTTP_BUSY");
      assert.equal(busy.headers.get("retry-after"), "3");
      release();
      await engine.idle();
      assert.equal((await post(JSON.stringify({ v: 6 }), undefined, url)).status, 202);
    } finally {
      release();
      await engine.stop();
    }
  });

  it("answers 404 once the node has stopped, and for a node that never ran", async () => {
    const h = node();
    h.node.stop?.();
    assert.equal((await post("{}")).status, 404);
    assert.equal((await post("{}", {}, `${base}/api/hooks/other-flow/nope`)).status, 404);
  });

  it("is served by the admin API at POST /api/hooks/<flow>/<node> without a user token", async () => {
    const users = new MemoryUserStore();
    const api = createApi({ catalog: new Map(probeNodes().definitions.map((d) => [d.type, d])), flows: new MemoryFlowStore(), users, audit: new MemoryAuditLog(), secrets: new MemorySecretStore(), runtime: new FakeRuntime(), auth: true, ingress: registry });
    const server = createServer(api.app);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/api/hooks/test-flow/under-test`;
    try {
      const h = node({ keyField: "device" });
      const accepted = await post(JSON.stringify({ device: "p1", v: 1 }), { authorization: `Bearer ${TOKEN}` }, url);
      assert.equal(accepted.status, 202);
      assert.equal(h.out("out")[0]?.key, "p1");
      assert.equal((await post("{}", { authorization: "Bearer nope" }, url)).status, 401);
      assert.equal((await post("{oops", { authorization: `Bearer ${TOKEN}` }, url)).body.error?.code, "API_BODY_MALFORMED");
      h.node.stop?.();
    } finally {
      api.close();
      server.closeAllConnections();
      server.close();
    }
  });

  it("fails the deploy without an ingress (aiotflow run without --http-port) and without its secret", () => {
    assert.throws(() => harness(httpIn, { token: { $secret: "hook" } }, { secrets: { hook: TOKEN } }), { code: "SERVICE_UNAVAILABLE" });
    assert.throws(() => harness(httpIn, { token: { $secret: "nope" } }, { services: services(provide(HTTP_INGRESS, registry)) }), { code: "SECRET_MISSING" });
  });
});
