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
    await t.engine.deploy(flow(id, { ns: { type: "mqtt-broker", config: { url: broker.url } } },
      [{ id: "lw", type: "lorawan-in", config: { connection: "ns", topic: "#", ...config } }, { id: "got", type: "test-sink" }, { id: "errors", type: "test-sink" }],
      [["lw", "got"], ["lw", "errors", "error"]]));
    await until(() => t.statuses.some((s) => s.status.state === "running"), "connected");
    await new Promise((resolve) => setTimeout(resolve, 50));
    return t;
  }
  const publish = (topic: string, body: unknown) => publisher.publishAsync(topic, typeof body === "string" ? body : JSON.stringify(body), { qos: 1 });

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

  it("refuses an expression decoder that does not compile", () => {
    assert.throws(() => configOf(lorawanIn, { connection: "ns", decoder: { kind: "expression", fields: { t: "byte0 +" } } }), { code: "NODE_CONFIG_INVALID", details: { path: "config.decoder.fields.t", nodeType: "lorawan-in" } });
  });
});
