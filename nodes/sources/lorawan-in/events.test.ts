import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { eventTypeOfShape, eventTypeOfTopic, parseChirpstackEvent, readDocument, type ChirpstackEventType } from "./events.ts";

const deviceInfo = { tenantId: "52f14cd4-c6f1-4fbd-8f87-4025e1d49242", tenantName: "Plant", applicationId: "17c82e96-be03-4f38-aef3-f83d48582d97", applicationName: "pumps", deviceProfileName: "vib-sensor", deviceName: "pump-8-vib", devEui: "0101010101010101" };
const envelope = { deduplicationId: "3ac7e3c4-4401-4b8d-9386-a5c902f9202d", time: "2026-01-01T00:00:02Z", deviceInfo };

/** ChirpStack v4 integration events as its MQTT integration publishes them (JSON marshaler), one per type. */
const CHIRPSTACK_SAMPLES: Record<ChirpstackEventType, Record<string, unknown>> = {
  up: { ...envelope, devAddr: "00189440", adr: true, dr: 5, fCnt: 10, fPort: 1, confirmed: false, data: "CUQq", object: { vibration: 1.9 }, rxInfo: [{ gatewayId: "0016c001f153a14c", rssi: -36, snr: 10.5 }], txInfo: { frequency: 868300000 } },
  status: { ...envelope, margin: 7, externalPowerSource: false, batteryLevelUnavailable: false, batteryLevel: 87.5 },
  join: { ...envelope, devAddr: "01e2f3a4", regionConfigId: "eu868" },
  ack: { ...envelope, queueItemId: "2b3fa2d8-0f7c-4f4e-9c3a-1f0e5e4c2b1a", acknowledged: true, fCntDown: 12 },
  txack: { downlinkId: 3297329431, time: "2026-01-01T00:00:02Z", deviceInfo, queueItemId: "2b3fa2d8-0f7c-4f4e-9c3a-1f0e5e4c2b1a", fCntDown: 12, gatewayId: "0016c001f153a14c", txInfo: { frequency: 869525000, power: 27 } },
  log: { time: "2026-01-01T00:00:02Z", deviceInfo, level: "ERROR", code: "UPLINK_CODEC", description: "TypeError: bytes is undefined", context: { deduplication_id: "3ac7e3c4-4401-4b8d-9386-a5c902f9202d" } },
  location: { ...envelope, location: { latitude: 52.3676, longitude: 4.9041, altitude: 12, source: "GEO_RESOLVER_TDOA", accuracy: 25 } },
  integration: { ...envelope, integrationName: "loracloud", eventType: "modem_UplinkResponse", object: { result: { deveui: "01-01-01-01-01-01-01-01", position_solution: { llh: [52.3676, 4.9041, 0], accuracy: 30 } } } },
};

describe("eventTypeOfTopic", () => {
  const cases: Array<[string, ChirpstackEventType | undefined]> = [
    ["application/17c8/device/0101010101010101/event/up", "up"],
    ["application/17c8/device/0101010101010101/event/status", "status"],
    ["application/17c8/device/0101010101010101/event/txack", "txack"],
    ["application/17c8/device/0101010101010101/event/integration", "integration"],
    ["custom/0101010101010101/location", "location"],
    ["application/17c8/device/0101010101010101/command/down", undefined],
    ["chirpstack/events", undefined],
    ["status", "status"],
  ];
  for (const [topic, type] of cases) it(`reads ${JSON.stringify(type)} from ${topic}`, () => assert.equal(eventTypeOfTopic(topic), type));
});

describe("eventTypeOfShape", () => {
  for (const [type, sample] of Object.entries(CHIRPSTACK_SAMPLES)) {
    it(`tells a ${type} event by its fields`, () => assert.equal(eventTypeOfShape(sample), type));
  }
  it("reads a message with nothing but the device as an uplink, as before events were told apart", () => assert.equal(eventTypeOfShape({ deviceInfo }), "up"));
});

describe("parseChirpstackEvent", () => {
  const read: Array<[Exclude<ChirpstackEventType, "up">, Record<string, unknown>, Record<string, unknown>]> = [
    ["status", CHIRPSTACK_SAMPLES.status, { margin: 7, externalPowerSource: false, batteryLevelUnavailable: false, batteryLevel: 87.5 }],
    ["status", { deviceInfo, margin: 0, externalPowerSource: true }, { margin: 0, externalPowerSource: true, batteryLevelUnavailable: false }],
    ["status", { deviceInfo, batteryLevelUnavailable: true, margin: -3 }, { margin: -3, externalPowerSource: false, batteryLevelUnavailable: true }],
    ["status", { deviceInfo }, { margin: 0, externalPowerSource: false, batteryLevelUnavailable: false, batteryLevel: 0 }],
    ["join", CHIRPSTACK_SAMPLES.join, { devAddr: "01e2f3a4" }],
    ["ack", CHIRPSTACK_SAMPLES.ack, { queueItemId: "2b3fa2d8-0f7c-4f4e-9c3a-1f0e5e4c2b1a", acknowledged: true, fCntDown: 12 }],
    ["txack", CHIRPSTACK_SAMPLES.txack, { downlinkId: 3297329431, queueItemId: "2b3fa2d8-0f7c-4f4e-9c3a-1f0e5e4c2b1a", fCntDown: 12, gatewayId: "0016c001f153a14c" }],
    ["log", CHIRPSTACK_SAMPLES.log, { level: "ERROR", code: "UPLINK_CODEC", description: "TypeError: bytes is undefined", context: { deduplication_id: "3ac7e3c4-4401-4b8d-9386-a5c902f9202d" } }],
    ["location", CHIRPSTACK_SAMPLES.location, { latitude: 52.3676, longitude: 4.9041, altitude: 12, accuracy: 25, source: "GEO_RESOLVER_TDOA" }],
    ["integration", CHIRPSTACK_SAMPLES.integration, { integrationName: "loracloud", eventType: "modem_UplinkResponse", object: CHIRPSTACK_SAMPLES.integration["object"] }],
  ];
  for (const [kind, json, fields] of read) {
    it(`reads a ${kind} event with ${Object.keys(fields).join(", ")}`, () => {
      assert.deepEqual(parseChirpstackEvent(json, kind), { kind, device: "0101010101010101", devEui: "0101010101010101", ...(json["time"] ? { receivedAt: Date.UTC(2026, 0, 1, 0, 0, 2) } : {}), fields });
    });
  }

  const refused: Array<[string, Exclude<ChirpstackEventType, "up">, Record<string, unknown>, string]> = [
    ["an event without deviceInfo", "status", { margin: 7 }, "status event: no deviceInfo"],
    ["an event without DevEUI", "join", { deviceInfo: { deviceName: "x" } }, "join event: deviceInfo.devEui is missing"],
    ["a margin that is text", "status", { deviceInfo, margin: "7" }, "status event from 0101010101010101: margin is not a number"],
    ["a battery level that is not finite", "status", { deviceInfo, batteryLevel: "NaN" }, "status event from 0101010101010101: batteryLevel is not a number"],
    ["a log without its level", "log", { deviceInfo, code: "OTAA", description: "join" }, "log event from 0101010101010101: level is missing"],
    ["a location without coordinates", "location", { deviceInfo, location: { altitude: 3 } }, "location event from 0101010101010101: location.latitude and location.longitude must be numbers"],
    ["a location that is not an object", "location", { deviceInfo, location: "52.3,4.9" }, "location event from 0101010101010101: location is not an object"],
    ["an integration whose object is a list", "integration", { deviceInfo, integrationName: "loracloud", object: [1] }, "integration event from 0101010101010101: object is not an object"],
    ["an ack whose acknowledged is a number", "ack", { deviceInfo, acknowledged: 1 }, "ack event from 0101010101010101: acknowledged is not a boolean"],
  ];
  for (const [name, kind, json, problem] of refused) it(`refuses ${name}: "${problem}"`, () => assert.equal(parseChirpstackEvent(json, kind), problem));
});

describe("readDocument", () => {
  it("takes an integration event as an event, not as an uplink decoded by LoRa Cloud", () => {
    const read = readDocument(CHIRPSTACK_SAMPLES.integration, "auto", "application/17c8/device/0101010101010101/event/integration");
    assert.ok("event" in read && read.event.kind === "integration");
  });

  it("takes the topic's event type over the shape", () => {
    const read = readDocument({ deviceInfo, margin: 5 }, "chirpstack", "application/17c8/device/0101010101010101/event/up");
    assert.ok("uplink" in read && read.uplink.device === "0101010101010101");
  });

  it("reads a The Things Stack uplink whatever the topic's last level", () => {
    const read = readDocument({ end_device_ids: { device_id: "d" }, uplink_message: {} }, "auto", "v3/app@ttn/devices/d/status");
    assert.ok("uplink" in read && read.uplink.network === "tts");
  });

  const problems: Array<[string, unknown, string, { problem: string; code: string }]> = [
    ["a bad event", { deviceInfo, margin: "x" }, "a/event/status", { problem: "status event from 0101010101010101: margin is not a number", code: "LORAWAN_EVENT_INVALID" }],
    ["a bad uplink", { deviceInfo, data: 1 }, "a/event/up", { problem: "data is not base64 text", code: "LORAWAN_UPLINK_INVALID" }],
    ["a value that is no object", 42, "a/event/status", { problem: "not a JSON object", code: "LORAWAN_UPLINK_INVALID" }],
  ];
  for (const [name, json, topic, expected] of problems) it(`names ${name} with its code`, () => assert.deepEqual(readDocument(json, "auto", topic), expected));
});
