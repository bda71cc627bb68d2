import { until } from "../../../test/support/wait.ts";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, it } from "node:test";
import type { Principal, Role } from "../../contract/access.ts";
import { ApiError } from "../http-errors.ts";
import { newClient, type Client, type Subscription } from "./client.ts";
import { serveEventStream } from "./sse.ts";

const gate = {
  async admit(_req: IncomingMessage, _need: Role, _action: string, _target: string, token?: string): Promise<Principal> {
    if (token !== "good") throw new ApiError("AUTH_INVALID", "the token is not accepted");
    return { username: "viewer", role: "viewer" };
  },
};

describe("live events as Server-Sent Events (transport)", () => {
  let server: Server;
  let base: string;
  const joined: Array<{ client: Client; subscription: Subscription }> = [];
  const left: Client[] = [];

  const start = async () => {
    joined.length = 0;
    left.length = 0;
    server = createServer((req, res) => {
      void serveEventStream(req, res, {
        gate,
        join: (out, subscription) => {
          const client = newClient(out, subscription, { perFlowPerSecond: 10, maxBufferedBytes: 1024, stuckMs: 1000 });
          joined.push({ client, subscription });
          // What the hub does first: a hello.
          out.send('{"type":"hello"}');
          return client;
        },
        leave: (client) => void left.push(client),
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("answers a refused subscription with its status and JSON error, and joins nobody", async () => {
    await start();
    const response = await fetch(`${base}/api/events`);
    assert.equal(response.status, 401);
    assert.equal(response.headers.get("content-type"), "application/json");
    const body = (await response.json()) as { error: { code: string } };
    assert.equal(body.error.code, "AUTH_INVALID");
    assert.equal(joined.length, 0);
  });

  it("streams events as data frames, pings as comments, and ends with a close event", async () => {
    await start();
    const response = await fetch(`${base}/api/events?token=good&flow=line-1`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/event-stream");
    assert.equal(response.headers.get("x-accel-buffering"), "no");
    assert.deepEqual(joined.map((j) => j.subscription), [{ flow: "line-1", token: "good" }]);
    const { client } = joined[0]!;
    client.alive = false;
    client.out.ping();
    assert.equal(client.alive, true, "a ping the response took proves the client alive");
    client.out.send('{"type":"debug"}');
    client.out.close(1008, "the token has expired");
    assert.equal(await response.text(), 'data: {"type":"hello"}\n\n: keep-alive\n\ndata: {"type":"debug"}\n\nevent: close\ndata: {"reason":"the token has expired"}\n\n');
    await until(() => left.length > 0, "the closed response forgetting its client");
    assert.deepEqual(left, [client], "a closed response forgets its client");
  });

  it("forgets a client that goes away", async () => {
    await start();
    const controller = new AbortController();
    const response = await fetch(`${base}/api/events`, { headers: { authorization: "Bearer good" }, signal: controller.signal });
    await response.body!.getReader().read();
    controller.abort();
    await until(() => left.length > 0, "the hub forgetting a client that went away");
    assert.deepEqual(left, [joined[0]!.client]);
  });
});
