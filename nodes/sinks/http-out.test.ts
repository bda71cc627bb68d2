import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { diskOutboxes } from "../../runtime/connections/outbox.ts";
import { configOf, type Message } from "../../runtime/sdk/index.ts";
import { OUTBOXES } from "../../runtime/sdk/outbox.ts";
import { provide, services } from "../../runtime/sdk/services.ts";
import { harness } from "../../runtime/sdk/testing.ts";
import { freePort } from "../../test/support/mosquitto.ts";
import { flow, flowEngine } from "../../test/support/mqtt-flow.ts";
import { until as waitUntil } from "../../test/support/wait.ts";
import httpOut from "./http-out.ts";

interface Received {
  readonly path: string;
  readonly method: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: unknown;
}

/**
 * A real HTTP receiver on 127.0.0.1 that can be stopped and started again on the same port, and told
 * per path to answer with a status or not at all.
 */
class Receiver {
  readonly received: Received[] = [];
  /** path -> status to answer (default 204); "silent" never answers. */
  readonly answers = new Map<string, number | "silent">();
  /** Requests that reached the server, answered or not. */
  opened = 0;
  private server: Server | undefined;
  constructor(readonly port: number) {}
  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  at(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }
  async start(): Promise<void> {
    const server = createServer((req, res) => {
      this.opened++;
      let text = "";
      req.on("data", (chunk: Buffer) => void (text += chunk.toString()));
      req.on("end", () => {
        const path = req.url ?? "/";
        const answer = this.answers.get(path) ?? 204;
        if (answer === "silent") return;
        // Only what the receiver took counts as received: a 503 is not a delivery.
        if (answer < 300) this.received.push({ path, method: req.method ?? "", headers: req.headers, body: text ? JSON.parse(text) : undefined });
        res.statusCode = answer;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, "127.0.0.1", () => resolve()));
    this.server = server;
  }
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "http-out-"));
  dirs.push(dir);
  return dir;
};
let receiver: Receiver;
before(async () => {
  receiver = new Receiver(await freePort());
  await receiver.start();
});
after(async () => {
  await receiver.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const msg = (i: number): Message => ({ topic: "alarms", key: `pump-${i}`, ts: 1_000 + i, payload: { state: "raised", value: i }, meta: { source: "gate" } });
const values = (list: Received[]) => list.map((r) => (r.body as { payload: { value: number } }).payload.value);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** http-out on the harness with a disk buffer under `dataDir` (a fresh one unless given). */
function sink(config: Record<string, unknown>, options: { dataDir?: string; secrets?: Record<string, string> } = {}) {
  const outboxes = diskOutboxes(options.dataDir ?? tempDir());
  return harness(httpOut, config, { services: services(provide(OUTBOXES, outboxes)), ...(options.secrets ? { secrets: options.secrets } : {}) });
}

/** Waits for `condition` (a network wait), moving the node's virtual clock `stepMs` per look so backoff pauses pass. */
function until(h: { clock: { advance(ms: number): void } }, condition: () => boolean, what: string, stepMs = 20): Promise<void> {
  return waitUntil(condition, what, { timeoutMs: 8_000, pollMs: 5, between: () => h.clock.advance(stepMs) });
}

const fast = { backoff: { initialMs: 10, maxMs: 80 } };
const errorsOf = (h: { emitted: Array<{ port: string; msg: Message }> }) => h.emitted.filter((e) => e.port === "error").map((e) => e.msg);

describe("http-out", () => {
  for (const example of httpOut.examples) {
    it(`accepts its example "${example.title}"`, () => assert.ok(configOf(httpOut, example.config)));
  }

  it("POSTs the message as JSON with secret headers resolved, and passes it on with the status", async () => {
    const h = sink({ url: `${receiver.base}/plain`, headers: { Authorization: { $secret: "hook-token" }, "X-Plant": "north" } }, { secrets: { "hook-token": "Bearer s3cret" } });
    h.send(msg(1));
    await until(h, () => h.out("sent").length === 1, "the delivery");
    const [request] = receiver.at("/plain");
    assert.equal(request?.method, "POST");
    assert.equal(request?.headers["authorization"], "Bearer s3cret");
    assert.equal(request?.headers["x-plant"], "north");
    assert.deepEqual(request?.body, msg(1));
    assert.deepEqual(h.out("sent")[0]?.meta, { source: "gate", http: { status: 204, attempts: 1 } });
    assert.equal(h.counters.get("delivered"), 1);
    await h.node.close?.();
  });

  it("PUTs only the payload when body is payload", async () => {
    const h = sink({ url: `${receiver.base}/put`, method: "PUT", body: "payload" });
    h.send(msg(2));
    await until(h, () => receiver.at("/put").length === 1, "the delivery");
    assert.deepEqual(receiver.at("/put").map((r) => [r.method, r.body]), [["PUT", { state: "raised", value: 2 }]]);
    await h.node.close?.();
  });

  it("buffers while the receiver answers 503, shows why, and delivers everything in order once it recovers", async () => {
    receiver.answers.set("/busy", 503);
    const h = sink({ url: `${receiver.base}/busy`, ...fast });
    for (let i = 0; i < 50; i++) h.send(msg(i));
    await until(h, () => (h.counters.get("retries") ?? 0) >= 3, "a few failed rounds");
    assert.equal(h.statuses.at(-1)?.state, "reconnecting");
    assert.match(h.statuses.at(-1)?.text ?? "", /\/busy: 503 Service Unavailable; retrying in \d+ ms, 50 buffered/);
    assert.equal(h.out("sent").length, 0);
    receiver.answers.delete("/busy");
    await until(h, () => h.out("sent").length === 50, "all 50 after recovery");
    assert.deepEqual(values(receiver.at("/busy")), range(0, 50), "in order, none lost, none twice");
    assert.ok(((h.out("sent")[0]?.meta?.["http"] as { attempts: number }).attempts) >= 4, "the head was tried in every round");
    assert.equal(h.statuses.at(-1)?.state, "running");
    await h.node.close?.();
  });

  it("loses nothing when the receiver's server stops mid-stream and comes back on the same port", async () => {
    const own = new Receiver(await freePort());
    await own.start();
    const h = sink({ url: `${own.base}/seq`, ...fast });
    for (let i = 0; i < 100; i++) h.send(msg(i));
    await until(h, () => own.at("/seq").length >= 20, "the first deliveries");
    await own.stop(); // mid-stream: the rest of the 100 are still buffered
    for (let i = 100; i < 200; i++) h.send(msg(i));
    await until(h, () => /ECONNREFUSED/.test(h.statuses.at(-1)?.text ?? ""), "the outage in the status");
    assert.equal(h.statuses.at(-1)?.state, "reconnecting");
    await own.start();
    await until(h, () => h.out("sent").length === 200, "all 200");
    const seen = values(own.at("/seq"));
    assert.deepEqual(seen.filter((v, at) => seen.indexOf(v) === at), range(0, 200), "in order (a request cut off by the stop may come twice)");
    await h.node.close?.();
    await own.stop();
  });

  it("drops the oldest when the buffer is full, counts them, and delivers the newest in order", async () => {
    const own = new Receiver(await freePort()); // not started: connections are refused
    const h = sink({ url: `${own.base}/full`, ...fast, buffer: { maxMessages: 20 } });
    for (let i = 0; i < 30; i++) h.send(msg(i));
    await until(h, () => (h.counters.get("retries") ?? 0) >= 1, "the outage noticed");
    assert.equal(h.counters.get("buffer_dropped_overflow"), 10);
    assert.ok(h.logs.some((l) => l.fields?.["code"] === "BUFFER_OVERFLOW"));
    await own.start();
    await until(h, () => h.out("sent").length === 20, "the newest 20");
    assert.deepEqual(values(own.at("/full")), range(10, 30));
    await h.node.close?.();
    await own.stop();
  });

  it("acknowledges the right messages when the full buffer dropped some that were in flight", async () => {
    receiver.answers.set("/inflight", "silent");
    const h = sink({ url: `${receiver.base}/inflight`, timeoutMs: 200, ...fast, buffer: { maxMessages: 3 } });
    h.send(msg(0));
    const before = receiver.opened;
    await until(h, () => receiver.opened > before, "the first request open", 0);
    for (let i = 1; i < 6; i++) h.send(msg(i)); // drops 0 (in flight), 1 and 2
    assert.equal(h.counters.get("buffer_dropped_overflow"), 3);
    receiver.answers.delete("/inflight");
    await until(h, () => h.out("sent").length === 3, "the three kept");
    assert.deepEqual(values(receiver.at("/inflight")), [3, 4, 5]);
    await h.node.close?.();
  });

  it("lets buffered messages past maxAgeMs expire unsent, counted", async () => {
    const own = new Receiver(await freePort());
    const h = sink({ url: `${own.base}/old`, backoff: { initialMs: 1000, maxMs: 1000 }, buffer: { maxAgeMs: 60_000 } });
    for (let i = 0; i < 5; i++) h.send(msg(i));
    await until(h, () => (h.counters.get("retries") ?? 0) >= 1, "the outage noticed", 0);
    h.clock.advance(61_000);
    await until(h, () => h.counters.get("buffer_dropped_expired") === 5, "the five expired", 0);
    await own.start();
    h.send(msg(9));
    await until(h, () => h.out("sent").length === 1, "the fresh one");
    assert.deepEqual(values(own.at("/old")), [9]);
    await h.node.close?.();
    await own.stop();
  });

  it("sends a 400 or 401 to the error port as HTTP_DELIVERY_REJECTED once, without retrying, and goes on with the next", async () => {
    receiver.answers.set("/refuses", 400);
    const h = sink({ url: `${receiver.base}/refuses`, ...fast });
    h.send(msg(1));
    await until(h, () => errorsOf(h).length === 1, "the rejection");
    const [error] = errorsOf(h);
    assert.equal(error?.meta?.["error"], "HTTP_DELIVERY_REJECTED");
    const { message, hint, ...details } = error?.payload as { message: string; hint: string };
    assert.deepEqual(details, { code: "HTTP_DELIVERY_REJECTED", url: `${receiver.base}/refuses`, status: 400, attempts: 1, node: "under-test", input: msg(1) });
    assert.match(message, /refused the message \(400 Bad Request\); not retried/);
    assert.match(hint, /retrying cannot fix/);
    receiver.answers.set("/refuses", 401);
    h.send(msg(2));
    await until(h, () => errorsOf(h).length === 2, "the second rejection");
    assert.equal(errorsOf(h)[1]?.payload && (errorsOf(h)[1]!.payload as { status: number }).status, 401);
    receiver.answers.delete("/refuses"); // the rejections did not block the buffer
    h.send(msg(3));
    await until(h, () => h.out("sent").length === 1, "the third delivered");
    assert.deepEqual(values(receiver.at("/refuses")), [3]);
    assert.equal(h.counters.get("retries"), undefined, "nothing was retried");
    assert.equal(h.counters.get("rejected"), 2);
    await h.node.close?.();
  });

  it("keeps a message whose receiver never answers buffered after timeoutMs, with the reason in the status", async () => {
    receiver.answers.set("/silent", "silent");
    const h = sink({ url: `${receiver.base}/silent`, timeoutMs: 100, ...fast });
    h.send(msg(1));
    await until(h, () => h.statuses.some((s) => /no answer within 100 ms/.test(s.text ?? "")), "the timeout");
    assert.equal(h.out("sent").length + errorsOf(h).length, 0, "neither delivered nor given up");
    await h.node.close?.();
  });

  it("keeps what was not delivered across a restart and sends it when the flow starts again", async () => {
    const own = new Receiver(await freePort());
    const dataDir = tempDir();
    const first = sink({ url: `${own.base}/restart`, ...fast }, { dataDir });
    for (let i = 0; i < 5; i++) first.send(msg(i));
    await until(first, () => (first.counters.get("retries") ?? 0) >= 1, "the outage noticed");
    await first.node.close?.();
    await own.start();
    const second = sink({ url: `${own.base}/restart`, ...fast }, { dataDir });
    await until(second, () => second.out("sent").length === 5, "the five from before the restart");
    assert.deepEqual(values(own.at("/restart")), range(0, 5));
    await second.node.close?.();
    await own.stop();
  });

  it("keeps at most maxInFlight requests open", async () => {
    receiver.answers.set("/slow", "silent");
    // A round's requests all start before any of them reaches the receiver: once two are open, a
    // third of the same round would already have been started.
    const send = globalThis.fetch;
    let started = 0;
    globalThis.fetch = (...args) => (started++, send(...args));
    try {
      const h = sink({ url: `${receiver.base}/slow`, timeoutMs: 5_000, maxInFlight: 2 });
      const before = receiver.opened;
      for (let i = 0; i < 4; i++) h.send(msg(i));
      await until(h, () => receiver.opened - before >= 2, "two requests open", 0);
      assert.equal(started, 2, "two sent, two waiting in the buffer");
      assert.equal(receiver.opened - before, 2);
      await h.node.close?.();
    } finally {
      globalThis.fetch = send;
    }
  });

  it("refuses a message that cannot be written as JSON with MESSAGE_SHAPE_INVALID", async () => {
    const h = sink({ url: `${receiver.base}/plain` });
    assert.throws(() => h.send({ topic: "t", ts: 0, payload: { big: 10n } }), { code: "MESSAGE_SHAPE_INVALID" });
    await h.node.close?.();
  });

  it("routes a rejection to the wired error port in a running flow, and keeps delivering", async () => {
    receiver.answers.set("/flow-bad", 422);
    const t = await flowEngine([httpOut], { dataDir: tempDir() });
    await t.engine.deploy(flow("webhook", {}, [
      { id: "src", type: "test-source" },
      { id: "good", type: "http-out", config: { url: `${receiver.base}/flow-good`, ...fast } },
      { id: "bad", type: "http-out", config: { url: `${receiver.base}/flow-bad`, ...fast } },
      { id: "errors", type: "test-sink" },
    ], [["src", "good"], ["src", "bad"], ["bad", "errors", "error"]]));
    for (let i = 0; i < 3; i++) t.probe.sources.get("src")!({ ...msg(i) });
    await waitUntil(() => receiver.at("/flow-good").length >= 3 && t.received("errors").length >= 3, "three deliveries and three rejections");
    assert.deepEqual(values(receiver.at("/flow-good")), [0, 1, 2]);
    assert.deepEqual(t.received("errors").map((m) => [(m.payload as { code: string }).code, (m.payload as { status: number }).status, m.key]), [
      ["HTTP_DELIVERY_REJECTED", 422, "pump-0"], ["HTTP_DELIVERY_REJECTED", 422, "pump-1"], ["HTTP_DELIVERY_REJECTED", 422, "pump-2"],
    ]);
    await t.close();
  });

  it("refuses a URL that is not http(s), a backoff whose max is below its start, and a tiny buffer", () => {
    assert.throws(() => configOf(httpOut, { url: "ftp://x" }), { code: "NODE_CONFIG_INVALID", details: { path: "config.url", nodeType: "http-out" } });
    assert.throws(() => configOf(httpOut, { url: "http://x", backoff: { initialMs: 5000, maxMs: 10 } }), { code: "NODE_CONFIG_INVALID" });
    assert.throws(() => configOf(httpOut, { url: "http://x", buffer: { maxBytes: 10 } }), { code: "NODE_CONFIG_INVALID" });
  });

  it("fails the deploy when a header's secret is missing", () => {
    assert.throws(() => sink({ url: "http://x", headers: { Authorization: { $secret: "nope" } } }), { code: "SECRET_MISSING" });
  });

  it("sends the auth secret as a bearer token", async () => {
    const h = sink({ url: `${receiver.base}/bearer`, auth: { $secret: "hook-bearer" } }, { secrets: { "hook-bearer": "t0ken" } });
    h.send(msg(3));
    await until(h, () => receiver.at("/bearer").length === 1, "the delivery");
    assert.equal(receiver.at("/bearer")[0]?.headers["authorization"], "Bearer t0ken");
    await h.node.close?.();
  });

  it("fails the deploy when the auth secret is missing, and refuses auth beside an Authorization header", () => {
    assert.throws(() => sink({ url: "http://x", auth: { $secret: "nope" } }), { code: "SECRET_MISSING", details: { secret: "nope" } });
    assert.throws(() => configOf(httpOut, { url: "http://x", auth: { $secret: "a" }, headers: { authorization: "Bearer b" } }), { code: "NODE_CONFIG_INVALID" });
    assert.throws(() => configOf(httpOut, { url: "http://x", auth: "plain-token" }), { code: "FLOW_SECRET_INLINE" });
  });
});
