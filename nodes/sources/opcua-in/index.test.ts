import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { StatusCodes } from "node-opcua";
import { configOf, type Message } from "../../../runtime/sdk/index.ts";
import { flow, flowEngine, until } from "../../../test/support/mqtt-flow.ts";
import { OPCUA_TEST_PKI, OPCUA_USER, startOpcuaServer, type OpcuaTestServer } from "../../../test/support/opcua-server.ts";
import opcuaIn from "./index.ts";

type Engine = Awaited<ReturnType<typeof flowEngine>>;
const field = (m: Message, name: string) => (m.payload as Record<string, unknown>)[name];

describe("opcua-in", () => {
  let server: OpcuaTestServer;
  const open: Engine[] = [];
  before(async () => (server = await startOpcuaServer()));
  after(async () => {
    for (const t of open) await t.close();
    await server.close();
  });

  for (const example of opcuaIn.examples) {
    it(`accepts its example "${example.title}"`, () => assert.ok(configOf(opcuaIn, example.config)));
  }

  /** Deploys opcua-in -> sink "got", its error port -> sink "errors". */
  async function deploy(id: string, config: Record<string, unknown>, endpoint: Record<string, unknown> = {}) {
    const t = await flowEngine([opcuaIn], { secrets: { "pump-password": OPCUA_USER.password, wrong: "guess" } });
    open.push(t);
    const connection = { type: "opcua-endpoint", config: { endpointUrl: server.endpointUrl, pkiDir: join(OPCUA_TEST_PKI, "client"), trustServerCertificate: true, connectTimeoutMs: 5_000, ...endpoint } };
    await t.engine.deploy(flow(id, { plc: connection },
      [{ id: "in", type: "opcua-in", config: { connection: "plc", key: "pump-1", ...config } }, { id: "got", type: "test-sink" }, { id: "errors", type: "test-sink" }],
      [["in", "got"], ["in", "errors", "error"]]));
    return t;
  }
  const errorsOf = (t: Engine) => t.received("errors").map((m) => m.payload as { code: string; message: string; nodeId: string; path: string });

  it("subscribes by NodeId and browse path, with server timestamps as event time and Good quality", async () => {
    const t = await deploy("subscribe", { items: [{ node: server.nodeId("Speed"), field: "speed" }, { node: "/Objects/1:Pump1/1:Temperature", field: "temperature" }], mode: { type: "subscribe", samplingIntervalMs: 100, publishingIntervalMs: 100 } });
    await until(() => t.received("got").filter((m) => field(m, "speed") !== undefined).length >= 3 && t.received("got").some((m) => field(m, "temperature") !== undefined), "speed changes and the temperature", 20_000);
    const speed = t.received("got").find((m) => field(m, "speed") !== undefined)!;
    assert.equal(speed.topic, "opcua/pump-1");
    assert.equal(speed.key, "pump-1");
    assert.equal(typeof field(speed, "speed"), "number");
    assert.equal(speed.meta?.["quality"], "Good");
    assert.equal(speed.meta?.["status"], "Good");
    assert.equal(speed.meta?.["nodeId"], server.nodeId("Speed"));
    assert.ok(Math.abs(speed.ts - Date.now()) < 60_000 && speed.ts !== 0, "a server timestamp");
    assert.equal(t.received("got").find((m) => field(m, "temperature") !== undefined)!.meta?.["nodeId"], server.nodeId("Temperature"));
    assert.match(t.statuses.find((s) => s.node === "in" && s.status.state === "running")?.status.text ?? "", /plc: connected to opc\.tcp:\/\/127\.0\.0\.1/);
    assert.deepEqual(t.received("errors"), []);
  });

  it("turns status codes into quality: Uncertain and Bad values pass on flagged", async () => {
    const t = await deploy("quality", { items: [{ node: server.nodeId("Temperature"), field: "temperature" }], mode: { type: "subscribe", samplingIntervalMs: 100, publishingIntervalMs: 100 } });
    await until(() => t.received("got").length >= 1, "the first temperature", 20_000);
    server.set("Temperature", 71, StatusCodes.UncertainLastUsableValue);
    await until(() => t.received("got").some((m) => m.meta?.["quality"] === "Uncertain"), "an Uncertain value");
    server.set("Temperature", 0, StatusCodes.BadSensorFailure);
    await until(() => t.received("got").some((m) => m.meta?.["quality"] === "Bad"), "a Bad value");
    const bad = t.received("got").find((m) => m.meta?.["quality"] === "Bad")!;
    assert.equal(bad.meta?.["status"], "BadSensorFailure");
    assert.equal(t.received("got").find((m) => m.meta?.["quality"] === "Uncertain")!.meta?.["status"], "UncertainLastUsableValue");
    assert.ok((t.engine.metrics().find((m) => m.node === "in")!.counters["not_good"] ?? 0) >= 2);
    server.set("Temperature", 55);
  });

  it("reports a NodeId and a browse path that do not exist, naming them, and keeps reading the others", async () => {
    const t = await deploy("missing", { items: [
      { node: "ns=1;s=Pump1.Pressure", field: "pressure" }, { node: "/Objects/1:Pump1/1:Flow", field: "flow" }, { node: server.nodeId("Speed"), field: "speed" },
    ], mode: { type: "subscribe", samplingIntervalMs: 100, publishingIntervalMs: 100 } });
    await until(() => errorsOf(t).length === 2 && t.received("got").length >= 2, "two errors and readings", 20_000);
    const errors = errorsOf(t).sort((a, b) => a.path.localeCompare(b.path));
    assert.deepEqual(errors.map((e) => [e.code, e.path, e.nodeId]), [
      ["OPCUA_NODE_NOT_FOUND", "config.items[0].node", "ns=1;s=Pump1.Pressure"],
      ["OPCUA_NODE_NOT_FOUND", "config.items[1].node", "/Objects/1:Pump1/1:Flow"],
    ]);
    assert.match(errors[0]!.message, /node ns=1;s=Pump1\.Pressure|ns=1;s=Pump1\.Pressure: BadNodeIdUnknown/);
    assert.ok(t.received("got").every((m) => field(m, "speed") !== undefined));
  });

  it("applies an absolute deadband on the server: reported values differ by more than it", async () => {
    const t = await deploy("deadband", { items: [{ node: server.nodeId("Speed"), field: "speed" }], mode: { type: "subscribe", samplingIntervalMs: 100, publishingIntervalMs: 100, deadband: { type: "absolute", value: 3 } } });
    await until(() => t.received("got").length >= 3, "three reported speeds", 20_000);
    const speeds = t.received("got").map((m) => field(m, "speed") as number);
    // Speed steps by 1 through 1450..1459: from any reported value some later value is more than 3 away.
    for (let i = 1; i < speeds.length; i++) assert.ok(Math.abs(speeds[i]! - speeds[i - 1]!) > 3, `${speeds[i - 1]} -> ${speeds[i]} is within the deadband`);
  });

  it("polls every interval, reporting a missing node once", async () => {
    const t = await deploy("poll", { items: [{ node: server.nodeId("Vibration"), field: "vibration" }, { node: "ns=1;s=Nope", field: "nope" }], mode: { type: "poll", intervalMs: 100 } });
    await until(() => t.received("got").length >= 3, "three polls", 20_000);
    assert.equal(errorsOf(t).length, 1);
    assert.equal(errorsOf(t)[0]!.code, "OPCUA_NODE_NOT_FOUND");
    assert.equal(t.received("got")[0]!.meta?.["quality"], "Good");
  });

  it("shows failed with the reason for wrong credentials, and keeps the flow running", async () => {
    const t = await deploy("auth", { items: [{ node: server.nodeId("Speed"), field: "speed" }] }, { auth: { type: "username", username: OPCUA_USER.username, password: { $secret: "wrong" } } });
    await until(() => t.statuses.some((s) => s.node === "in" && s.status.state === "error"), "the failed status", 20_000);
    assert.match(t.statuses.find((s) => s.node === "in" && s.status.state === "error")!.status.text ?? "", /refused the user identity/);
    assert.equal(t.received("got").length, 0);
  });

  it("goes reconnecting when the server goes away and resubscribes when it comes back", async () => {
    const t = await deploy("reconnect", { items: [{ node: server.nodeId("Speed"), field: "speed" }], mode: { type: "subscribe", samplingIntervalMs: 100, publishingIntervalMs: 100 } });
    await until(() => t.received("got").length >= 1, "a first reading", 20_000);
    await server.stop();
    await until(() => t.statuses.some((s) => s.node === "in" && s.status.state === "reconnecting"), "the reconnecting status", 20_000);
    await server.start();
    const before = t.received("got").length;
    await until(() => t.received("got").length >= before + 2, "readings after the server came back", 30_000);
    const last = t.statuses.filter((s) => s.node === "in").at(-1)!;
    assert.equal(last.status.state, "running");
  });

  it("refuses an item whose node is neither a NodeId nor a browse path", () => {
    assert.throws(() => configOf(opcuaIn, { connection: "plc", items: [{ node: "Pump1 speed", field: "speed" }] }), { code: "NODE_CONFIG_INVALID", details: { path: "config.items[0].node", nodeType: "opcua-in" } });
  });
});
