import { isRecord } from "../../../runtime/sdk/index.ts";

/** One uplink, whichever network server sent it. */
export interface Uplink {
  readonly network: "tts" | "chirpstack";
  readonly device: string;
  readonly devEui?: string;
  readonly receivedAt?: number;
  readonly fPort?: number;
  readonly fCnt?: number;
  /** The frame's application payload (base64 decoded). */
  readonly bytes: Buffer;
  /** The network server's own decoding, when it has a payload formatter / codec. */
  readonly decoded?: Readonly<Record<string, unknown>>;
  /** The gateway that heard it best (highest RSSI). */
  readonly best?: { readonly gateway: string; readonly rssi?: number; readonly snr?: number };
  readonly gateways: number;
}

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const str = (v: unknown) => (typeof v === "string" && v.length > 0 ? v : undefined);
const time = (v: unknown) => {
  const at = typeof v === "string" ? Date.parse(v) : NaN;
  return Number.isNaN(at) ? undefined : at;
};

function bestGateway(list: unknown, gatewayOf: (rx: Record<string, unknown>) => string | undefined): Uplink["best"] {
  let best: Uplink["best"];
  for (const rx of Array.isArray(list) ? list : []) {
    if (!isRecord(rx)) continue;
    const rssi = num(rx["rssi"]) ?? num(rx["channel_rssi"]);
    if (best && (rssi ?? -Infinity) <= (best.rssi ?? -Infinity)) continue;
    const snr = num(rx["snr"]);
    best = { gateway: gatewayOf(rx) ?? "unknown", ...(rssi !== undefined ? { rssi } : {}), ...(snr !== undefined ? { snr } : {}) };
  }
  return best;
}

/** The Things Stack v3 `.../up` message. */
function fromTts(json: Record<string, unknown>): Uplink | string {
  const ids = json["end_device_ids"];
  const up = json["uplink_message"];
  if (!isRecord(ids) || !isRecord(up)) return "no end_device_ids/uplink_message";
  const device = str(ids["device_id"]);
  if (!device) return "end_device_ids.device_id is missing";
  const frm = up["frm_payload"];
  if (frm !== undefined && typeof frm !== "string") return "uplink_message.frm_payload is not base64 text";
  const decoded = up["decoded_payload"];
  const rx = up["rx_metadata"];
  const devEui = str(ids["dev_eui"]);
  const receivedAt = time(json["received_at"]) ?? time(up["received_at"]);
  const fPort = num(up["f_port"]);
  const fCnt = num(up["f_cnt"]);
  const best = bestGateway(rx, (r) => (isRecord(r["gateway_ids"]) ? str(r["gateway_ids"]["gateway_id"]) : undefined));
  return {
    network: "tts", device, bytes: Buffer.from(frm ?? "", "base64"), gateways: Array.isArray(rx) ? rx.length : 0,
    ...(devEui ? { devEui } : {}), ...(receivedAt !== undefined ? { receivedAt } : {}), ...(fPort !== undefined ? { fPort } : {}),
    ...(fCnt !== undefined ? { fCnt } : {}), ...(isRecord(decoded) ? { decoded } : {}), ...(best ? { best } : {}),
  };
}

/** ChirpStack v4 `application/<id>/device/<devEui>/event/up` message (JSON marshaler). */
function fromChirpstack(json: Record<string, unknown>): Uplink | string {
  const info = json["deviceInfo"];
  if (!isRecord(info)) return "no deviceInfo";
  const devEui = str(info["devEui"]);
  if (!devEui) return "deviceInfo.devEui is missing";
  const data = json["data"];
  if (data !== undefined && typeof data !== "string") return "data is not base64 text";
  const decoded = json["object"];
  const rx = json["rxInfo"];
  const receivedAt = time(json["time"]);
  const fPort = num(json["fPort"]);
  const fCnt = num(json["fCnt"]);
  const best = bestGateway(rx, (r) => str(r["gatewayId"]));
  return {
    network: "chirpstack", device: devEui, devEui, bytes: Buffer.from(data ?? "", "base64"), gateways: Array.isArray(rx) ? rx.length : 0,
    ...(receivedAt !== undefined ? { receivedAt } : {}), ...(fPort !== undefined ? { fPort } : {}), ...(fCnt !== undefined ? { fCnt } : {}),
    ...(isRecord(decoded) ? { decoded } : {}), ...(best ? { best } : {}),
  };
}

/** Reads an uplink of `network` ("auto": whichever shape it has); a string says what is wrong. */
export function parseUplink(json: unknown, network: "auto" | "tts" | "chirpstack"): Uplink | string {
  if (!isRecord(json)) return "not a JSON object";
  if (network === "tts" || (network === "auto" && "end_device_ids" in json)) return fromTts(json);
  if (network === "chirpstack" || (network === "auto" && "deviceInfo" in json)) return fromChirpstack(json);
  return "neither a The Things Stack v3 uplink (end_device_ids) nor a ChirpStack v4 one (deviceInfo)";
}

export const CODEC_TYPES = ["int8", "uint8", "int16", "uint16", "int32", "uint32", "float32"] as const;
export type CodecType = (typeof CODEC_TYPES)[number];
const WIDTH: Record<CodecType, number> = { int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, float32: 4 };

export interface CodecField {
  readonly name: string;
  readonly type: CodecType;
  readonly offset: number;
  readonly endian: "big" | "little";
  readonly scale: number;
}

/** Reads fixed-position fields; a string names the first field the frame is too short for. */
export function decodeFields(bytes: Buffer, fields: readonly CodecField[]): Record<string, number> | string {
  const out: Record<string, number> = {};
  for (const f of fields) {
    if (f.offset + WIDTH[f.type] > bytes.length) return `field "${f.name}" needs bytes ${f.offset}..${f.offset + WIDTH[f.type] - 1}, the frame has ${bytes.length}`;
    const be = f.endian === "big";
    const read = {
      int8: () => bytes.readInt8(f.offset),
      uint8: () => bytes.readUInt8(f.offset),
      int16: () => (be ? bytes.readInt16BE(f.offset) : bytes.readInt16LE(f.offset)),
      uint16: () => (be ? bytes.readUInt16BE(f.offset) : bytes.readUInt16LE(f.offset)),
      int32: () => (be ? bytes.readInt32BE(f.offset) : bytes.readInt32LE(f.offset)),
      uint32: () => (be ? bytes.readUInt32BE(f.offset) : bytes.readUInt32LE(f.offset)),
      float32: () => (be ? bytes.readFloatBE(f.offset) : bytes.readFloatLE(f.offset)),
    }[f.type];
    out[f.name] = read() * f.scale;
  }
  return out;
}
