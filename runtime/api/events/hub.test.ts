/**
 * The hub on its own: a fake runtime, a gate that knows a set of tokens, real WebSocket and SSE
 * clients on a loopback server. Timed behaviour (rate windows, token re-checks, heartbeats) runs on
 * mocked timers moved by the test. The slow-client path needs megabytes queued on a paused socket:
 * events.test.ts drives it through the whole API.
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, describe, it, type TestContext } from "node:test";
import WebSocket from "ws";
import { FakeRuntime } from "../../../test/support/api-stores.ts";
import { until } from "../../../test/support/wait.ts";
import type { Principal, Role } from "../../contract/access.ts";
import type { RuntimeEvent } from "../../local/local-runtime.ts";
import type { TokenCheck } from "../auth.ts";
import { ApiError } from "../http-errors.ts";
import { createEventHub, type EventHub } from "./hub.ts";
import type { EventLimits } from "./limits.ts";

type Message = Record<string, unknown>;

/** A gate that admits the tokens in `valid` (a set the test changes) as viewers. */
function gateOf(valid: Set<string>) {
  const viewer: Principal = { username: "viewer", role: "viewer" };
  const check = (token: string | undefined): TokenCheck =>
    token !== undefined && valid.has(token) ? { ok: true, principal: viewer } : { ok: false, error: new ApiError("AUTH_INVALID", "the token is not accepted: it is unknown or revoked") };
  return {
    check,
    async admit(_req: IncomingMessage, _need: Role, _action: string, _target: string, token?: string): Promise<Principal> {
      const result = check(token);
      if (!result.ok) throw result.error;
      return result.principal;
    },
  };
}

const debug = (flowId: string, at: number): RuntimeEvent => ({ type: "debug", flowId, node: "out", label: "out", msg: { payload: at }, at });
const deploy = (flowId: string, version: number): RuntimeEvent => ({ type: "deploy", flowId, version, phase: "running", at: 0 });

interface Listener {
  readonly ws: WebSocket;
  readonly received: Message[];
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Resolves once a message matching `predicate` has arrived. */
  next(predicate: (message: Message) => boolean, what: string): Promise<Message>;
}

describe("the live event hub", () => {
  let server: Server | undefined;
  let hub: EventHub | undefined;
  let runtime: FakeRuntime;
  const tokens = new Set<string>();
  const listeners: WebSocket[] = [];
  /** The server's sockets, upgraded ones included (closeAllConnections leaves those alone). */
  const sockets = new Set<Socket>();

  async function start(limits: EventLimits = {}): Promise<string> {
    runtime = new FakeRuntime();
    tokens.clear();
    tokens.add("good");
    const created = createEventHub({ runtime, gate: gateOf(tokens), auth: true, limits });
    hub = created;
    server = createServer((req, res) => void created.stream(req, res));
    server.on("connection", (socket) => {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    return `127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** A WebSocket client of `host`'s /api/events, resolved once the hub said hello. */
  async function listen(host: string, query = "", options: { token?: string; autoPong?: boolean } = {}): Promise<Listener> {
    const ws = new WebSocket(`ws://${host}/api/events${query}`, { headers: { authorization: `Bearer ${options.token ?? "good"}` }, autoPong: options.autoPong ?? true });
    listeners.push(ws);
    const received: Message[] = [];
    ws.on("message", (data) => received.push(JSON.parse(String(data)) as Message));
    const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once("close", (code, reason) => resolve({ code, reason: String(reason) })));
    const listener: Listener = {
      ws,
      received,
      closed,
      async next(predicate, what) {
        await until(() => received.some(predicate), () => `${what}; got ${JSON.stringify(received).slice(0, 400)}`);
        return received.find(predicate)!;
      },
    };
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    await listener.next((m) => m["type"] === "hello", "the hello");
    return listener;
  }

  afterEach(async () => {
    // Every socket is closed, both ends, before the hub closes its clients and the next test mocks
    // the clock: ws clears its 30 s close timer when a socket closes, with whatever clearTimeout is current.
    for (const ws of listeners.splice(0)) ws.terminate();
    const closed = [...sockets].map((socket) => new Promise((resolve) => socket.once("close", resolve)));
    for (const socket of sockets) socket.destroy();
    await Promise.all(closed);
    hub?.close();
    hub = undefined;
    if (server) {
      await new Promise((resolve) => server!.close(resolve));
      server = undefined;
    }
  });

  it("listens to the runtime from the first transport on, once however many servers, and stops at close", async () => {
    const host = await start();
    assert.equal(runtime.listenerCount(), 0, "not before a transport");
    hub!.attach(server!);
    const second = createServer();
    hub!.attach(second);
    assert.equal(runtime.listenerCount(), 1);
    const client = await listen(host);
    assert.equal(hub!.stats().clients, 1);
    hub!.close();
    assert.equal(runtime.listenerCount(), 0);
    assert.equal((await client.closed).code, 1001);
    await until(() => hub!.stats().clients === 0, "the closed client to leave");
  });

  it("greets a client with its flow and rate limit, then replays that flow's kept debug events, marked replayed", async () => {
    const host = await start({ perFlowPerSecond: 7, historyPerFlow: 2 });
    hub!.attach(server!);
    for (let at = 1; at <= 3; at++) runtime.emit(debug("line-1", at));
    runtime.emit(debug("line-2", 4));
    runtime.emit(deploy("line-1", 2));
    const one = await listen(host, "?flow=line-1");
    await one.next((m) => m["at"] === 3, "the replay");
    assert.deepEqual(one.received[0], { type: "hello", flow: "line-1", limits: { perFlowPerSecond: 7 } });
    assert.deepEqual(one.received.slice(1).map((m) => [m["type"], m["at"], m["replayed"]]), [["debug", 2, true], ["debug", 3, true]]);
    const all = await listen(host);
    assert.deepEqual(all.received, [{ type: "hello", flow: null, limits: { perFlowPerSecond: 7 } }], "no replay without ?flow=");
  });

  it("sends a one-flow client that flow's events only, and every client the same text of an event", async () => {
    const host = await start();
    hub!.attach(server!);
    const one = await listen(host, "?flow=line-1");
    const all = await listen(host);
    for (const event of [debug("line-2", 1), debug("line-1", 2), deploy("line-2", 5), deploy("line-1", 6)]) runtime.emit(event);
    await all.next((m) => m["version"] === 6, "the last deploy, everywhere");
    await one.next((m) => m["version"] === 6, "the last deploy, on line-1");
    const seen = (l: Listener) => l.received.slice(1).map((m) => `${m["type"]} ${m["flowId"]}`);
    assert.deepEqual(seen(all), ["debug line-2", "debug line-1", "deploy line-2", "deploy line-1"]);
    assert.deepEqual(seen(one), ["debug line-1", "deploy line-1"]);
    assert.deepEqual(one.received[1], debug("line-1", 2));
  });

  it("serves the same events as Server-Sent Events to a plain GET, refusing a bad token with its JSON error", async () => {
    const host = await start();
    const refused = await fetch(`http://${host}/api/events?token=bad`);
    assert.equal(refused.status, 401);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, "AUTH_INVALID");
    assert.equal(runtime.listenerCount(), 1, "a stream listens to the runtime too");
    const controller = new AbortController();
    const response = await fetch(`http://${host}/api/events?token=good&flow=line-1`, { signal: controller.signal });
    const reader = response.body!.getReader();
    let text = "";
    const readUntil = async (pattern: RegExp) => {
      while (!pattern.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    };
    await readUntil(/"type":"hello"/);
    runtime.emit(debug("line-1", 7));
    await readUntil(/"at":7/);
    assert.match(text, /^data: \{"type":"hello","flow":"line-1"/);
    assert.match(text, /\ndata: \{"type":"debug","flowId":"line-1","node":"out","label":"out","msg":\{"payload":7\},"at":7\}\n\n/);
    controller.abort();
    await until(() => hub!.stats().clients === 0, "the stream's client to leave");
  });

  describe("on its timer", () => {
    /** Mocks Date and the timers before the hub is built, so its windows, re-checks and heartbeats follow the test's clock. */
    const mockClock = (t: TestContext) => t.mock.timers.enable({ apis: ["Date", "setInterval", "setTimeout"], now: 1_700_000_000_000 });

    it("drops what is over the rate per flow, counting it, and notes the count when the window turns; deploy events always pass", async (t) => {
      mockClock(t);
      const host = await start({ perFlowPerSecond: 2, tickMs: 100 });
      hub!.attach(server!);
      const client = await listen(host);
      for (let at = 1; at <= 5; at++) runtime.emit(debug("line-1", at));
      runtime.emit(debug("line-2", 6));
      for (let version = 1; version <= 3; version++) runtime.emit(deploy("line-1", version));
      await client.next((m) => m["version"] === 3, "every deploy event");
      assert.equal(hub!.stats().droppedRate, 3);
      assert.deepEqual(client.received.filter((m) => m["type"] === "debug").map((m) => m["at"]), [1, 2, 6]);
      t.mock.timers.tick(1000);
      assert.deepEqual(await client.next((m) => m["type"] === "debug-dropped", "the drop note"), { type: "debug-dropped", flowId: "line-1", count: 3 });
      runtime.emit(debug("line-1", 8));
      await client.next((m) => m["at"] === 8, "a debug event of the new window");
    });

    it("closes a client with 1008 once its token is no longer accepted, at the next re-check", async (t) => {
      mockClock(t);
      const host = await start({ recheckMs: 1000, tickMs: 100 });
      tokens.add("revoked-soon");
      hub!.attach(server!);
      const keeps = await listen(host);
      const loses = await listen(host, "", { token: "revoked-soon" });
      tokens.delete("revoked-soon");
      t.mock.timers.tick(900);
      t.mock.timers.tick(100);
      assert.deepEqual(await loses.closed, { code: 1008, reason: "the token is not accepted: it is unknown or revoked" });
      runtime.emit(deploy("line-1", 1));
      await keeps.next((m) => m["type"] === "deploy", "an event on the client whose token is still good");
      assert.equal(keeps.ws.readyState, WebSocket.OPEN);
    });

    it("pings every client each 30 s and cuts one that did not answer the last ping", async (t) => {
      mockClock(t);
      const host = await start({ tickMs: 1000 });
      hub!.attach(server!);
      const answers = await listen(host);
      const silent = await listen(host, "", { autoPong: false });
      const pinged = (l: Listener) => new Promise<void>((resolve) => l.ws.once("ping", () => resolve()));
      const firstPings = [pinged(answers), pinged(silent)];
      t.mock.timers.tick(30_000);
      await Promise.all(firstPings);
      // A ping of our own answered proves the server has read the pong sent before it.
      const roundTrip = new Promise<void>((resolve) => answers.ws.once("pong", () => resolve()));
      answers.ws.ping();
      await roundTrip;
      t.mock.timers.tick(30_000);
      assert.equal((await silent.closed).code, 1006, "cut, not closed with a handshake");
      runtime.emit(deploy("line-1", 1));
      await answers.next((m) => m["type"] === "deploy", "an event on the client that answers pings");
    });
  });
});
