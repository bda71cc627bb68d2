import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ConnectionSupervisor, loadConnectionTypes, withConnections } from "../../runtime/connections/index.ts";
import { configOf, type Message } from "../../runtime/sdk/index.ts";
import { harness } from "../../runtime/sdk/testing.ts";
import { until } from "../../test/support/mqtt-flow.ts";
import { OPCUA_TEST_PKI, startOpcuaServer, type OpcuaTestServer } from "../../test/support/opcua-server.ts";
import opcuaWrite from "./opcua-write.ts";

const msg = (payload: Record<string, unknown>): Message => ({ topic: "setpoints", key: "pump-1", ts: 0, payload });

describe("opcua-write", () => {
  let server: OpcuaTestServer;
  let supervisor: ConnectionSupervisor;
  before(async () => {
    server = await startOpcuaServer();
    supervisor = new ConnectionSupervisor({ types: await loadConnectionTypes(), backoff: { initialMs: 50, maxMs: 400 } });
    supervisor.prepare({ id: "test-flow", connections: {
      plc: { type: "opcua-endpoint", config: { endpointUrl: server.endpointUrl, pkiDir: join(OPCUA_TEST_PKI, "client"), trustServerCertificate: true, connectTimeoutMs: 5_000 } },
      nowhere: { type: "opcua-endpoint", config: { endpointUrl: "opc.tcp://127.0.0.1:1/UA/Pump", pkiDir: join(OPCUA_TEST_PKI, "client"), connectTimeoutMs: 1_000 } },
    } });
  });
  after(async () => {
    await supervisor.close();
    await server.close();
  });

  /** A started opcua-write on the shared supervisor, connected (unless the connection cannot be). */
  async function writer(config: Record<string, unknown>, connected = true) {
    const h = harness(opcuaWrite, { connection: "plc", ...config }, { services: withConnections(undefined, supervisor) });
    await h.node.start?.();
    if (connected) await until(() => h.statuses.some((s) => s.state === "running"), "the connection", 20_000);
    return h;
  }

  for (const example of opcuaWrite.examples) {
    it(`accepts its example "${example.title}"`, () => assert.ok(configOf(opcuaWrite, example.config)));
  }

  it("writes a number to a Double variable with its own data type and passes the message on", async () => {
    const h = await writer({ node: server.nodeId("Setpoint"), field: "setpoint" });
    await h.send(msg({ setpoint: 1520.5 }));
    assert.equal(server.setpoint(), 1520.5);
    assert.deepEqual(h.out("written")[0]?.meta, { opcua: { nodeId: server.nodeId("Setpoint"), status: "Good" } });
    await h.node.close?.();
  });

  it("writes through a browse path to an Int32 variable", async () => {
    const h = await writer({ node: "/Objects/1:Pump1/1:Mode", field: "mode" });
    await h.send(msg({ mode: 3 }));
    assert.equal(h.out("written").length, 1);
    await assert.rejects(Promise.resolve(h.send(msg({ mode: 1.5 }))), { code: "MESSAGE_SHAPE_INVALID", message: /payload\.mode is 1\.5: a Int32 node needs a whole number/ });
    await h.node.close?.();
  });

  const refusals: Array<{ name: string; config: Record<string, unknown>; payload: Record<string, unknown>; code: string; message: RegExp }> = [
    { name: "a read-only variable (BadNotWritable)", config: { node: "ns=1;s=Pump1.Speed", field: "speed" }, payload: { speed: 10 }, code: "OPCUA_WRITE_REFUSED", message: /refused: BadNotWritable/ },
    { name: "a value of the wrong type (BadTypeMismatch)", config: { node: "ns=1;s=Pump1.Setpoint", field: "setpoint", dataType: "String" }, payload: { setpoint: "fast" }, code: "OPCUA_WRITE_REFUSED", message: /refused: BadTypeMismatch/ },
    { name: "a NodeId that does not exist", config: { node: "ns=1;s=Pump1.Nope", field: "v", dataType: "Double" }, payload: { v: 1 }, code: "OPCUA_NODE_NOT_FOUND", message: /ns=1;s=Pump1\.Nope/ },
    { name: "a browse path that leads nowhere", config: { node: "/Objects/1:Pump1/1:Nope", field: "v" }, payload: { v: 1 }, code: "OPCUA_NODE_NOT_FOUND", message: /browse path \/Objects\/1:Pump1\/1:Nope leads to no node/ },
    { name: "text for a Double", config: { node: "ns=1;s=Pump1.Setpoint", field: "setpoint" }, payload: { setpoint: "fast" }, code: "MESSAGE_SHAPE_INVALID", message: /needs a finite number/ },
    { name: "a missing field", config: { node: "ns=1;s=Pump1.Setpoint", field: "setpoint" }, payload: { speed: 1 }, code: "MESSAGE_SHAPE_INVALID", message: /no field "setpoint"/ },
  ];
  for (const { name, config, payload, code, message } of refusals) {
    it(`raises ${code} for ${name}, and writes the next good value`, async () => {
      const h = await writer(config);
      await assert.rejects(Promise.resolve(h.send(msg(payload))), (error: { code: string; message: string }) => {
        assert.equal(error.code, code, error.message);
        assert.match(error.message, message);
        return true;
      });
      await h.node.close?.();
      const next = await writer({ node: server.nodeId("Setpoint"), field: "setpoint" });
      await next.send(msg({ setpoint: 1400 }));
      assert.equal(server.setpoint(), 1400);
      await next.node.close?.();
    });
  }

  it("refuses to write while not connected, never queueing the value", async () => {
    const h = await writer({ connection: "nowhere", node: "ns=1;s=Pump1.Setpoint", field: "setpoint" }, false);
    await assert.rejects(Promise.resolve(h.send(msg({ setpoint: 1 }))), { code: "CONNECTION_LOST" });
    assert.equal(h.counters.get("refused"), 1);
    await h.node.close?.();
  });
});
