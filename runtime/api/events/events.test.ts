/** The live events end to end: through the API, over WebSocket and SSE, against the fake runtime (the parts have unit tests beside them). */
import { until, within } from "../../../test/support/wait.ts";
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import WebSocket from "ws";
import type { RuntimeEvent } from "../../local/local-runtime.ts";
import type { EventLimits } from "./limits.ts";
import { auditOf, startApi, type TestApi } from "../../../test/support/api.ts";

interface Listener {
  readonly ws: WebSocket;
  readonly received: Array<Record<string, unknown>>;
  /** Resolves with the first message matching `predicate` (already received or still to come). */
  next(predicate: (message: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

function listen(t: TestApi, query = "", headers: Record<string, string> = { authorization: `Bearer ${t.tokens.viewer}` }): Promise<Listener> {
  const ws = new WebSocket(`${t.url.replace("http", "ws")}/api/events${query}`, { headers });
  const received: Array<Record<string, unknown>> = [];
  const waiting: Array<{ predicate: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }> = [];
  ws.on("message", (data) => {
    const message = JSON.parse(String(data)) as Record<string, unknown>;
    received.push(message);
    for (const w of waiting.filter((w) => w.predicate(message))) waiting.splice(waiting.indexOf(w), 1), w.resolve(message);
  });
  const listener: Listener = {
    ws,
    received,
    next: (predicate, timeoutMs = 3000) =>
      new Promise((resolve, reject) => {
        const found = received.find(predicate);
        if (found) return resolve(found);
        waiting.push({ predicate, resolve });
        setTimeout(() => reject(new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(received).slice(0, 300)}`)), timeoutMs).unref();
      }),
  };
  return new Promise((resolve, reject) => {
    ws.once("error", reject);
    ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    listener.next((m) => m["type"] === "hello").then(() => resolve(listener), reject);
  });
}

const debug = (flowId: string, n: number, payload: unknown = n): RuntimeEvent => ({ type: "debug", flowId, node: "out", label: "out", msg: { payload }, at: n });

describe("live events over WebSocket", () => {
  let t: TestApi;
  const start = async (events?: EventLimits) => (t = await startApi(events ? { limits: { events } } : {}));
  afterEach(() => t.close());

  it("refuses a connection without a valid token with 401 and audits the refusal", async () => {
    await start();
    for (const headers of [{}, { authorization: "Bearer nope" }]) {
      await assert.rejects(listen(t, "", headers), /HTTP 401/);
    }
    assert.deepEqual(auditOf(t.audit, "refused").map((r) => [r.action, r.target]), [["events.subscribe", "events"], ["events.subscribe", "events"]]);
    await assert.rejects(listen(t, "?flow=..%2F", { authorization: `Bearer ${t.tokens.viewer}` }), /HTTP 400/);
  });

  it("takes the token from ?token= for browsers, and answers a plain GET with 426", async () => {
    await start();
    const client = await listen(t, `?token=${t.tokens.viewer}`, {});
    assert.equal(client.received[0]?.["type"], "hello");
    client.ws.close();
    const plain = await t.request("GET", "/api/events", { as: "viewer" });
    assert.equal(plain.status, 426);
    assert.equal(plain.body.error.code, "API_UPGRADE_REQUIRED");
  });

  it("streams the same events as Server-Sent Events to a plain GET that accepts text/event-stream (curl -N)", async () => {
    await start();
    const refused = await fetch(`${t.url}/api/events`, { headers: { accept: "text/event-stream" } });
    assert.equal(refused.status, 401);
    const controller = new AbortController();
    const response = await fetch(`${t.url}/api/events?flow=line-1`, {
      headers: { accept: "text/event-stream", authorization: `Bearer ${t.tokens.viewer}` },
      signal: controller.signal,
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/event-stream");
    const reader = response.body!.getReader();
    let text = "";
    const read = async (until: RegExp) => {
      while (!until.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    };
    await read(/"type":"hello"/);
    t.runtime.emit(debug("line-2", 1));
    t.runtime.emit(debug("line-1", 2, { vibration: 4.2 }));
    await read(/"vibration":4.2/);
    assert.doesNotMatch(text, /line-2/);
    assert.match(text, /^data: \{"type":"debug","flowId":"line-1"/m);
    controller.abort();
  });

  it("forwards debug, status, error and deploy events, for one flow with ?flow=", async () => {
    await start();
    const all = await listen(t);
    const one = await listen(t, "?flow=line-1");
    const events: RuntimeEvent[] = [
      debug("line-2", 1),
      { type: "status", flowId: "line-1", node: "src", status: { state: "reconnecting", text: "broker down" }, at: 2 },
      { type: "error", flowId: "line-1", node: "map", code: "EXPRESSION_FAILED", message: "no field x", at: 3 },
      { type: "deploy", flowId: "line-1", version: 2, phase: "running", at: 4 },
    ];
    for (const event of events) t.runtime.emit(event);
    await all.next((m) => m["type"] === "deploy");
    await one.next((m) => m["type"] === "deploy");
    const kinds = (l: Listener) => l.received.slice(1).map((m) => `${m["type"]} ${m["flowId"]}`);
    assert.deepEqual(kinds(all), ["debug line-2", "status line-1", "error line-1", "deploy line-1"]);
    assert.deepEqual(kinds(one), ["status line-1", "error line-1", "deploy line-1"]);
    assert.deepEqual(one.received[2], events[2]);
  });

  it("limits debug events per flow and second, and says how many were dropped", async () => {
    await start({ perFlowPerSecond: 5, tickMs: 20 });
    const client = await listen(t);
    for (let n = 0; n < 20; n++) t.runtime.emit(debug("line-1", n));
    for (let n = 0; n < 3; n++) t.runtime.emit(debug("line-2", n));
    t.runtime.emit({ type: "deploy", flowId: "line-1", version: 3, phase: "starting", at: 0 });
    const note = await client.next((m) => m["type"] === "debug-dropped");
    assert.deepEqual(note, { type: "debug-dropped", flowId: "line-1", count: 15 });
    const debugs = client.received.filter((m) => m["type"] === "debug");
    assert.equal(debugs.filter((m) => m["flowId"] === "line-1").length, 5);
    assert.equal(debugs.filter((m) => m["flowId"] === "line-2").length, 3);
    assert.ok(client.received.some((m) => m["type"] === "deploy"), "deploy events are never limited");
  });

  it("replays a flow's last debug messages, marked replayed, to a client subscribing to that flow", async () => {
    await start({ historyPerFlow: 3 });
    for (let n = 1; n <= 5; n++) t.runtime.emit(debug("line-1", n));
    t.runtime.emit(debug("line-2", 6));
    t.runtime.emit({ type: "deploy", flowId: "line-1", version: 2, phase: "running", at: 7 });
    t.runtime.emit(debug("line-1", 8, "x".repeat(100_000)));
    const one = await listen(t, "?flow=line-1");
    await one.next((m) => m["type"] === "debug" && m["at"] === 8);
    const replayed = one.received.filter((m) => m["type"] === "debug");
    assert.deepEqual(replayed.map((m) => [m["at"], m["replayed"]]), [[4, true], [5, true], [8, true]], "the oldest fell off; only line-1's debug events");
    assert.match(JSON.stringify(replayed[2]?.["msg"]), /over the 65536 limit/, "a replayed message is bounded like a live one");
    t.runtime.emit(debug("line-1", 9));
    const live = await one.next((m) => m["at"] === 9);
    assert.equal(live["replayed"], undefined, "live events are not marked");
    const all = await listen(t);
    t.runtime.emit(debug("line-1", 10));
    await all.next((m) => m["at"] === 10);
    assert.equal(all.received.filter((m) => m["replayed"]).length, 0, "no history without ?flow=");
  });

  for (const historyPerFlow of [0, -5, Number.NaN]) {
    it(`keeps no history when historyPerFlow is ${historyPerFlow}`, async () => {
      await start({ historyPerFlow });
      for (let n = 1; n <= 3; n++) t.runtime.emit(debug("line-1", n));
      const one = await listen(t, "?flow=line-1");
      t.runtime.emit(debug("line-1", 4));
      await one.next((m) => m["at"] === 4);
      assert.deepEqual(one.received.filter((m) => m["type"] === "debug").map((m) => m["at"]), [4]);
    });
  }

  it("replaces a debug message too big to send with a note", async () => {
    await start();
    const client = await listen(t);
    t.runtime.emit(debug("line-1", 1, "x".repeat(100_000)));
    const message = await client.next((m) => m["type"] === "debug");
    assert.match(JSON.stringify(message["msg"]), /over the 65536 limit/);
  });

  it("never lets a client that stops reading slow the flow: its events are dropped, it is closed with 1013, others keep up", async () => {
    await start({ perFlowPerSecond: 1e9, maxBufferedBytes: 64 * 1024, stuckMs: 300, closeGraceMs: 10_000, tickMs: 20 });
    const slow = await listen(t);
    const fast = await listen(t);
    slow.ws.pause();
    const payload = "v".repeat(16 * 1024);
    let emitting = 0;
    for (let batch = 0; batch < 150; batch++) {
      const started = performance.now();
      for (let n = 0; n < 20; n++) t.runtime.emit(debug("line-1", batch * 20 + n, payload));
      emitting += performance.now() - started;
      // The next batch once the fast client has this one: paced by a reader that keeps up.
      await fast.next((m) => m["type"] === "debug" && m["at"] === batch * 20 + 19, 5000);
    }
    t.runtime.emit({ type: "deploy", flowId: "line-1", version: 9, phase: "running", at: 0 });
    await fast.next((m) => m["type"] === "deploy" && m["version"] === 9, 5000);
    assert.ok(emitting < 3000, `emitting 3000 events took ${Math.round(emitting)} ms`);

    const metrics = async () => (await t.request("GET", "/metrics", { as: "nobody" })).text;
    let text = "";
    await until(async () => /aiotflow_events_slow_closed_total 1\n/.test((text = await metrics())), () => `the slow client closed; /metrics says ${/aiotflow_events_slow.*/.exec(text)?.[0] ?? "nothing"}`);
    assert.match(text, /aiotflow_events_slow_closed_total 1\n/);
    const dropped = Number(/aiotflow_events_dropped_total\{reason="slow-client"\} (\d+)/.exec(text)?.[1]);
    assert.ok(dropped > 100, `only ${dropped} events dropped for the slow client`);

    const closed = new Promise<number>((resolve) => slow.ws.once("close", (code) => resolve(code)));
    slow.ws.resume();
    assert.equal(await closed, 1013);
    assert.equal(t.runtime.listenerCount(), 1, "the flow still has exactly the hub as listener");
  });

  const closeOf = (ws: WebSocket) =>
    new Promise<number>((resolve, reject) => {
      ws.once("close", (code) => resolve(code));
      setTimeout(() => reject(new Error("the client was not closed within 3 s")), 3000).unref();
    });

  it("closes a client with 1008 once its token is revoked (logout)", async () => {
    await start({ recheckMs: 50, tickMs: 20 });
    const { token } = await t.users.issueToken({ username: "viewer", name: "login", kind: "session" });
    const listener = await listen(t, "", { authorization: `Bearer ${token}` });
    const closed = closeOf(listener.ws);
    t.runtime.emit(debug("line-1", 1000));
    await listener.next((m) => m["type"] === "debug" && m["at"] === 1000);
    assert.equal(listener.ws.readyState, WebSocket.OPEN, "a valid token keeps the client open");
    assert.equal((await t.request("POST", "/api/auth/logout", { as: { token } })).body.revoked, true);
    assert.equal(await closed, 1008);
  });

  it("closes WebSocket and SSE clients of a user who is disabled", async () => {
    await start({ recheckMs: 50, tickMs: 20 });
    const listener = await listen(t);
    const closed = closeOf(listener.ws);
    const sse = await fetch(`${t.url}/api/events`, { headers: { accept: "text/event-stream", authorization: `Bearer ${t.tokens.viewer}` } });
    assert.equal(sse.status, 200);
    const text = sse.text();
    assert.equal((await t.request("PUT", "/api/users/viewer", { body: { disabled: true } })).status, 200);
    assert.equal(await closed, 1008);
    const ended = await within(text, "the SSE stream of the disabled user ending", 3000);
    assert.match(ended, /event: close\ndata: .*disabled/);
  });
});
