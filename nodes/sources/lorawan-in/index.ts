import { AiotError, compileExpression, Config, defineNode, errorMessage, expressionProblem, Type } from "../../../runtime/sdk/index.ts";
import { CONNECTIONS, ConnectionRef } from "../../../runtime/sdk/connections.ts";
import { MQTT_BROKER } from "../../../runtime/sdk/mqtt.ts";
import { emitError } from "../../lib/sources/emit-error.ts";
import { CODEC_TYPES, decodeFields, type Uplink } from "./uplink.ts";
import { readDocument, type NetworkEvent } from "./events.ts";
import { splitBody, type Element } from "./batch.ts";
import { subscribe } from "../../lib/mqtt/subscription.ts";
import { ASSETS_DOCS, assetStamper, AssetsOption } from "../../lib/assets/asset-stamp.ts";
import { parseTopicTemplate } from "../../lib/mqtt/topic-template.ts";

const Decoder = Type.Union([
  Type.Object({ kind: Type.Literal("none", { description: "Only the network server's decoded payload; frames without one are errors." }) }, { additionalProperties: false }),
  Type.Object({
    kind: Type.Literal("codec", { description: "Fixed-position numeric fields." }),
    fields: Type.Array(Type.Object({
      name: Type.String({ minLength: 1, description: "Field name in the payload." }),
      type: Type.Enum(CODEC_TYPES, { description: "Binary type." }),
      offset: Type.Integer({ minimum: 0, description: "First byte." }),
      endian: Type.Enum(["big", "little"], { default: "big", description: "Byte order." }),
      scale: Type.Number({ default: 1, description: "Multiplier, e.g. 0.01 for hundredths." }),
    }, { additionalProperties: false }), { minItems: 1, description: "The fields, in any order." }),
  }, { additionalProperties: false }),
  Type.Object({
    kind: Type.Literal("expression", { description: "One safe expression per field over byte0, byte1, ..., length and fPort." }),
    fields: Type.Record(Type.String({ minLength: 1 }), Type.String({ minLength: 1 }), { description: "Field name -> expression, e.g. `(byte0 * 256 + byte1) / 100`." }),
  }, { additionalProperties: false }),
], { default: { kind: "none" }, description: "Used when the network server did not decode the frame." });

export default defineNode({
  type: "lorawan-in",
  version: 1,
  family: "sources",
  title: "LoRaWAN in",
  summary: "Uplinks from The Things Stack v3 or ChirpStack v4 over MQTT, decoded by the network server or by a codec in the node; RSSI/SNR/gateway in meta; device events apart.",
  docs: `Subscribes on a shared \`mqtt-broker\` connection to the network server's MQTT integration:
The Things Stack v3 \`v3/<app>@<tenant>/devices/<device>/up\` (\`end_device_ids.device_id\`, \`uplink_message.decoded_payload\`,
\`frm_payload\`, \`rx_metadata\`, \`received_at\`) or ChirpStack v4 \`application/<id>/device/<devEui>/event/up\`
(\`deviceInfo.devEui\`, \`object\`, \`data\`, \`rxInfo\`, \`time\`).

The payload is the network server's decoded object when there is one, else the node's \`decoder\`: a \`codec\` of
fixed-position fields (int8 ... float32, big or little endian, scaled) or \`expression\`s over \`byte0\`, \`byte1\`, ...,
\`length\` and \`fPort\` (safe expressions, no JavaScript). Key: TTS device id / ChirpStack DevEUI. Event time: the
network server's receive time. \`meta.lorawan\`: network, devEui, fPort, fCnt, rssi, snr, gateway (the best one), gateways.

**Events**: only ChirpStack \`up\` events are uplinks. \`status\` (margin, batteryLevel in percent, externalPowerSource,
batteryLevelUnavailable), \`join\` (devAddr), \`ack\`, \`txack\`, \`log\` (level, code, description), \`location\`
(latitude, longitude, ...) and \`integration\` (integrationName, eventType and its \`object\`, e.g. LoRa Cloud's answer)
go to the \`events\` port as \`{ kind, ...fields }\`, or with \`events: ignore\` are dropped and counted as
\`ignored_<kind>\`. The type is the topic's last level (\`.../event/status\`), else told by the JSON's fields.

**Batches**: a JSON array, or JSON lines such as The Things Stack storage integration's \`{ "result": {...} }\`
stream, gives one reading per element; each element is checked on its own (a bad one is one error, the others go
through). At most \`maxBatch\` elements are read per message; the rest are dropped with one LORAWAN_BATCH_TOO_LARGE.
A batch goes out whole; when the flow is saturated the node waits before reading the next message.

${ASSETS_DOCS}

Bad input (not JSON, not an uplink, an event with a wrong field, a frame too short for the codec) goes to \`error\` as
LORAWAN_UPLINK_INVALID / LORAWAN_EVENT_INVALID / LORAWAN_DECODE_FAILED, counted; the node keeps reading.`,
  config: Config({
    connection: ConnectionRef("mqtt-broker", "The broker carrying the network server's integration."),
    topic: Type.String({ minLength: 1, default: "v3/+/devices/+/up", description: "Topic filter: TTS `v3/+/devices/+/up`, ChirpStack `application/+/device/+/event/up` (`event/+` for its other events too)." }),
    network: Type.Enum(["auto", "tts", "chirpstack"], { default: "auto", description: "Which network server's JSON; auto tells them apart by shape." }),
    qos: Type.Enum([0, 1, 2], { default: 1, description: "Subscription QoS." }),
    decoder: Decoder,
    events: Type.Enum(["emit", "ignore"], { default: "emit", description: "Network-server events that are not uplinks (ChirpStack status, join, ack, txack, log, location, integration): emit them on the events port, or ignore them (counted per kind as ignored_<kind>)." }),
    maxBatch: Type.Integer({ minimum: 1, default: 1000, advanced: true, description: "Most uplinks read from one message holding an array or JSON lines (a storage integration answer); the rest are dropped and reported." }),
    assets: AssetsOption,
  }),
  inputs: {},
  outputs: {
    out: { kind: "reading", description: "One reading per uplink." },
    events: { kind: "event", description: "Device events that are not uplinks, `{ kind, ...fields }`: status (battery, margin), join, ack, txack, log, location, integration." },
  },
  examples: [
    { title: "The Things Stack v3, decoded by TTS", config: { connection: "tts", topic: "v3/+/devices/+/up" } },
    { title: "ChirpStack v4 with a codec", description: "Temperature in hundredths of a degree (int16 BE) and battery percent (uint8).", config: {
      connection: "chirpstack", topic: "application/+/device/+/event/up", network: "chirpstack",
      decoder: { kind: "codec", fields: [{ name: "temperature", type: "int16", offset: 0, endian: "big", scale: 0.01 }, { name: "battery", type: "uint8", offset: 2, endian: "big", scale: 1 }] } } },
    { title: "An expression decoder", config: { connection: "tts", decoder: { kind: "expression", fields: { level: "(byte0 * 256 + byte1) / 10" } } } },
    { title: "Every ChirpStack v4 event, uplinks only as readings", description: "Status (battery, margin), joins, acks, logs, locations and LoRa Cloud answers go to the events port.",
      config: { connection: "chirpstack", topic: "application/+/device/+/event/+", network: "chirpstack" } },
  ],
  check(config) {
    const problems: Array<{ path: string; message: string }> = [];
    try {
      parseTopicTemplate(config.topic);
    } catch (error) {
      problems.push({ path: "topic", message: `${errorMessage(error)} [MQTT_TOPIC_TEMPLATE_INVALID]` });
    }
    if (config.decoder.kind === "expression") {
      for (const [name, source] of Object.entries(config.decoder.fields)) {
        const problem = expressionProblem(source);
        if (problem) problems.push({ path: `decoder.fields.${name}`, message: problem });
      }
    }
    return problems;
  },
  create(config, ctx) {
    const stampAsset = assetStamper(ctx, config.assets);
    const lease = ctx.use(CONNECTIONS).acquire(MQTT_BROKER, config.connection, ctx);
    const filter = parseTopicTemplate(config.topic).filter;
    const decoder = config.decoder;
    const expressions = decoder.kind === "expression" ? Object.entries(decoder.fields).map(([name, source]) => [name, compileExpression(source)] as const) : [];
    let saturated = false;
    let stopped = true;
    let unsubscribe: (() => void) | undefined;
    let removeListener: (() => void) | undefined;

    function decode(uplink: Uplink): Record<string, unknown> {
      if (uplink.decoded) return uplink.decoded;
      if (decoder.kind === "codec") {
        const fields = decodeFields(uplink.bytes, decoder.fields);
        if (typeof fields === "string") throw new AiotError("LORAWAN_DECODE_FAILED", fields);
        return fields;
      }
      if (decoder.kind === "expression") {
        const scope: Record<string, number> = { length: uplink.bytes.length, fPort: uplink.fPort ?? 0 };
        uplink.bytes.forEach((b, i) => (scope[`byte${i}`] = b));
        try {
          return Object.fromEntries(expressions.map(([name, expression]) => [name, expression.evaluate(scope)]));
        } catch (error) {
          throw new AiotError("LORAWAN_DECODE_FAILED", `${errorMessage(error)} (frame of ${uplink.bytes.length} bytes)`);
        }
      }
      throw new AiotError("LORAWAN_DECODE_FAILED", "the network server sent no decoded payload and the node has no decoder");
    }

    function onMessage(topic: string, body: Buffer): void {
      if (stopped) return;
      const now = ctx.clock.now();
      const { elements, dropped } = splitBody(body.toString("utf8"), config.maxBatch);
      if (dropped > 0) {
        ctx.metrics.count("batch_dropped", dropped);
        emitError(ctx, new AiotError("LORAWAN_BATCH_TOO_LARGE", `${topic}: ${elements.length + dropped} elements, more than maxBatch (${config.maxBatch}); the last ${dropped} were dropped`, { topic, dropped }), { topic, ts: now }, "batch_too_large");
      }
      for (const element of elements) onElement(topic, element, now);
    }

    /** One document of a message; `[i]` after the topic names its place in an array or line stream. */
    function onElement(topic: string, element: Element, now: number): void {
      const where = element.index === undefined ? topic : `${topic}[${element.index}]`;
      const details = element.index === undefined ? { topic } : { topic, index: element.index };
      if ("problem" in element) return emitError(ctx, new AiotError("LORAWAN_UPLINK_INVALID", `${where}: ${element.problem}`, details), { topic, ts: now }, "uplink_invalid");
      const document = readDocument(element.json, config.network, topic);
      if ("problem" in document) {
        return emitError(ctx, new AiotError(document.code, `${where}: ${document.problem}`, details), { topic, ts: now }, document.code === "LORAWAN_EVENT_INVALID" ? "event_invalid" : "uplink_invalid");
      }
      if ("event" in document) return onEvent(topic, document.event, now);
      const uplink = document.uplink;
      const ts = uplink.receivedAt ?? now;
      let payload: Record<string, unknown>;
      try {
        payload = decode(uplink);
      } catch (error) {
        const coded = error instanceof AiotError ? error : new AiotError("LORAWAN_DECODE_FAILED", errorMessage(error));
        return emitError(ctx, new AiotError(coded.code, `${uplink.device}: ${coded.message}`, details), { topic, key: uplink.device, ts }, "decode_failed");
      }
      const lorawan = {
        network: uplink.network,
        ...(uplink.devEui ? { devEui: uplink.devEui } : {}),
        ...(uplink.fPort !== undefined ? { fPort: uplink.fPort } : {}),
        ...(uplink.fCnt !== undefined ? { fCnt: uplink.fCnt } : {}),
        ...(uplink.best ? { gateway: uplink.best.gateway, ...(uplink.best.rssi !== undefined ? { rssi: uplink.best.rssi } : {}), ...(uplink.best.snr !== undefined ? { snr: uplink.best.snr } : {}) } : {}),
        gateways: uplink.gateways,
        decodedBy: uplink.decoded ? "network" : decoder.kind,
      };
      const msg = { topic, key: uplink.device, ts, payload, meta: { source: ctx.nodeId, lorawan } };
      if (!ctx.emit("out", stampAsset ? stampAsset(msg) : msg)) saturated = true;
    }

    function onEvent(topic: string, event: NetworkEvent, now: number): void {
      if (config.events === "ignore") return ctx.metrics.count(`ignored_${event.kind}`);
      const lorawan = { network: "chirpstack", devEui: event.devEui, event: event.kind };
      const msg = { topic, key: event.device, ts: event.receivedAt ?? now, payload: { kind: event.kind, ...event.fields }, meta: { source: ctx.nodeId, lorawan } };
      if (!ctx.emit("events", msg)) saturated = true;
    }

    const gate = () => (saturated ? ctx.writable().then(() => void (saturated = false)) : undefined);
    return {
      start() {
        stopped = false;
        removeListener = lease.onConnected((client) => {
          unsubscribe?.();
          unsubscribe = subscribe(client, filter, config.qos, onMessage, gate, (error) => ctx.status({ state: "error", text: error.message }));
        });
      },
      stop() {
        stopped = true;
        removeListener?.();
        unsubscribe?.();
        unsubscribe = undefined;
      },
      close: () => lease.release(),
    };
  },
});
