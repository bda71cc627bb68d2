import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, it } from "node:test";
import WebSocket from "ws";
import type { Principal, Role } from "../../contract/access.ts";
import { ApiError } from "../http-errors.ts";
import { newClient, type Client, type Subscription } from "./client.ts";
import { socketEndpoint, type SocketEndpoint } from "./socket.ts";

const gate = {
  async admit(_req: IncomingMessage, _need: Role, _action: string, _target: string, token?: string): Promise<Principal> {
    if (token !== "good") throw new ApiError("AUTH_INVALID", "the token is not accepted");
    return { username: "viewer", role: "viewer" };
  },
};

describe("live events over a WebSocket (transport)", () => {
  let server: Server;
  let endpoint: SocketEndpoint;
  let base: string;
  const joined: Array<{ client: Client; subscription: Subscription }> = [];
  const left: Client[] = [];

  const start = async (auth = true) => {
    joined.length = 0;
    left.length = 0;
    server = createServer((_req, res) => res.writeHead(404).end());
    endpoint = socketEndpoint({
      gate,
      auth,
      join: (out, subscription) => {
        const client = newClient(out, subscription, { perFlowPerSecond: 10, maxBufferedBytes: 1024, stuckMs: 1000 });
        joined.push({ client, subscription });
        return client;
      },
      leave: (client) => void left.push(client),
    });
    endpoint.attach(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  afterEach(async () => {
    endpoint.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const open = (path: string, headers: Record<string, string> = {}) =>
    new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(`${base}${path}`, { headers });
      ws.once("open", () => resolve(ws));
      ws.once("error", reject);
      ws.once("unexpected-response", (_req, res) => {
        let body = "";
        res.on("data", (chunk) => (body += chunk));
        res.on("end", () => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, body: JSON.parse(body) })));
      });
    });

  it("hands an admitted socket to the hub, which sends through it, sees its pongs and forgets it once closed", async () => {
    await start();
    const ws = await open("/api/events?flow=line-1", { authorization: "Bearer good" });
    assert.deepEqual(joined.map((j) => j.subscription), [{ flow: "line-1", token: "good" }]);
    const { client } = joined[0]!;
    const message = new Promise<string>((resolve) => ws.once("message", (data) => resolve(String(data))));
    client.out.send('{"type":"hello"}');
    assert.equal(await message, '{"type":"hello"}');
    client.alive = false;
    const ponged = new Promise((resolve) => ws.once("ping", resolve));
    client.out.ping();
    await ponged;
    for (let i = 0; i < 50 && !client.alive; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(client.alive, true, "the pong marks the client alive");
    const closed = new Promise<number>((resolve) => ws.once("close", resolve));
    client.out.close(1013, "client too slow");
    assert.equal(await closed, 1013);
    for (let i = 0; i < 50 && left.length === 0; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(left, [client]);
  });

  const refusals: Array<[name: string, auth: boolean, path: string, headers: Record<string, string>, status: number, code: string]> = [
    ["no token", true, "/api/events", {}, 401, "AUTH_INVALID"],
    ["a path with no WebSocket", true, "/api/other", { authorization: "Bearer good" }, 404, "API_ROUTE_UNKNOWN"],
    ["a flow that is not an id", true, "/api/events?flow=..", { authorization: "Bearer good" }, 400, "ID_INVALID"],
    ["another site's page in --no-auth mode", false, "/api/events", { origin: "http://evil.example", authorization: "Bearer good" }, 403, "AUTH_FORBIDDEN"],
  ];
  for (const [name, auth, path, headers, status, code] of refusals) {
    it(`refuses ${name} with a plain HTTP ${status} and the API's error body`, async () => {
      await start(auth);
      await assert.rejects(open(path, headers), (error: { status: number; body: { error: { code: string } } }) => {
        assert.equal(error.status, status);
        assert.equal(error.body.error.code, code);
        return true;
      });
      assert.equal(joined.length, 0);
    });
  }

  it("stops listening for upgrades when closed", async () => {
    await start();
    assert.equal(server.listenerCount("upgrade"), 1);
    endpoint.close();
    assert.equal(server.listenerCount("upgrade"), 0);
  });
});
