import { isRecord } from "../../../runtime/sdk/index.ts";
import { parseUplink, type Uplink } from "./uplink.ts";

/** ChirpStack v4 integration event types (`.../event/<type>`); only `up` carries an uplink. */
export const CHIRPSTACK_EVENTS = ["up", "status", "join", "ack", "txack", "log", "location", "integration"] as const;
export type ChirpstackEventType = (typeof CHIRPSTACK_EVENTS)[number];
export type NetworkEventKind = Exclude<ChirpstackEventType, "up">;

/** A network-server event that is not an uplink: what happened to a device, with its own fields. */
export interface NetworkEvent {
  readonly kind: NetworkEventKind;
  readonly device: string;
  readonly devEui: string;
  readonly receivedAt?: number;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** One JSON document of an integration: an uplink, another event, or what is wrong with it. */
export type Document = { readonly uplink: Uplink } | { readonly event: NetworkEvent } | { readonly problem: string; readonly code: "LORAWAN_UPLINK_INVALID" | "LORAWAN_EVENT_INVALID" };

type FieldType = "number" | "boolean" | "string" | "object";
/** The fields each event type carries (ChirpStack v4 integration.proto, JSON names); `true` marks the ones it cannot do without. */
const FIELDS: Record<NetworkEventKind, ReadonlyArray<readonly [string, FieldType, boolean?]>> = {
  status: [["margin", "number"], ["externalPowerSource", "boolean"], ["batteryLevelUnavailable", "boolean"], ["batteryLevel", "number"]],
  join: [["devAddr", "string"]],
  ack: [["queueItemId", "string"], ["acknowledged", "boolean"], ["fCntDown", "number"]],
  txack: [["downlinkId", "number"], ["queueItemId", "string"], ["fCntDown", "number"], ["gatewayId", "string"]],
  log: [["level", "string", true], ["code", "string"], ["description", "string"], ["context", "object"]],
  location: [["location", "object", true]],
  integration: [["integrationName", "string", true], ["eventType", "string"], ["object", "object"]],
};

/** The event type a topic names in its last level (`application/<id>/device/<devEui>/event/status`), if any. */
export function eventTypeOfTopic(topic: string): ChirpstackEventType | undefined {
  const last = topic.slice(topic.lastIndexOf("/") + 1);
  return (CHIRPSTACK_EVENTS as readonly string[]).includes(last) ? (last as ChirpstackEventType) : undefined;
}

/**
 * The event type told by the JSON alone, for topic templates that do not carry it. Each type's own
 * fields decide; a message with none of them is read as an uplink, as before events were told apart.
 */
export function eventTypeOfShape(json: Record<string, unknown>): ChirpstackEventType {
  const has = (...names: string[]) => names.some((name) => name in json);
  if (has("integrationName", "eventType")) return "integration";
  if (has("level") && has("code", "description")) return "log";
  if (has("margin", "batteryLevel", "batteryLevelUnavailable", "externalPowerSource")) return "status";
  if (has("location")) return "location";
  if (has("downlinkId", "gatewayId")) return "txack";
  if (has("acknowledged", "queueItemId")) return "ack";
  if (has("data", "object", "fPort", "fCnt", "rxInfo", "txInfo", "dr", "adr", "confirmed")) return "up";
  if (has("devAddr")) return "join";
  return "up";
}

const finite = (v: unknown) => typeof v === "number" && Number.isFinite(v);
const fits = (value: unknown, type: FieldType) => (type === "object" ? isRecord(value) : type === "number" ? finite(value) : typeof value === type);

/** A ChirpStack v4 event other than `up`; a string says what is wrong. */
export function parseChirpstackEvent(json: Record<string, unknown>, kind: NetworkEventKind): NetworkEvent | string {
  const info = json["deviceInfo"];
  if (!isRecord(info)) return `${kind} event: no deviceInfo`;
  const devEui = info["devEui"];
  if (typeof devEui !== "string" || devEui === "") return `${kind} event: deviceInfo.devEui is missing`;
  const fields: Record<string, unknown> = {};
  for (const [name, type, required] of FIELDS[kind]) {
    const value = json[name];
    if (value === undefined || value === null) {
      if (required) return `${kind} event from ${devEui}: ${name} is missing`;
      continue;
    }
    if (!fits(value, type)) return `${kind} event from ${devEui}: ${name} is not ${type === "object" ? "an object" : `a ${type}`}`;
    fields[name] = value;
  }
  const shaped = kind === "status" ? status(fields) : kind === "location" ? location(json["location"]) : fields;
  if (typeof shaped === "string") return `${kind} event from ${devEui}: ${shaped}`;
  const at = typeof json["time"] === "string" ? Date.parse(json["time"]) : NaN;
  return { kind, device: devEui, devEui, ...(Number.isNaN(at) ? {} : { receivedAt: at }), fields: shaped };
}

/**
 * The device's DevStatusAns as ChirpStack reports it. Protobuf leaves out zero and false, so a field
 * it does not send has that value; the battery level means something only on battery power.
 */
function status(fields: Record<string, unknown>): Record<string, unknown> {
  const { margin = 0, externalPowerSource = false, batteryLevelUnavailable = false, batteryLevel = 0 } = fields;
  return { margin, externalPowerSource, batteryLevelUnavailable, ...(externalPowerSource || batteryLevelUnavailable ? {} : { batteryLevel }) };
}

function location(at: unknown): Record<string, unknown> | string {
  if (!isRecord(at) || !finite(at["latitude"]) || !finite(at["longitude"])) return "location.latitude and location.longitude must be numbers";
  const out: Record<string, unknown> = { latitude: at["latitude"], longitude: at["longitude"] };
  for (const name of ["altitude", "accuracy"]) if (finite(at[name])) out[name] = at[name];
  if (typeof at["source"] === "string") out["source"] = at["source"];
  return out;
}

/**
 * Reads one integration document. ChirpStack's event type comes from the topic's last level when it
 * names one, else from the JSON's shape; The Things Stack documents are uplinks.
 */
export function readDocument(json: unknown, network: "auto" | "tts" | "chirpstack", topic: string): Document {
  const chirpstack = network === "chirpstack" || (network === "auto" && isRecord(json) && "deviceInfo" in json && !("end_device_ids" in json));
  if (chirpstack && isRecord(json)) {
    const type = eventTypeOfTopic(topic) ?? eventTypeOfShape(json);
    if (type !== "up") {
      const event = parseChirpstackEvent(json, type);
      return typeof event === "string" ? { problem: event, code: "LORAWAN_EVENT_INVALID" } : { event };
    }
  }
  const uplink = parseUplink(json, network);
  return typeof uplink === "string" ? { problem: uplink, code: "LORAWAN_UPLINK_INVALID" } : { uplink };
}
