import {
  AiotError,
  Config,
  defineNode,
  errorMessage,
  isAiotError,
  isRecord,
  Type,
  type Message,
} from "../../../runtime/sdk/index.ts";
import { CONNECTIONS, ConnectionRef } from "../../../runtime/sdk/connections.ts";
import type { IPublishPacket } from "mqtt";
import { MQTT_BROKER } from "../../../runtime/sdk/mqtt.ts";
import { emitError } from "../../lib/sources/emit-error.ts";
import { subscribe } from "../../lib/mqtt/subscription.ts";
import type { Receipt } from "../../lib/mqtt/receipts.ts";
import { SafeAcks } from "../../lib/mqtt/safe-acks.ts";
import { ASSETS_DOCS, assetStamper, AssetsOption } from "../../lib/assets/asset-stamp.ts";
import { parseSparkplugTopic, SequenceWatch, SparkplugState } from "./sparkplug.ts";
import { compileTemplate, parseTopicTemplate, placeholders } from "../../lib/mqtt/topic-template.ts";

/** MQTT 5 user properties (a publisher's correlation id, line, shift) go along in `meta.mqtt`; 3.1.1 has none. */
function withUserProperties<M extends object>(meta: M, packet: IPublishPacket | undefined): M | (M & { mqtt: { userProperties: UserProperties } }) {
  const userProperties = packet?.properties?.userProperties;
  // mqtt-packet hands a null-prototype object; a plain copy serialises and compares like any other meta.
  return userProperties === undefined ? meta : { ...meta, mqtt: { userProperties: { ...userProperties } } };
}
type UserProperties = NonNullable<NonNullable<IPublishPacket["properties"]>["userProperties"]>;

/** Event time from a payload field: epoch ms, epoch seconds (below 10^11) or an ISO 8601 string. */
export function eventTime(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value < 1e11 ? value * 1000 : value;
  if (typeof value === "string") {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  return undefined;
}

export default defineNode({
  type: "mqtt-in",
  version: 1,
  family: "sources",
  title: "MQTT in",
  summary: "Subscribes to MQTT topics (wildcards, QoS 0/1/2) and turns JSON, number, text or Sparkplug B payloads into readings.",
  docs: `Subscribes on a shared \`mqtt-broker\` connection; the runtime reconnects and the node subscribes again.

**Topic templates**: \`plant/{site}/pump/{id}/{signal}\` subscribes to \`plant/+/pump/+/+\`; the placeholders
fill \`key\` (e.g. \`{id}\`), \`field\` (e.g. \`{signal}\`) and \`meta.fields\`. \`{rest#}\` as the last level matches the rest. A topic that does not fit the
template (an extra or missing level) is not delivered by the broker at all, so nothing arrives and nothing is counted.

**Formats**: \`json\` (an object, or any value when \`field\` wraps it), \`number\`, \`text\`, \`sparkplug\` (Sparkplug B
protobuf on \`spBv1.0/#\`: NBIRTH/DBIRTH aliases resolve NDATA/DDATA metrics; NDEATH/DDEATH send an \`offline\` event
on \`status\`, BIRTHs an \`online\` one; key = device, else edge node; 64-bit values become numbers). Each edge
node's \`seq\` is checked: a gap goes to \`error\` as SPARKPLUG_SEQ_GAP (edge node, expected and received seq); an
NDEATH whose bdSeq is not its NBIRTH's is a late will and ignored. With \`requestRebirth\` a gap, or DATA before its
BIRTH, sends the edge node an NCMD \`Node Control/Rebirth\`; without it the node only reports.

**MQTT 5**: user properties of a received message go to \`meta.mqtt.userProperties\` (\`{ name: value }\`, a
repeated name as an array). A shared subscription \`$share/<group>/<filter>\` lets the broker split messages between
the subscribers of a group, each message to one of them: give each subscriber its own connection (one client each).

**At least once (QoS 1)**: with \`acknowledge: when-safe\` (the default) a message's PUBACK goes back only once it
is safe: every mqtt-out it reached holds it in its disk buffer (or, without a data directory, its broker acknowledged
it); a message that reaches no mqtt-out is acknowledged once the flow has processed it. A message in the flow when
aiotflow crashes is then sent again by the broker. For that across restarts, give the connection a persistent session
(\`cleanSession: false\`): the broker keeps the subscription and queues while aiotflow is away, and on a live
connection a stopped node's messages wait unacknowledged for the node to be back. A resent message is a duplicate
downstream: mqtt-out's \`dedupe\` drops them by a message id. QoS 2 messages are acknowledged by the client as they come.

**Event time**: \`timeField\` of a JSON payload (epoch ms, epoch s, ISO 8601), the Sparkplug timestamp, else arrival time.

${ASSETS_DOCS}

**Bad input never stops the node**: a payload that does not parse or decode goes to the \`error\` port as
MQTT_PAYLOAD_INVALID / SPARKPLUG_DECODE_FAILED / SPARKPLUG_ALIAS_UNKNOWN and is counted. When the flow is saturated
the node stops reading the socket (the broker queues) until it can take more.`,
  config: Config({
    connection: ConnectionRef("mqtt-broker", "The broker: a connection id under the flow's `connections`."),
    topic: Type.String({ minLength: 1, default: "sensors/#", description: "Topic filter or template: `sensors/#`, `plant/{site}/pump/{id}/{signal}`, `$share/group/...`." }),
    qos: Type.Enum([0, 1, 2], { default: 0, description: "Subscription QoS: 0 at most once, 1 at least once, 2 exactly once." }),
    acknowledge: Type.Enum(["when-safe", "on-arrival"], {
      default: "when-safe",
      advanced: true,
      description: "When a QoS 1 message is acknowledged to the broker. when-safe: once it is safe (in an mqtt-out's disk buffer or acknowledged by its broker, or processed by the flow), so a crash loses nothing; on-arrival: at once (what the flow holds at a crash is lost).",
    }),
    format: Type.Enum(["json", "number", "text", "sparkplug"], { default: "json", description: "How payloads are read." }),
    key: Type.Optional(Type.String({ minLength: 1, description: "Message key from topic placeholders, e.g. `{id}` or `{site}-{id}`." })),
    field: Type.Optional(Type.String({ minLength: 1, description: "Wrap the value as `{ <field>: value }`; may use placeholders (`{signal}`). Needed for number and text." })),
    assets: AssetsOption,
    timeField: Type.Optional(Type.String({ minLength: 1, description: "JSON payload field with the event time (epoch ms, epoch s or ISO 8601); arrival time when absent." })),
    requestRebirth: Type.Boolean({ default: false, advanced: true, description: "Sparkplug: on a seq gap or DATA before BIRTH, publish NCMD Node Control/Rebirth to spBv1.0/<group>/NCMD/<node> (the broker must let this client publish there). Off: only report." }),
  }),
  inputs: {},
  outputs: {
    out: { kind: "reading", description: "One message per MQTT message (Sparkplug: per BIRTH/DATA, metric name -> value)." },
    status: { kind: "event", description: "Sparkplug devices and edge nodes going online (BIRTH) or offline (DEATH)." },
  },
  examples: [
    { title: "JSON readings", config: { connection: "plant-broker", topic: "sensors/{device}", key: "{device}" } },
    { title: "One value per topic", description: "`plant/a/pump/p1/temperature` with payload `61.5` becomes key p1, `{ temperature: 61.5 }`.",
      config: { connection: "plant-broker", topic: "plant/{site}/pump/{id}/{signal}", format: "number", key: "{id}", field: "{signal}" } },
    { title: "Sparkplug B", config: { connection: "plant-broker", topic: "spBv1.0/plant/#", format: "sparkplug", qos: 1 } },
    { title: "Event time from the payload", config: { connection: "plant-broker", topic: "sensors/+", timeField: "ts", qos: 1 } },
  ],
  check(config) {
    const problems: Array<{ path: string; message: string }> = [];
    let names: readonly string[] = [];
    try {
      names = parseTopicTemplate(config.topic).names;
    } catch (error) {
      problems.push({ path: "topic", message: `${errorMessage(error)} [MQTT_TOPIC_TEMPLATE_INVALID]` });
    }
    // A broker disconnects a client that subscribes to a malformed shared subscription, so refuse it at load time.
    if (config.topic.startsWith("$share/") && !/^\$share\/[^/+#]+\/[^/]/.test(config.topic)) {
      problems.push({ path: "topic", message: "a shared subscription is $share/<group>/<filter>, with a group name without / + # and a filter [MQTT_TOPIC_TEMPLATE_INVALID]" });
    }
    for (const at of ["key", "field"] as const) {
      for (const name of placeholders(config[at] ?? "")) {
        if (!names.includes(name)) problems.push({ path: at, message: `{${name}} is not a placeholder of the topic (${names.map((n) => `{${n}}`).join(", ") || "none"})` });
      }
    }
    if ((config.format === "number" || config.format === "text") && !config.field) problems.push({ path: "field", message: `is required for format "${config.format}" (the name of the value)` });
    if (config.format === "sparkplug" && config.field) problems.push({ path: "field", message: "does not apply to Sparkplug (metric names are the fields)" });
    return problems;
  },
  create(config, ctx) {
    const template = parseTopicTemplate(config.topic);
    const lease = ctx.use(CONNECTIONS).acquire(MQTT_BROKER, config.connection, ctx);
    const sparkplug = new SparkplugState();
    const sequence = new SequenceWatch(ctx, config.requestRebirth ? () => lease.client : undefined);
    const plainMeta = Object.freeze({ source: ctx.nodeId });
    const fixedField = config.field !== undefined && placeholders(config.field).length === 0 ? config.field : undefined;
    const fieldTemplate = config.field !== undefined ? compileTemplate(config.field) : undefined;
    const keyTemplate = config.key !== undefined ? compileTemplate(config.key) : undefined;
    const safeAcks = config.acknowledge === "when-safe" && config.qos > 0 ? new SafeAcks(() => ctx.writable()) : undefined;
    /** The receipt of the QoS 1 message being handled, attached to what it becomes. */
    let receipt: Receipt | undefined;
    let saturated = false;
    let stopped = true;
    let unsubscribe: (() => void) | undefined;
    let removeListener: (() => void) | undefined;

    const stamp = assetStamper(ctx, config.assets);
    const send = (msg: Message) => {
      const out = stamp ? stamp(msg) : msg;
      safeAcks?.attach(out.meta, receipt);
      if (!ctx.emit("out", out)) saturated = true;
    };
    const gate = () => (saturated ? ctx.writable().then(() => void (saturated = false)) : undefined);
    const fail = (code: "MQTT_PAYLOAD_INVALID" | "SPARKPLUG_DECODE_FAILED", message: string, topic: string, now: number) =>
      emitError(ctx, new AiotError(code, `${topic}: ${message}`, { topic }), { topic, ts: now }, "payload_invalid");

    function onSparkplug(topic: string, bytes: Buffer, now: number): void {
      const where = parseSparkplugTopic(topic);
      if (!where) return fail("SPARKPLUG_DECODE_FAILED", "not a Sparkplug B topic (spBv1.0/<group>/<type>/<node>[/<device>])", topic, now);
      if (where.type === "NCMD" || where.type === "DCMD" || where.type === "STATE") return;
      const key = where.device ?? where.node;
      const identity = { group: where.group, node: where.node, ...(where.device !== undefined ? { device: where.device } : {}) };
      if (where.type === "NDEATH" || where.type === "DDEATH") {
        if (!sequence.death(where, bytes, { topic, key, ts: now })) return;
        sparkplug.died(where);
        ctx.metrics.count("sparkplug_deaths");
        ctx.emit("status", { topic, key, ts: now, payload: { state: "offline", ...identity }, meta: { source: ctx.nodeId, quality: "offline" } });
        return;
      }
      let reading;
      try {
        reading = sparkplug.decode(where, bytes);
      } catch (error) {
        ctx.metrics.count("payload_invalid");
        return emitError(ctx, error instanceof AiotError ? error : new AiotError("SPARKPLUG_DECODE_FAILED", errorMessage(error)), { topic, key, ts: now }, "sparkplug_invalid");
      }
      const ts = reading.timestamp ?? now;
      sequence.observe(where, reading, { topic, key, ts });
      if (reading.unknownAliases.length > 0) {
        emitError(ctx, new AiotError("SPARKPLUG_ALIAS_UNKNOWN", `${where.type} from ${key} uses alias${reading.unknownAliases.length > 1 ? "es" : ""} ${reading.unknownAliases.join(", ")}, never born`, { topic, aliases: reading.unknownAliases }), { topic, key, ts }, "sparkplug_alias_unknown");
      }
      if (reading.skipped > 0) ctx.metrics.count("sparkplug_metrics_skipped", reading.skipped);
      const meta = { source: ctx.nodeId, sparkplug: { ...identity, type: where.type, ...(reading.seq !== undefined ? { seq: reading.seq } : {}) } };
      if (where.type === "NBIRTH" || where.type === "DBIRTH") ctx.emit("status", { topic, key, ts, payload: { state: "online", ...identity }, meta });
      if (Object.keys(reading.values).length > 0) send({ topic, key, ts, payload: reading.values, meta });
    }

    function onMessage(topic: string, bytes: Buffer, packet?: IPublishPacket): void {
      if (stopped) return;
      const now = ctx.clock.now();
      if (config.format === "sparkplug") return onSparkplug(topic, bytes, now);
      const fields = template.names.length > 0 ? template.match(topic) : undefined;
      let value: unknown;
      const text = bytes.toString("utf8");
      if (config.format === "json") {
        try {
          value = JSON.parse(text);
        } catch (error) {
          return fail("MQTT_PAYLOAD_INVALID", `not JSON (${errorMessage(error)}): ${JSON.stringify(text.slice(0, 60))}`, topic, now);
        }
        if (config.field === undefined && !isRecord(value)) return fail("MQTT_PAYLOAD_INVALID", `expected a JSON object, got ${Array.isArray(value) ? "an array" : typeof value}; set field to wrap other values`, topic, now);
      } else if (config.format === "number") {
        value = text.trim() === "" ? NaN : Number(text);
        if (!Number.isFinite(value)) return fail("MQTT_PAYLOAD_INVALID", `expected a number, got ${JSON.stringify(text.slice(0, 60))}`, topic, now);
      } else value = text;
      let ts = now;
      if (config.timeField !== undefined && isRecord(value)) {
        const at = eventTime(value[config.timeField]);
        if (at === undefined) ctx.metrics.count("time_missing");
        else ts = at;
      }
      const placeholder = (name: string) => fields?.[name];
      const payload = fieldTemplate === undefined ? value : { [fixedField ?? fieldTemplate(placeholder).text]: value };
      const key = keyTemplate === undefined ? undefined : keyTemplate(placeholder).text;
      // A receipt travels with its message's own meta object, so such a message gets a fresh one.
      const meta = withUserProperties(fields ? { source: ctx.nodeId, fields } : receipt ? { source: ctx.nodeId } : plainMeta, packet);
      send(key === undefined ? { topic, ts, payload, meta } : { topic, key, ts, payload, meta });
    }

    return {
      start() {
        stopped = false;
        removeListener = lease.onConnected((client) => {
          unsubscribe?.();
          const handle = (topic: string, bytes: Buffer, packet: IPublishPacket) => {
            receipt = safeAcks?.receive(client, packet);
            onMessage(topic, bytes, packet);
            receipt = undefined;
          };
          unsubscribe = subscribe(client, template.filter, config.qos, safeAcks ? handle : onMessage, gate, (error) => {
            ctx.log.error(`subscribing to ${template.filter}: ${error.message}`, { code: isAiotError(error) ? error.code : "CONNECTION_FAILED" });
            ctx.status({ state: "error", text: error.message });
          });
        });
      },
      stop() {
        stopped = true;
        removeListener?.();
        unsubscribe?.();
        unsubscribe = undefined;
        saturated = false;
      },
      close: () => lease.release(),
    };
  },
});
