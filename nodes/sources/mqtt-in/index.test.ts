import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import mqtt, { type MqttClient } from "mqtt";
import { configOf, type Logger } from "../../../runtime/sdk/index.ts";
import { ConnectionSupervisor, loadConnectionTypes, withConnections } from "../../../runtime/connections/index.ts";
import { Engine } from "../../../runtime/core/engine.ts";
import { startAedes, type AedesBroker } from "../../../test/support/aedes.ts";
import { flow, flowEngine, until } from "../../../test/support/mqtt-flow.ts";
import { parseTopicTemplate } from "../../lib/mqtt/topic-template.ts";
import mqttIn from "./index.ts";
import { encodeSparkplug } from "./sparkplug.ts";

describe("mqtt-in", () => {
  let broker: AedesBroker;
  let publisher: MqttClient;
  before(async () => {
    broker = await startAedes();
    publisher = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  });
  after(async () => {
    await publisher.endAsync();
    await broker.close();
  });

  for (const example of mqttIn.examples) {
    it(`accepts its example "${example.title}"`, () => assert.ok(configOf(mqttIn, example.config)));
  }

  /** Deploys mqtt-in -> sink "got" (and its error port -> "errors", status -> "events"); returns once `on` granted its subscription. */
  async function deployIn(id: string, config: Record<string, unknown> & { topic: string }, on = broker) {
    const t = await flowEngine([mqttIn]);
    const subscribed = on.subscriptions.next(parseTopicTemplate(config.topic).filter);
    await t.engine.deploy(flow(id, { broker: { type: "mqtt-broker", config: { url: on.url } } },
      [{ id: "in", type: "mqtt-in", config: { connection: "broker", ...config } }, { id: "got", type: "test-sink" }, { id: "errors", type: "test-sink" }, { id: "events", type: "test-sink" }],
      [["in", "got"], ["in", "errors", "error"], ["in", "events", "status"]]));
    await until(() => t.statuses.some((s) => s.status.state === "running"), "the connection");
    await subscribed; // made after the CONNACK: publishing before it would reach nobody
    return t;
  }

  it("maps topic levels to key, field and meta.fields", async () => {
    const t = await deployIn("levels", { topic: "plant/{site}/pump/{id}/{signal}", format: "number", key: "{id}", field: "{signal}", qos: 1 });
    await publisher.publishAsync("plant/north/pump/p7/temperature", "61.5", { qos: 1 });
    await publisher.publishAsync("plant/north/other/p7/temperature", "1", { qos: 1 });
    await until(() => t.received("got").length === 1, "one reading");
    const [msg] = t.received("got");
    assert.equal(msg!.key, "p7");
    assert.deepEqual(msg!.payload, { temperature: 61.5 });
    assert.deepEqual(msg!.meta, { source: "in", fields: { site: "north", id: "p7", signal: "temperature" } });
    assert.match(t.statuses.find((s) => s.status.state === "running")!.status.text ?? "", /broker: connected to mqtt:\/\/127\.0\.0\.1/);
    await t.close();
  });

  it("reads event time from a payload field, else uses arrival time", async () => {
    const t = await deployIn("time", { topic: "sensors/+", timeField: "ts" });
    await publisher.publishAsync("sensors/a", JSON.stringify({ ts: "2026-01-01T00:00:00Z", v: 1 }));
    await publisher.publishAsync("sensors/a", JSON.stringify({ ts: 1767225600, v: 2 }));
    await publisher.publishAsync("sensors/a", JSON.stringify({ v: 3 }));
    await until(() => t.received("got").length === 3, "three readings");
    const [iso, seconds, none] = t.received("got");
    assert.equal(iso!.ts, Date.UTC(2026, 0, 1));
    assert.equal(seconds!.ts, Date.UTC(2026, 0, 1));
    assert.ok(Math.abs(none!.ts - Date.now()) < 60_000);
    assert.equal(t.engine.metrics().find((m) => m.node === "in")!.counters["time_missing"], 1);
    await t.close();
  });

  it("sends bad payloads to the error port, counted, and keeps reading", async () => {
    const t = await deployIn("bad", { topic: "sensors/#" });
    await publisher.publishAsync("sensors/a", "{not json");
    await publisher.publishAsync("sensors/b", "[1,2]");
    await publisher.publishAsync("sensors/c", JSON.stringify({ v: 1 }));
    await until(() => t.received("got").length === 1 && t.received("errors").length === 2, "one reading and two errors");
    assert.deepEqual(t.received("errors").map((m) => (m.payload as { code: string }).code), ["MQTT_PAYLOAD_INVALID", "MQTT_PAYLOAD_INVALID"]);
    assert.match((t.received("errors")[1]!.payload as { message: string }).message, /expected a JSON object, got an array/);
    const metrics = t.engine.metrics().find((m) => m.node === "in")!;
    assert.equal(metrics.counters["payload_invalid"], 2);
    assert.deepEqual([metrics.out, metrics.errors], [1, 2], "each bad payload is one error of mqtt-in (the editor's badge, /metrics)");
    await t.close();
  });

  it("refuses a non-number on a number source", async () => {
    const t = await deployIn("nan", { topic: "v/{name}", format: "number", field: "{name}" });
    await publisher.publishAsync("v/a", "abc");
    await publisher.publishAsync("v/a", "");
    await publisher.publishAsync("v/a", "2.5");
    await until(() => t.received("got").length === 1 && t.received("errors").length === 2, "one reading and two errors");
    assert.deepEqual(t.received("got")[0]!.payload, { a: 2.5 });
    await t.close();
  });

  describe("Sparkplug B", () => {
    const birth = encodeSparkplug({ timestamp: 1767225600000, seq: 0, metrics: [
      { name: "Speed", alias: 1, type: "Double", value: 1480.5 },
      { name: "Counter", alias: 2, type: "UInt64", value: 9_007_199_254 },
      { name: "Running", alias: 3, type: "Boolean", value: true },
    ] });
    const data = encodeSparkplug({ timestamp: 1767225601000, seq: 1, metrics: [{ alias: 1, type: "Double", value: 1490 }, { alias: 2, type: "UInt64", value: 9_007_199_255 }] });

    it("resolves DATA aliases from the BIRTH and reports births and deaths", async () => {
      const t = await deployIn("spb", { topic: "spBv1.0/plant/#", format: "sparkplug", qos: 1 });
      await publisher.publishAsync("spBv1.0/plant/DBIRTH/edge-1/pump-7", Buffer.from(birth), { qos: 1 });
      await publisher.publishAsync("spBv1.0/plant/DDATA/edge-1/pump-7", Buffer.from(data), { qos: 1 });
      await publisher.publishAsync("spBv1.0/plant/DDEATH/edge-1/pump-7", Buffer.from(encodeSparkplug({ timestamp: 1, seq: 2 })), { qos: 1 });
      await until(() => t.received("got").length === 2 && t.received("events").length === 2, "two readings and two events");
      const [born, changed] = t.received("got");
      assert.deepEqual(born!.payload, { Speed: 1480.5, Counter: 9_007_199_254, Running: true });
      assert.deepEqual(changed!.payload, { Speed: 1490, Counter: 9_007_199_255 }, "64-bit Long values become numbers");
      assert.equal(changed!.key, "pump-7");
      assert.equal(changed!.ts, 1767225601000);
      assert.deepEqual(changed!.meta, { source: "in", sparkplug: { group: "plant", node: "edge-1", device: "pump-7", type: "DDATA", seq: 1 } });
      assert.deepEqual(t.received("events").map((m) => (m.payload as { state: string }).state), ["online", "offline"]);
      await t.close();
    });

    it("flags DATA with an alias never born, and payloads that do not decode", async () => {
      const t = await deployIn("spb-bad", { topic: "spBv1.0/plant/#", format: "sparkplug" });
      await publisher.publishAsync("spBv1.0/plant/NBIRTH/edge-2", Buffer.from(birth));
      await publisher.publishAsync("spBv1.0/plant/NDATA/edge-2", Buffer.from(encodeSparkplug({ seq: 1, metrics: [{ alias: 1, type: "Double", value: 5 }, { alias: 42, type: "Double", value: 6 }] })));
      await publisher.publishAsync("spBv1.0/plant/NDATA/edge-2", Buffer.from([0xff, 0xff, 0xff, 0x01, 0x02]));
      await publisher.publishAsync("spBv1.0/plant/NDATA/edge-9", Buffer.from(encodeSparkplug({ seq: 1, metrics: [{ alias: 1, type: "Double", value: 5 }] })));
      await until(() => t.received("errors").length === 3, "three errors");
      assert.deepEqual(t.received("errors").map((m) => (m.payload as { code: string }).code), ["SPARKPLUG_ALIAS_UNKNOWN", "SPARKPLUG_DECODE_FAILED", "SPARKPLUG_ALIAS_UNKNOWN"]);
      assert.deepEqual(t.received("got").at(-1)!.payload, { Speed: 5 }, "the metrics it knows still go out");
      await t.close();
    });
  });

  it("resubscribes after the broker dies and comes back; the status goes reconnecting -> connected", async () => {
    const own = await startAedes();
    const t = await deployIn("dies", { topic: "s/#", qos: 1 }, own);
    const port = own.port;
    await own.close();
    await until(() => t.statuses.at(-1)?.status.state === "reconnecting", "reconnecting");
    assert.match(t.statuses.at(-1)!.status.text!, /broker: .*retrying in/);
    const back = await startAedes({ port });
    await until(() => t.statuses.at(-1)?.status.state === "running", "connected again");
    await back.subscriptions.granted("s/#");
    const client = await mqtt.connectAsync(back.url, { reconnectPeriod: 0 });
    await client.publishAsync("s/x", JSON.stringify({ v: 1 }), { qos: 1 });
    await until(() => t.received("got").length === 1, "a reading after the comeback");
    await client.endAsync();
    await t.close();
    await back.close();
  });

  it("logs a subscription the broker refuses as MQTT_SUBSCRIBE_REFUSED and shows it in its status", async () => {
    const guarded = await startAedes({ beforeListen: async (b) => void (b.authorizeSubscribe = (_client, sub, done) => done(null, sub.topic.startsWith("secret/") ? null : sub)) });
    const logged: Array<{ message: string; code: unknown }> = [];
    const logger: Logger = { debug() {}, info() {}, warn() {}, error: (message, fields) => void logged.push({ message, code: fields?.["code"] }) };
    const connections = new ConnectionSupervisor({ types: await loadConnectionTypes() });
    const engine = new Engine({ catalog: new Map([["mqtt-in", mqttIn]]), connections, services: withConnections(undefined, connections), logger });
    const statuses: string[] = [];
    engine.on("status", (e) => void (e.status.state === "error" && statuses.push(e.status.text ?? "")));
    try {
      await engine.deploy(flow("refused", { broker: { type: "mqtt-broker", config: { url: guarded.url } } }, [{ id: "in", type: "mqtt-in", config: { connection: "broker", topic: "secret/{id}" } }], []));
      await until(() => logged.length > 0 && statuses.length > 0, "the refusal");
      assert.deepEqual(logged[0], { message: 'subscribing to secret/+: the broker refused the subscription to "secret/+" (Subscribe error: Unspecified error)', code: "MQTT_SUBSCRIBE_REFUSED" });
      assert.match(statuses[0]!, /refused the subscription to "secret\/\+"/);
    } finally {
      await engine.stop();
      await connections.close();
      await guarded.close();
    }
  });

  it("reports refused credentials as failed, with the coded reason", async () => {
    const guarded = await startAedes({ authenticate: (_client, username, password, done) => done(null, username === "gw" && password?.toString() === "right") });
    const t = await flowEngine([mqttIn], { secrets: { "broker-password": "wrong" } });
    await t.engine.deploy(flow("auth", { broker: { type: "mqtt-broker", config: { url: guarded.url, username: "gw", password: { $secret: "broker-password" } } } },
      [{ id: "in", type: "mqtt-in", config: { connection: "broker" } }], []));
    await until(() => t.statuses.some((s) => s.status.state === "error"), "failed");
    assert.match(t.statuses.find((s) => s.status.state === "error")!.status.text!, /Not authorized|Bad username/);
    const tested = await t.connections.test("mqtt-broker", { url: guarded.url, username: "gw", password: { $secret: "broker-password" } });
    assert.equal(tested.ok ? "ok" : tested.code, "CONNECTION_AUTH_FAILED");
    await t.close();
    await guarded.close();
  });
});
