import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import mqtt, { type MqttClient } from "mqtt";
import { configOf } from "../../../runtime/sdk/index.ts";
import { startAedes, type AedesBroker } from "../../../test/support/aedes.ts";
import { flow, flowEngine, until } from "../../../test/support/mqtt-flow.ts";
import lorawanIn from "./index.ts";

/** A The Things Stack v3 uplink as its MQTT integration publishes it (fields trimmed to the real ones we read and a few we do not). */
const ttsUplink = (decoded: Record<string, unknown> | undefined, frm = "CUQq") => ({
  end_device_ids: { device_id: "pump-7-vib", application_ids: { application_id: "plant-north" }, dev_eui: "70B3D57ED0051234", dev_addr: "260B1234" },
  correlation_ids: ["as:up:01HZZZ"],
  received_at: "2026-01-01T00:00:01.500Z",
  uplink_message: {
    session_key_id: "AYx...",
    f_port: 2,
    f_cnt: 1234,
    frm_payload: frm,
    ...(decoded ? { decoded_payload: decoded } : {}),
    rx_metadata: [
      { gateway_ids: { gateway_id: "gw-roof", eui: "B827EBFFFE000001" }, time: "2026-01-01T00:00:01.4Z", rssi: -97, channel_rssi: -97, snr: 4.5 },
      { gateway_ids: { gateway_id: "gw-hall", eui: "B827EBFFFE000002" }, rssi: -61, channel_rssi: -61, snr: 9.25 },
    ],
    settings: { data_rate: { lora: { bandwidth: 125000, spreading_factor: 7 } }, frequency: "868100000" },
    received_at: "2026-01-01T00:00:01.450Z",
  },
});

/** A ChirpStack v4 `event/up` message (JSON marshaler). */
const chirpstackUplink = (object: Record<string, unknown> | undefined, data = "CUQq") => ({
  deduplicationId: "3ac7e3c4-4401-4b8d-9386-a5c902f9202d",
  time: "2026-01-01T00:00:02Z",
  deviceInfo: { tenantId: "52f14cd4-c6f1-4fbd-8f87-4025e1d49242", tenantName: "Plant", applicationId: "17c82e96-be03-4f38-aef3-f83d48582d97", applicationName: "pumps", deviceProfileName: "vib-sensor", deviceName: "pump-8-vib", devEui: "0101010101010101" },
  devAddr: "00189440",
  adr: true, dr: 5, fCnt: 10, fPort: 1, confirmed: false,
  data,
  ...(object ? { object } : {}),
  rxInfo: [{ gatewayId: "0016c001f153a14c", uplinkId: 4217106255, rssi: -36, snr: 10.5, channel: 2, location: {}, context: "EFwMtA==", metadata: { region_common_name: "EU868" } }],
  txInfo: { frequency: 868300000, modulation: { lora: { bandwidth: 125000, spreadingFactor: 7, codeRate: "CR_4_5" } } },
});

/** ChirpStack v4 events other than `up` (JSON marshaler): the fields each type adds to the envelope. */
const chirpstackEvents: Array<[kind: string, fields: Record<string, unknown>, payload: Record<string, unknown>]> = [
  ["status", { margin: 7, externalPowerSource: false, batteryLevelUnavailable: false, batteryLevel: 87.5 }, { margin: 7, externalPowerSource: false, batteryLevelUnavailable: false, batteryLevel: 87.5 }],
  ["join", { devAddr: "01e2f3a4", regionConfigId: "eu868" }, { devAddr: "01e2f3a4" }],
  ["ack", { queueItemId: "2b3fa2d8-0f7c-4f4e-9c3a-1f0e5e4c2b1a", acknowledged: true, fCntDown: 12 }, { queueItemId: "2b3fa2d8-0f7c-4f4e-9c3a-1f0e5e4c2b1a", acknowledged: true, fCntDown: 12 }],
  ["txack", { downlinkId: 3297329431, queueItemId: "2b3fa2d8-0f7c-4f4e-9c3a-1f0e5e4c2b1a", fCntDown: 12, gatewayId: "0016c001f153a14c", txInfo: { frequency: 869525000 } },
    { downlinkId: 3297329431, queueItemId: "2b3fa2d8-0f7c-4f4e-9c3a-1f0e5e4c2b1a", fCntDown: 12, gatewayId: "0016c001f153a14c" }],
  ["log", { level: "ERROR", code: "UPLINK_CODEC", description: "TypeError: bytes is undefined", context: {} }, { level: "ERROR", code: "UPLINK_CODEC", description: "TypeError: bytes is undefined", context: {} }],
  ["location", { location: { latitude: 52.3676, longitude: 4.9041, source: "GEO_RESOLVER_TDOA", accuracy: 25 } }, { latitude: 52.3676, longitude: 4.9041, accuracy: 25, source: "GEO_RESOLVER_TDOA" }],
  ["integration", { integrationName: "loracloud", eventType: "modem_UplinkResponse", object: { result: { position_solution: { llh: [52.3676, 4.9041, 0] } } } },
    { integrationName: "loracloud", eventType: "modem_UplinkResponse", object: { result: { position_solution: { llh: [52.3676, 4.9041, 0] } } } }],
];
const chirpstackEvent = (fields: Record<string, unknown>) => {
  const { deduplicationId, time, deviceInfo } = chirpstackUplink(undefined);
  return { deduplicationId, time, deviceInfo, ...fields };
};
const csTopic = (type: string) => `application/17c8/device/0101010101010101/event/${type}`;
/** A The Things Stack storage integration answer streams one `{ "result": <uplink> }` per line. */
const storageLines = (...items: unknown[]) => items.map((item) => (typeof item === "string" ? item : JSON.stringify({ result: item }))).join("\n");

describe("lorawan-in", () => {
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

  for (const example of lorawanIn.examples) {
    it(`accepts its example "${example.title}"`, () => assert.ok(configOf(lorawanIn, example.config)));
  }

  async function deploy(id: string, config: Record<string, unknown>) {
    const t = await flowEngine([lorawanIn]);
    const subscribed = broker.subscriptions.next("#");
    await t.engine.deploy(flow(id, { ns: { type: "mqtt-broker", config: { url: broker.url } } },
      [{ id: "lw", type: "lorawan-in", config: { connection: "ns", topic: "#", ...config } }, { id: "got", type: "test-sink" }, { id: "errors", type: "test-sink" }, { id: "events", type: "test-sink" }],
      [["lw", "got"], ["lw", "errors", "error"], ["lw", "events", "events"]]));
    await until(() => t.statuses.some((s) => s.status.state === "running"), "connected");
    await subscribed; // made after the CONNACK: publishing before it would reach nobody
    return t;
  }
  const publish = (topic: string, body: unknown) => publisher.publishAsync(topic, typeof body === "string" ? body : JSON.stringify(body), { qos: 1 });
  const counters = (t: { engine: { metrics(): Array<{ node: string; counters: Record<string, number> }> } }) => t.engine.metrics().find((m) => m.node === "lw")!.counters;
  const codes = (t: { received(sink: string): Array<{ payload: unknown }> }) => t.received("errors").map((m) => (m.payload as { code: string }).code);

  it("reads TTS v3 and ChirpStack v4 uplinks decoded by the network server, with radio metadata", async () => {
    const t = await deploy("decoded", {});
    await publish("v3/plant-north@ttn/devices/pump-7-vib/up", ttsUplink({ vibration: 2.31 }));
    await publish("application/17c8/device/0101010101010101/event/up", chirpstackUplink({ vibration: 1.9 }));
    await until(() => t.received("got").length === 2, "two readings");
    const [tts, cs] = t.received("got");
    assert.deepEqual([tts!.key, tts!.ts, tts!.payload], ["pump-7-vib", Date.parse("2026-01-01T00:00:01.500Z"), { vibration: 2.31 }]);
    assert.deepEqual(tts!.meta, { source: "lw", lorawan: { network: "tts", devEui: "70B3D57ED0051234", fPort: 2, fCnt: 1234, gateway: "gw-hall", rssi: -61, snr: 9.25, gateways: 2, decodedBy: "network" } });
    assert.deepEqual([cs!.key, cs!.ts, cs!.payload], ["0101010101010101", Date.parse("2026-01-01T00:00:02Z"), { vibration: 1.9 }]);
    assert.deepEqual(cs!.meta, { source: "lw", lorawan: { network: "chirpstack", devEui: "0101010101010101", fPort: 1, fCnt: 10, gateway: "0016c001f153a14c", rssi: -36, snr: 10.5, gateways: 1, decodedBy: "network" } });
    await t.close();
  });

  it("decodes raw frames with the node's codec (int16 BE scaled, uint8)", async () => {
    // 0x0944 = 2372 -> 23.72; 0x2a = 42
    const t = await deploy("codec", { decoder: { kind: "codec", fields: [{ name: "temperature", type: "int16", offset: 0, scale: 0.01 }, { name: "battery", type: "uint8", offset: 2 }] } });
    await publish("v3/a/devices/pump-7-vib/up", ttsUplink(undefined));
    await publish("v3/a/devices/pump-7-vib/up", ttsUplink(undefined, "CQ=="));
    await until(() => t.received("got").length === 1 && t.received("errors").length === 1, "one reading and one error");
    const payload = t.received("got")[0]!.payload as { temperature: number; battery: number };
    assert.ok(Math.abs(payload.temperature - 23.72) < 1e-9);
    assert.equal(payload.battery, 42);
    const error = t.received("errors")[0]!.payload as { code: string; message: string };
    assert.equal(error.code, "LORAWAN_DECODE_FAILED");
    assert.match(error.message, /needs bytes 0\.\.1, the frame has 1/);
    await t.close();
  });

  it("decodes raw frames with a safe expression", async () => {
    const t = await deploy("expr", { network: "chirpstack", decoder: { kind: "expression", fields: { temperature: "(byte0 * 256 + byte1) / 100", port: "fPort" } } });
    await publish("application/x/device/y/event/up", chirpstackUplink(undefined));
    await until(() => t.received("got").length === 1, "one reading");
    assert.deepEqual(t.received("got")[0]!.payload, { temperature: 23.72, port: 1 });
    await t.close();
  });

  it("refuses what is not an uplink, counted, and keeps reading", async () => {
    const t = await deploy("bad", {});
    await publish("x/1", "not json");
    await publish("x/2", { hello: "world" });
    await publish("x/3", { end_device_ids: { application_ids: {} }, uplink_message: {} });
    await publish("x/4", chirpstackUplink(undefined)); // no decoder and nothing decoded
    await publish("x/5", { ...chirpstackUplink({ ok: true }), data: 42 });
    await publish("x/6", ttsUplink({ ok: true }));
    await until(() => t.received("got").length === 1 && t.received("errors").length === 5, "one reading and five errors");
    assert.deepEqual(t.received("errors").map((m) => (m.payload as { code: string }).code),
      ["LORAWAN_UPLINK_INVALID", "LORAWAN_UPLINK_INVALID", "LORAWAN_UPLINK_INVALID", "LORAWAN_DECODE_FAILED", "LORAWAN_UPLINK_INVALID"]);
    const counters = t.engine.metrics().find((m) => m.node === "lw")!.counters;
    assert.deepEqual([counters["uplink_invalid"], counters["decode_failed"]], [4, 1]);
    await t.close();
  });

  const topics: Array<[string, string, (kind: string) => string]> = [
    ["named by the topic", "events-by-topic", csTopic],
    ["told by their fields on a topic without the type", "events-by-shape", () => "chirpstack/all-events"],
  ];
  for (const [how, id, topicOf] of topics) {
    it(`sends ChirpStack events ${how} to the events port with their kind and fields; only up is a reading`, async () => {
      const t = await deploy(id, { network: "chirpstack" });
      for (const [kind, fields] of chirpstackEvents) await publish(topicOf(kind), chirpstackEvent(fields));
      await publish(topicOf("up"), chirpstackUplink({ vibration: 1.9 }));
      await until(() => t.received("got").length === 1, "the uplink");
      assert.deepEqual(t.received("got")[0]!.payload, { vibration: 1.9 });
      assert.deepEqual(t.received("events").map((m) => m.payload), chirpstackEvents.map(([kind, , payload]) => ({ kind, ...payload })));
      const status = t.received("events")[0]!;
      assert.deepEqual([status.key, status.ts, status.meta], ["0101010101010101", Date.parse("2026-01-01T00:00:02Z"), { source: "lw", lorawan: { network: "chirpstack", devEui: "0101010101010101", event: "status" } }]);
      assert.deepEqual(t.received("errors"), []);
      await t.close();
    });
  }

  it("ignores non-uplink events when told to, counting each kind", async () => {
    const t = await deploy("ignored", { events: "ignore" });
    for (const [kind, fields] of [...chirpstackEvents, chirpstackEvents[0]!]) await publish(csTopic(kind), chirpstackEvent(fields));
    await publish(csTopic("up"), chirpstackUplink({ vibration: 1.9 }));
    await until(() => t.received("got").length === 1, "the uplink after the events");
    assert.deepEqual(t.received("events"), []);
    const ignored = Object.entries(counters(t)).filter(([name]) => name.startsWith("ignored_"));
    assert.deepEqual(Object.fromEntries(ignored), { ignored_status: 2, ignored_join: 1, ignored_ack: 1, ignored_txack: 1, ignored_log: 1, ignored_location: 1, ignored_integration: 1 });
    await t.close();
  });

  it("refuses a malformed event with LORAWAN_EVENT_INVALID and reads the next message", async () => {
    const t = await deploy("bad-event", {});
    await publish(csTopic("status"), chirpstackEvent({ margin: "high", batteryLevel: 80 }));
    await publish(csTopic("status"), chirpstackEvent({ margin: 3, batteryLevel: 80 }));
    await until(() => t.received("errors").length === 1 && t.received("events").length === 1, "one error, then the event");
    assert.match((t.received("errors")[0]!.payload as { message: string }).message, /event\/status: status event from 0101010101010101: margin is not a number$/);
    assert.deepEqual(codes(t), ["LORAWAN_EVENT_INVALID"]);
    assert.equal(counters(t)["event_invalid"], 1);
    await t.close();
  });

  const batches: Array<[string, string, string]> = [
    ["a JSON array of uplinks", "batch-array", JSON.stringify([ttsUplink({ level: 1 }), { ...ttsUplink({ level: 2 }), end_device_ids: {} }, ttsUplink({ level: 3 })])],
    ["the storage integration's JSON lines", "batch-lines", storageLines(ttsUplink({ level: 1 }), "{ broken", ttsUplink({ level: 3 }))],
  ];
  for (const [name, id, body] of batches) {
    it(`reads ${name} one reading per element; a bad element is one error and the rest go through`, async () => {
      const t = await deploy(id, {});
      await publish("v3/plant-north@ttn/storage", body);
      await publish("v3/plant-north@ttn/devices/pump-7-vib/up", ttsUplink({ level: 4 }));
      await until(() => t.received("got").length === 3, "three readings");
      assert.deepEqual(t.received("got").map((m) => m.payload), [{ level: 1 }, { level: 3 }, { level: 4 }]);
      assert.deepEqual(codes(t), ["LORAWAN_UPLINK_INVALID"]);
      const error = t.received("errors")[0]!.payload as { message: string; index: number };
      assert.deepEqual([error.index, error.message.startsWith("v3/plant-north@ttn/storage[1]: ")], [1, true]);
      await t.close();
    });
  }

  it("reads at most maxBatch elements of one message, reporting and counting the rest", async () => {
    const t = await deploy("capped", { maxBatch: 2 });
    await publish("v3/a/storage", [ttsUplink({ level: 1 }), ttsUplink({ level: 2 }), ttsUplink({ level: 3 }), ttsUplink({ level: 4 })]);
    await publish("v3/a/devices/pump-7-vib/up", ttsUplink({ level: 5 }));
    await until(() => t.received("got").length === 3, "two of the batch and the next uplink");
    assert.deepEqual(t.received("got").map((m) => m.payload), [{ level: 1 }, { level: 2 }, { level: 5 }]);
    assert.deepEqual(codes(t), ["LORAWAN_BATCH_TOO_LARGE"]);
    assert.match((t.received("errors")[0]!.payload as { message: string }).message, /4 elements, more than maxBatch \(2\); the last 2 were dropped/);
    assert.deepEqual([counters(t)["batch_too_large"], counters(t)["batch_dropped"]], [1, 2]);
    await t.close();
  });

  it("refuses an expression decoder that does not compile", () => {
    assert.throws(() => configOf(lorawanIn, { connection: "ns", decoder: { kind: "expression", fields: { t: "byte0 +" } } }), { code: "NODE_CONFIG_INVALID", details: { path: "config.decoder.fields.t", nodeType: "lorawan-in" } });
  });

  it("refuses a malformed topic template, naming the level and MQTT_TOPIC_TEMPLATE_INVALID", () => {
    assert.throws(() => configOf(lorawanIn, { connection: "ns", topic: "v3/#/up" }), {
      code: "NODE_CONFIG_INVALID",
      details: { path: "config.topic", nodeType: "lorawan-in" },
      message: /"#" must be the last level \[MQTT_TOPIC_TEMPLATE_INVALID\]/,
    });
  });
});
