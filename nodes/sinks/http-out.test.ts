import assert from "node:assert/strict";
import type { Server } from "node:http";
import { createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import express from "express";
import { configOf, type Message } from "../../runtime/sdk/index.ts";
import { harness } from "../../runtime/sdk/testing.ts";
import httpOut from "./http-out.ts";

interface Received {
  readonly path: string;
  readonly method: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: unknown;
}

const received: Received[] = [];
const failuresLeft = new Map<string, number>();
let server: Server;
let base = "";
let refusedUrl = "";

before(async () => {
  const app = express();
  app.use(express.json());
  app.all("/hook/:name", (req, res) => {
    const name = req.params.name;
    received.push({ path: req.path, method: req.method, headers: req.headers, body: req.body });
    if (name === "silent") return; // never answers: the sink's timeout must fire
    if (name === "rejects") return void res.status(400).json({ error: "bad" });
    const left = failuresLeft.get(name) ?? 0;
    if (left > 0) {
      failuresLeft.set(name, left - 1);
      return void res.status(500).send("down");
    }
    res.status(204).end();
  });
  server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  // A port that was free a moment ago and has no listener: connections are refused.
  const probe = createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => probe.once("listening", resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  refusedUrl = `http://127.0.0.1:${port}/hook`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const msg = (i: number): Message => ({ topic: "alarms", key: `pump-${i}`, ts: 1_000 + i, payload: { state: "raised", value: i }, meta: { source: "gate" } });
const receivedAt = (name: string) => received.filter((r) => r.path === `/hook/${name}`);

/** Resolves `work` while moving the virtual clock, so backoff waits pass without sleeping. */
async function withClock<T>(clock: { advance(ms: number): void }, work: Promise<T>, stepMs = 1000): Promise<T> {
  let done = false;
  const result = work.finally(() => void (done = true));
  result.catch(() => undefined); // awaited below; this only keeps an early rejection from counting as unhandled
  for (let i = 0; i < 500 && !done; i++) {
    await new Promise((resolve) => setTimeout(resolve, 2));
    clock.advance(stepMs);
  }
  return result;
}

describe("http-out", () => {
  for (const example of httpOut.examples) {
    it(`accepts its example "${example.title}"`, () => assert.ok(configOf(httpOut, example.config)));
  }

  it("POSTs the message as JSON with secret headers resolved, and passes it on with the status", async () => {
    const h = harness(httpOut, { url: `${base}/hook/plain`, headers: { Authorization: { $secret: "hook-token" }, "X-Plant": "north" } }, { secrets: { "hook-token": "Bearer s3cret" } });
    await h.send(msg(1));
    const [request] = receivedAt("plain");
    assert.equal(request?.method, "POST");
    assert.equal(request?.headers["authorization"], "Bearer s3cret");
    assert.equal(request?.headers["x-plant"], "north");
    assert.deepEqual(request?.body, msg(1));
    assert.deepEqual(h.out("sent")[0]?.meta, { source: "gate", http: { status: 204, attempts: 1 } });
    assert.equal(h.counters.get("delivered"), 1);
  });

  it("PUTs only the payload when body is payload", async () => {
    const h = harness(httpOut, { url: `${base}/hook/put`, method: "PUT", body: "payload" });
    await h.send(msg(2));
    assert.deepEqual(receivedAt("put").map((r) => [r.method, r.body]), [["PUT", { state: "raised", value: 2 }]]);
  });

  it("retries a 500 with exponential backoff on the node's clock and delivers once the receiver recovers", async () => {
    failuresLeft.set("flaky", 2);
    const h = harness(httpOut, { url: `${base}/hook/flaky`, retries: 3, backoff: { initialMs: 1000, maxMs: 10_000 } });
    const started = h.clock.now();
    await withClock(h.clock, Promise.resolve(h.send(msg(3))), 500);
    assert.equal(receivedAt("flaky").length, 3);
    assert.deepEqual(h.out("sent")[0]?.meta?.["http"], { status: 204, attempts: 3 });
    assert.ok(h.clock.now() - started >= 3000, "waited 1 s, then 2 s");
    assert.equal(h.counters.get("retries"), 2);
  });

  it("sends a message that fails every retry to the error port with HTTP_DELIVERY_FAILED", async () => {
    failuresLeft.set("down", 100);
    const h = harness(httpOut, { url: `${base}/hook/down`, retries: 2, backoff: { initialMs: 100, maxMs: 100 } });
    await assert.rejects(withClock(h.clock, Promise.resolve(h.send(msg(4))), 100), (error: { code: string; message: string; details: Record<string, unknown> }) => {
      assert.equal(error.code, "HTTP_DELIVERY_FAILED");
      assert.match(error.message, /POST http:\/\/127\.0\.0\.1:\d+\/hook\/down failed after 3 attempts: 500 Internal Server Error/);
      assert.equal(error.details["status"], 500);
      return true;
    });
    assert.equal(receivedAt("down").length, 3);
    assert.equal(h.counters.get("failed"), 1);
    assert.equal(h.out("sent").length, 0);
  });

  it("does not retry a 400: the receiver refused the message itself", async () => {
    const h = harness(httpOut, { url: `${base}/hook/rejects`, retries: 5 });
    await assert.rejects(Promise.resolve(h.send(msg(5))), { code: "HTTP_DELIVERY_FAILED", details: { url: `${base}/hook/rejects`, attempts: 1, status: 400 } });
    assert.equal(receivedAt("rejects").length, 1);
  });

  it("gives up on a receiver that never answers after timeoutMs, per attempt", async () => {
    const h = harness(httpOut, { url: `${base}/hook/silent`, timeoutMs: 150, retries: 1, backoff: { initialMs: 10, maxMs: 10 } });
    await assert.rejects(withClock(h.clock, Promise.resolve(h.send(msg(6))), 10), /failed after 2 attempts: no answer within 150 ms/);
    assert.equal(receivedAt("silent").length, 2);
  });

  it("reports a refused connection with the network error", async () => {
    const h = harness(httpOut, { url: refusedUrl, retries: 1, backoff: { initialMs: 10, maxMs: 10 } });
    await assert.rejects(withClock(h.clock, Promise.resolve(h.send(msg(7))), 10), /failed after 2 attempts: fetch failed: .*ECONNREFUSED/);
  });

  it("keeps at most maxInFlight requests open", async () => {
    const h = harness(httpOut, { url: `${base}/hook/silent`, timeoutMs: 1000, retries: 0, maxInFlight: 2 });
    const before = receivedAt("silent").length;
    const sends = [1, 2, 3, 4].map((i) => Promise.resolve(h.send(msg(i))).catch(() => undefined));
    for (let i = 0; i < 200 && receivedAt("silent").length - before < 2; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(receivedAt("silent").length - before, 2, "two open, two waiting for a slot until the first time out");
    await Promise.all(sends);
    assert.equal(receivedAt("silent").length - before, 4);
  });

  it("refuses a URL that is not http(s) and a backoff whose max is below its start", () => {
    assert.throws(() => configOf(httpOut, { url: "ftp://x" }), { code: "NODE_CONFIG_INVALID", details: { path: "config.url", nodeType: "http-out" } });
    assert.throws(() => configOf(httpOut, { url: "http://x", backoff: { initialMs: 5000, maxMs: 10 } }), { code: "NODE_CONFIG_INVALID" });
  });

  it("fails the deploy when a header's secret is missing", () => {
    assert.throws(() => harness(httpOut, { url: "http://x", headers: { Authorization: { $secret: "nope" } } }), { code: "SECRET_MISSING" });
  });

  it("sends the auth secret as a bearer token", async () => {
    const h = harness(httpOut, { url: `${base}/hook/bearer`, auth: { $secret: "hook-bearer" } }, { secrets: { "hook-bearer": "t0ken" } });
    await h.send(msg(3));
    assert.equal(receivedAt("bearer")[0]?.headers["authorization"], "Bearer t0ken");
  });

  it("fails the deploy when the auth secret is missing, and refuses auth beside an Authorization header", () => {
    assert.throws(() => harness(httpOut, { url: "http://x", auth: { $secret: "nope" } }), { code: "SECRET_MISSING", details: { secret: "nope" } });
    assert.throws(() => configOf(httpOut, { url: "http://x", auth: { $secret: "a" }, headers: { authorization: "Bearer b" } }), { code: "NODE_CONFIG_INVALID" });
    assert.throws(() => configOf(httpOut, { url: "http://x", auth: "plain-token" }), { code: "FLOW_SECRET_INLINE" });
  });
});
