import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeFields, parseUplink, type CodecField } from "./uplink.ts";

const frame = Buffer.from([0x01, 0x2c, 0xff, 0x9c, 0x41, 0x20, 0x00, 0x00]);

const tts = {
  end_device_ids: { device_id: "pump-7", dev_eui: "70B3D57ED0000001" },
  received_at: "2026-01-01T00:00:01.000Z",
  uplink_message: {
    f_port: 2,
    f_cnt: 17,
    frm_payload: frame.toString("base64"),
    decoded_payload: { temperature: 30 },
    rx_metadata: [
      { gateway_ids: { gateway_id: "gw-far" }, rssi: -110, snr: -3 },
      { gateway_ids: { gateway_id: "gw-near" }, rssi: -60, snr: 9.5 },
      { gateway_ids: { gateway_id: "gw-mid" }, channel_rssi: -80 },
    ],
  },
};

const chirpstack = {
  deviceInfo: { devEui: "70b3d57ed0000002", deviceName: "pump-8" },
  time: "2026-01-01T00:00:02.000Z",
  fPort: 3,
  fCnt: 5,
  data: frame.toString("base64"),
  object: { pressure: 2 },
  rxInfo: [{ gatewayId: "gw-a", rssi: -90, snr: 1 }, { gatewayId: "gw-b", rssi: -70 }],
};

describe("parseUplink", () => {
  it("reads a The Things Stack v3 uplink: device, frame, counters, decoding and the best gateway", () => {
    assert.deepEqual(parseUplink(tts, "auto"), {
      network: "tts", device: "pump-7", devEui: "70B3D57ED0000001", receivedAt: Date.UTC(2026, 0, 1, 0, 0, 1), fPort: 2, fCnt: 17,
      bytes: frame, decoded: { temperature: 30 }, best: { gateway: "gw-near", rssi: -60, snr: 9.5 }, gateways: 3,
    });
  });

  it("reads a ChirpStack v4 uplink, its device named by its DevEUI", () => {
    assert.deepEqual(parseUplink(chirpstack, "auto"), {
      network: "chirpstack", device: "70b3d57ed0000002", devEui: "70b3d57ed0000002", receivedAt: Date.UTC(2026, 0, 1, 0, 0, 2), fPort: 3, fCnt: 5,
      bytes: frame, decoded: { pressure: 2 }, best: { gateway: "gw-b", rssi: -70 }, gateways: 2,
    });
  });

  it("takes the receive time of the uplink message when the envelope has none", () => {
    const late = { ...tts, received_at: undefined, uplink_message: { ...tts.uplink_message, received_at: "2026-01-01T00:00:05.000Z" } };
    assert.equal((parseUplink(late, "tts") as { receivedAt: number }).receivedAt, Date.UTC(2026, 0, 1, 0, 0, 5));
  });

  it("reads a bare uplink (no frame, counters, decoding or gateways) with only what it has", () => {
    assert.deepEqual(parseUplink({ end_device_ids: { device_id: "d" }, uplink_message: {} }, "auto"), { network: "tts", device: "d", bytes: Buffer.alloc(0), gateways: 0 });
    assert.deepEqual(parseUplink({ deviceInfo: { devEui: "e" } }, "auto"), { network: "chirpstack", device: "e", devEui: "e", bytes: Buffer.alloc(0), gateways: 0 });
  });

  it("ignores what it cannot read in the metadata: bad times, non-finite counters, odd gateway entries", () => {
    const odd = {
      end_device_ids: { device_id: "d", dev_eui: "" },
      received_at: "yesterday",
      uplink_message: { f_port: "2", f_cnt: Number.NaN, decoded_payload: [1, 2], rx_metadata: ["gw", null, { rssi: -70 }] },
    };
    assert.deepEqual(parseUplink(odd, "tts"), { network: "tts", device: "d", bytes: Buffer.alloc(0), gateways: 3, best: { gateway: "unknown", rssi: -70 } });
  });

  it("keeps the first gateway heard when none reports an RSSI", () => {
    const quiet = { deviceInfo: { devEui: "e" }, rxInfo: [{ gatewayId: "gw-1" }, { gatewayId: "gw-2" }] };
    assert.deepEqual((parseUplink(quiet, "chirpstack") as { best: unknown }).best, { gateway: "gw-1" });
  });

  const refused: Array<[string, unknown, "auto" | "tts" | "chirpstack", string]> = [
    ["a JSON array", [tts], "auto", "not a JSON object"],
    ["null", null, "auto", "not a JSON object"],
    ["an unknown shape", { payload: "AQI=" }, "auto", "neither a The Things Stack v3 uplink (end_device_ids) nor a ChirpStack v4 one (deviceInfo)"],
    ["a ChirpStack uplink read as TTS", chirpstack, "tts", "no end_device_ids/uplink_message"],
    ["a TTS uplink read as ChirpStack", tts, "chirpstack", "no deviceInfo"],
    ["a TTS uplink without device id", { ...tts, end_device_ids: { dev_eui: "x" } }, "auto", "end_device_ids.device_id is missing"],
    ["a TTS frame that is not text", { ...tts, uplink_message: { frm_payload: [1, 2] } }, "auto", "uplink_message.frm_payload is not base64 text"],
    ["a ChirpStack uplink without DevEUI", { deviceInfo: { deviceName: "x" } }, "auto", "deviceInfo.devEui is missing"],
    ["a ChirpStack frame that is not text", { deviceInfo: { devEui: "e" }, data: 12 }, "auto", "data is not base64 text"],
  ];
  for (const [name, json, network, problem] of refused) {
    it(`refuses ${name}: "${problem}"`, () => assert.equal(parseUplink(json, network), problem));
  }
});

describe("decodeFields", () => {
  const field = (name: string, type: CodecField["type"], offset: number, endian: CodecField["endian"] = "big", scale = 1): CodecField => ({ name, type, offset, endian, scale });

  const decoded: Array<[string, CodecField, number]> = [
    ["uint8", field("v", "uint8", 2), 0xff],
    ["int8", field("v", "int8", 2), -1],
    ["uint16 big-endian", field("v", "uint16", 0), 300],
    ["uint16 little-endian", field("v", "uint16", 0, "little"), 0x2c01],
    ["int16 big-endian", field("v", "int16", 2), -100],
    ["int16 little-endian", field("v", "int16", 2, "little"), -25_345],
    ["uint32 big-endian", field("v", "uint32", 0), 0x012cff9c],
    ["int32 little-endian", field("v", "int32", 4, "little"), 0x2041],
    ["float32 big-endian", field("v", "float32", 4), 10],
    ["a scaled int16", field("v", "int16", 0, "big", 0.1), 30],
  ];
  for (const [name, f, expected] of decoded) {
    it(`reads ${name}`, () => {
      const out = decodeFields(frame, [f]);
      assert.ok(typeof out === "object");
      assert.ok(Math.abs(out["v"]! - expected) < 1e-9, `${out["v"]} vs ${expected}`);
    });
  }

  it("reads several fields of one frame", () => {
    assert.deepEqual(decodeFields(frame, [field("temperature", "int16", 0, "big", 0.1), field("offset", "int16", 2), field("flow", "float32", 4)]), { temperature: 30, offset: -100, flow: 10 });
  });

  it("names the first field the frame is too short for, with the bytes it needs", () => {
    assert.equal(decodeFields(frame, [field("ok", "uint8", 0), field("far", "uint32", 6), field("farther", "uint8", 9)]), 'field "far" needs bytes 6..9, the frame has 8');
    assert.equal(decodeFields(Buffer.alloc(0), [field("v", "uint8", 0)]), 'field "v" needs bytes 0..0, the frame has 0');
  });

  it("reads nothing from a codec with no fields", () => assert.deepEqual(decodeFields(frame, []), {}));
});
