import { AiotError, compileExpression, Config, defineNode, errorMessage, expressionProblem, Type } from "../../../runtime/sdk/index.ts";
import { CONNECTIONS, ConnectionRef } from "../../../runtime/sdk/connections.ts";
import { MQTT_BROKER } from "../../../runtime/sdk/mqtt.ts";
import { emitError } from "../../lib/sources/emit-error.ts";
import { CODEC_TYPES, decodeFields, parseUplink, type Uplink } from "./uplink.ts";
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
  summary: "Uplinks from The Things Stack v3 or ChirpStack v4 over MQTT, decoded by the network server or by a codec in the node; RSSI/SNR/gateway in meta.",
  docs: `Subscribes on a shared \`mqtt-broker\` connection to the network server's MQTT integration:
The Things Stack v3 \`v3/<app>@<tenant>/devices/<device>/up\` (\`end_device_ids.device_id\`, \`uplink_message.decoded_payload\`,
\`frm_payload\`, \`rx_metadata\`, \`received_at\`) or ChirpStack v4 \`application/<id>/device/<devEui>/event/up\`
(\`deviceInfo.devEui\`, \`object\`, \`data\`, \`rxInfo\`, \`time\`).

The payload is the network server's decoded object when there is one, else the node's \`decoder\`: a \`codec\` of
fixed-position fields (int8 ... float32, big or little endian, scaled) or \`expression\`s over \`byte0\`, \`byte1\`, ...,
\`length\` and \`fPort\` (safe expressions, no JavaScript). Key: TTS device id / ChirpStack DevEUI. Event time: the
network server's receive time. \`meta.lorawan\`: network, devEui, fPort, fCnt, rssi, snr, gateway (the best one), gateways.

${ASSETS_DOCS}

Bad input (not JSON, not an uplink, a frame too short for the codec) goes to \`error\` as LORAWAN_UPLINK_INVALID /
LORAWAN_DECODE_FAILED, counted; the node keeps reading.`,
  config: Config({
    connection: ConnectionRef("mqtt-broker", "The broker carrying the network server's integration."),
    topic: Type.String({ minLength: 1, default: "v3/+/devices/+/up", description: "Topic filter: TTS `v3/+/devices/+/up`, ChirpStack `application/+/device/+/event/up`." }),
    network: Type.Enum(["auto", "tts", "chirpstack"], { default: "auto", description: "Which network server's JSON; auto tells them apart by shape." }),
    qos: Type.Enum([0, 1, 2], { default: 1, description: "Subscription QoS." }),
    decoder: Decoder,
    assets: AssetsOption,
  }),
  inputs: {},
  outputs: { out: { kind: "reading", description: "One reading per uplink." } },
  examples: [
    { title: "The Things Stack v3, decoded by TTS", config: { connection: "tts", topic: "v3/+/devices/+/up" } },
    { title: "ChirpStack v4 with a codec", description: "Temperature in hundredths of a degree (int16 BE) and battery percent (uint8).", config: {
      connection: "chirpstack", topic: "application/+/device/+/event/up", network: "chirpstack",
      decoder: { kind: "codec", fields: [{ name: "temperature", type: "int16", offset: 0, endian: "big", scale: 0.01 }, { name: "battery", type: "uint8", offset: 2, endian: "big", scale: 1 }] } } },
    { title: "An expression decoder", config: { connection: "tts", decoder: { kind: "expression", fields: { level: "(byte0 * 256 + byte1) / 10" } } } },
  ],
  check(config) {
    const problems: Array<{ path: string; message: string }> = [];
    try {
      parseTopicTemplate(config.topic);
    } catch (error) {
      problems.push({ path: "topic", message: errorMessage(error) });
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
      let json: unknown;
      try {
        json = JSON.parse(body.toString("utf8"));
      } catch (error) {
        return emitError(ctx, new AiotError("LORAWAN_UPLINK_INVALID", `${topic}: not JSON (${errorMessage(error)})`, { topic }), { topic, ts: now }, "uplink_invalid");
      }
      const uplink = parseUplink(json, config.network);
      if (typeof uplink === "string") return emitError(ctx, new AiotError("LORAWAN_UPLINK_INVALID", `${topic}: ${uplink}`, { topic }), { topic, ts: now }, "uplink_invalid");
      const ts = uplink.receivedAt ?? now;
      let payload: Record<string, unknown>;
      try {
        payload = decode(uplink);
      } catch (error) {
        const coded = error instanceof AiotError ? error : new AiotError("LORAWAN_DECODE_FAILED", errorMessage(error));
        return emitError(ctx, new AiotError(coded.code, `${uplink.device}: ${coded.message}`, { topic }), { topic, key: uplink.device, ts }, "decode_failed");
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

    const gate = () => (saturated ? ctx.writable().then(() => void (saturated = false)) : undefined);
    return {
      start() {
        stopped = false;
        removeListener = lease.onConnected((client) => {
          unsubscribe?.();
          unsubscribe = subscribe(client, filter, config.qos as 0 | 1 | 2, onMessage, gate, (error) => ctx.status({ state: "error", text: error.message }));
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
