import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { configOf, type Message } from "../../../runtime/sdk/index.ts";
import { flow, flowEngine, until } from "../../../test/support/mqtt-flow.ts";
import { within } from "../../../test/support/wait.ts";
import { OPCUA_TEST_PKI, startOpcuaServer, type OpcuaTestServer } from "../../../test/support/opcua-server.ts";
import opcuaIn from "./index.ts";

type Engine = Awaited<ReturnType<typeof flowEngine>>;
const pressures = (t: Engine) => t.received("got").map((m: Message) => (m.payload as { pressure?: number }).pressure).filter((v) => v !== undefined);

/** Percent deadbands against the in-process server's AnalogItem OutletPressure (EURange 0..10 bar). */
describe("opcua-in percent deadband", () => {
  let server: OpcuaTestServer;
  const open: Engine[] = [];
  before(async () => (server = await startOpcuaServer()));
  after(async () => {
    for (const t of open) await t.close();
    await server.close();
  });

  /** opcua-in (subscribe, percent deadband) -> sink "got", its error port -> sink "errors". */
  async function deploy(id: string, items: Array<{ node: string; field: string }>, percent: number) {
    const t = await flowEngine([opcuaIn]);
    open.push(t);
    const connection = { type: "opcua-endpoint", config: { endpointUrl: server.endpointUrl, pkiDir: join(OPCUA_TEST_PKI, "client"), trustServerCertificate: true, connectTimeoutMs: 5_000 } };
    const mode = { type: "subscribe", samplingIntervalMs: 100, publishingIntervalMs: 100, deadband: { type: "percent", value: percent } };
    await t.engine.deploy(flow(id, { plc: connection },
      [{ id: "in", type: "opcua-in", config: { connection: "plc", key: "pump-1", items, mode } }, { id: "got", type: "test-sink" }, { id: "errors", type: "test-sink" }],
      [["in", "got"], ["in", "errors", "error"]]));
    return t;
  }

  it("suppresses changes within the percent of the EURange and passes bigger ones", async () => {
    server.set("OutletPressure", 4);
    const t = await deploy("percent", [{ node: server.nodeId("OutletPressure"), field: "pressure" }], 10); // 10 % of 0..10 bar = 1 bar
    await until(() => pressures(t).length === 1, "the first value", 20_000);
    // Each change stays until the subscription has sampled it; the big one last shows the small ones were seen and dropped.
    const step = async (value: number) => {
      const sampled = server.sampled("OutletPressure", value);
      server.set("OutletPressure", value);
      await within(sampled, `the server sampling OutletPressure = ${value}`);
    };
    await step(4.3);
    await step(4.6); // 0.6 bar from the last reported 4: still inside the band
    await step(5.5);
    await until(() => pressures(t).includes(5.5), "the big change");
    await step(5.9);
    await step(3);
    await until(() => pressures(t).includes(3), "the big change down");
    assert.deepEqual(pressures(t), [4, 5.5, 3]);
    assert.deepEqual(t.received("errors"), []);
  });

  it("reports a percent deadband on a variable without EURange as a coded error, and keeps the other items running", async () => {
    const t = await deploy("no-eurange", [{ node: server.nodeId("Temperature"), field: "temperature" }, { node: server.nodeId("OutletPressure"), field: "pressure" }], 5);
    await until(() => t.received("errors").length >= 1, "the error for Temperature", 20_000);
    const [error] = t.received("errors").map((m) => m.payload as { code: string; message: string; path: string; nodeId: string });
    assert.equal(error?.code, "OPCUA_DEADBAND_UNSUPPORTED");
    assert.equal(error?.path, "config.items[0].node");
    assert.equal(error?.nodeId, server.nodeId("Temperature"));
    assert.match(error?.message ?? "", /items\[0\] \(temperature\): .*percent deadband .*EURange/);
    await until(() => pressures(t).length >= 1, "OutletPressure still delivered");
    server.set("OutletPressure", 9);
    await until(() => pressures(t).includes(9), "a later OutletPressure change");
    assert.ok(t.engine.metrics().find((m) => m.node === "in"), "the node is still there");
    assert.equal(t.received("got").filter((m) => (m.payload as { temperature?: number }).temperature !== undefined).length, 0);
  });

  it("refuses a percent deadband outside 0..100 at load time", () => {
    const config = (value: number) => ({ connection: "plc", items: [{ node: "ns=1;s=Pump1.OutletPressure", field: "p" }], mode: { type: "subscribe", deadband: { type: "percent", value } } });
    assert.throws(() => configOf(opcuaIn, config(150)), { code: "NODE_CONFIG_INVALID" });
    assert.throws(() => configOf(opcuaIn, config(0)), { code: "NODE_CONFIG_INVALID" });
    assert.ok(configOf(opcuaIn, config(2.5)));
  });
});
