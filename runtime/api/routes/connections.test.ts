import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, describe, it } from "node:test";
import { createApi } from "../app.ts";
import { FakeRuntime, MemoryAuditLog, MemoryFlowStore, MemorySecretStore, MemoryUserStore } from "../../../test/support/api-stores.ts";
import { ConnectionSupervisor } from "../../connections/supervisor.ts";
import { loadConnectionTypes } from "../../connections/registry.ts";
import { startAedes, type AedesBroker } from "../../../test/support/aedes.ts";
import { freePort } from "../../../test/support/mosquitto.ts";

describe("connection routes", () => {
  let broker: AedesBroker;
  let server: Server;
  let url: string;
  before(async () => {
    broker = await startAedes();
    const connections = new ConnectionSupervisor({ types: await loadConnectionTypes(), testTimeoutMs: 3_000 });
    const api = createApi({ catalog: new Map(), flows: new MemoryFlowStore(), users: new MemoryUserStore(), audit: new MemoryAuditLog(), secrets: new MemorySecretStore(), runtime: new FakeRuntime(), connections, auth: false });
    server = createServer(api.app);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await broker.close();
  });

  const test = async (body: unknown) => {
    const reply = await fetch(`${url}/api/connections/test`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    return { status: reply.status, body: (await reply.json()) as Record<string, unknown> };
  };

  it("lists the connection types with their config schema", async () => {
    const reply = (await (await fetch(`${url}/api/connections/types`)).json()) as { types: Array<{ type: string; config: { properties: object } }> };
    const mqtt = reply.types.find((t) => t.type === "mqtt-broker");
    assert.ok(mqtt && "url" in mqtt.config.properties);
  });

  it("answers ok for a broker that accepts the connection", async () => {
    const reply = await test({ type: "mqtt-broker", config: { url: broker.url } });
    assert.equal(reply.status, 200);
    assert.equal(reply.body["ok"], true);
  });

  const failures: Array<[string, () => Promise<unknown>, string]> = [
    ["nothing listening", async () => ({ type: "mqtt-broker", config: { url: `mqtt://127.0.0.1:${await freePort()}` } }), "CONNECTION_REFUSED"],
    ["an unknown type", async () => ({ type: "mqtt-brokr", config: {} }), "CONNECTION_TYPE_UNKNOWN"],
    ["a bad config", async () => ({ type: "mqtt-broker", config: { url: "ftp://x" } }), "CONNECTION_CONFIG_INVALID"],
  ];
  for (const [name, body, code] of failures) {
    it(`answers the coded reason for ${name}: ${code}, with a hint`, async () => {
      const reply = await test(await body());
      assert.equal(reply.status, 200);
      assert.deepEqual([reply.body["ok"], reply.body["code"]], [false, code]);
      assert.equal(typeof reply.body["hint"], "string");
    });
  }

  it("refuses a body without a type", async () => {
    assert.equal((await test({ config: {} })).status, 400);
  });
});
