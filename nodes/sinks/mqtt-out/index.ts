import { AiotError, Config, defineNode, errorMessage, isRecord, Type, type Message } from "../../../runtime/sdk/index.ts";
import { CONNECTIONS, ConnectionRef } from "../../../runtime/sdk/connections.ts";
import { MQTT_BROKER, type MqttClient } from "../../../runtime/sdk/mqtt.ts";
import { dropReporter, OUTBOXES } from "../../../runtime/sdk/outbox.ts";
import { compileTemplate, placeholders } from "../../lib/mqtt/topic-template.ts";
import { qos0WriterFor } from "./qos0-writer.ts";
import { DedupeWindow, messageId, type DedupeConfig } from "./dedupe.ts";
import { HandOffs } from "./hand-offs.ts";

interface Outgoing {
  readonly topic: string;
  readonly body: string;
}

/** Records sent per round; QoS 1/2 wait for every acknowledgement of a round before the next. */
const WINDOW = 512;

/**
 * A topic template placeholder's value: `key` and `topic` first, then mqtt-in's `meta.fields`, then the
 * payload's scalar fields. Looked up per name, not tabulated per message (the hot path of a bridge).
 */
function templateValue(msg: Message, name: string): string | undefined {
  if (name === "key") return msg.key;
  if (name === "topic") return msg.topic;
  const fields = msg.meta?.["fields"];
  if (isRecord(fields) && Object.hasOwn(fields, name)) return String(fields[name]);
  const payload = msg.payload;
  if (isRecord(payload) && Object.hasOwn(payload, name)) {
    const value = payload[name];
    return typeof value === "object" ? undefined : String(value);
  }
  return undefined;
}

export default defineNode({
  type: "mqtt-out",
  version: 1,
  family: "sinks",
  title: "MQTT out",
  summary: "Publishes messages to an MQTT broker (QoS, retain, topic template) through a bounded store-and-forward buffer on disk.",
  docs: `Publishes on a shared \`mqtt-broker\` connection. The topic is a template filled from the message:
\`{key}\`, \`{topic}\`, \`meta.fields\` from mqtt-in (\`{site}\`) and the payload's scalar fields (\`{state}\`).

Payload: \`json\` (the payload, or \`payload[field]\`, as JSON), \`number\` (must be a finite number) or \`text\`.

**MQTT 5 user properties**: \`userProperties\` (\`{ "origin": "gateway-7" }\`) go with every message on an MQTT 5
connection (an MQTT 3.1.1 connection has no properties and sends none).

**Store-and-forward**: at QoS 1/2 every message (at QoS 0 only those sent while the broker is away or a backlog
drains) goes through a buffer in the data directory (\`outbox/<flow>/<node>.log\`)
and is removed only once the broker took it (at QoS 1/2, once acknowledged). While the broker is away the buffer
fills; past \`buffer.maxMessages\`/\`maxBytes\` the oldest are dropped (BUFFER_OVERFLOW), past \`maxAgeMs\` they expire
(BUFFER_EXPIRED), both counted. After reconnect it drains in order. At QoS 1 nothing within the limits is lost
(a message whose acknowledgement was cut off is sent again: at least once).

**Hand-off**: at QoS 1/2 a message that came from mqtt-in at QoS 1 is acknowledged to its broker only once it is
safe here: written to the disk buffer (with a data directory), else acknowledged by this node's broker. So
mqtt-in -> ... -> mqtt-out is at least once end to end, across a crash of aiotflow or of either broker.

**Dedupe**: at least once means duplicates after a crash or a reconnect. \`dedupe\` drops a message whose id
(\`payload[field]\` or \`meta[field]\`, a string or a number) was among the last \`window\` ids (counted as
\`duplicates_dropped\`; a message without the id is published). The ids are kept in the data directory, so a restart
remembers them.`,
  config: Config({
    connection: ConnectionRef("mqtt-broker", "The broker: a connection id under the flow's `connections`."),
    topic: Type.String({ minLength: 1, default: "{topic}", description: "Topic template, e.g. `plant/{site}/alarms/{key}`; `{topic}` reuses the incoming topic." }),
    qos: Type.Enum([0, 1, 2], { default: 1, description: "Publish QoS: 0 at most once, 1 at least once, 2 exactly once." }),
    retain: Type.Boolean({ default: false, description: "Ask the broker to keep the last message for new subscribers." }),
    userProperties: Type.Optional(Type.Record(Type.String(), Type.String(), {
      description: "MQTT 5 user properties sent with every message, e.g. `{ \"origin\": \"gateway-7\" }` (ignored on an MQTT 3.1.1 connection).",
    })),
    format: Type.Enum(["json", "number", "text"], { default: "json", description: "How the payload is written." }),
    field: Type.Optional(Type.String({ minLength: 1, description: "Publish only `payload[field]`." })),
    buffer: Type.Object({
      maxMessages: Type.Integer({ minimum: 1, default: 100_000, description: "Most messages kept while the broker is away." }),
      maxBytes: Type.Integer({ minimum: 1024, default: 64 * 1024 * 1024, unit: "bytes", description: "Most bytes kept." }),
      maxAgeMs: Type.Integer({ minimum: 0, default: 86_400_000, unit: "ms", description: "Older messages are dropped unsent; 0 keeps them." }),
    }, { additionalProperties: false, default: {}, description: "Store-and-forward limits." }),
    dedupe: Type.Optional(Type.Object({
      from: Type.Enum(["payload", "meta"], { default: "payload", description: "Where the message id is." }),
      field: Type.String({ minLength: 1, description: "The field holding a unique message id or sequence number, e.g. `seq`." }),
      window: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 10_000, description: "How many recent ids are remembered." }),
    }, { additionalProperties: false, description: "Drop duplicates by a message id (at-least-once delivery resends after a crash or reconnect)." })),
  }),
  inputs: { in: { kind: "any", description: "Messages to publish." } },
  outputs: {},
  examples: [
    { title: "Forward readings", config: { connection: "plant-broker", topic: "aiotflow/{topic}", qos: 1 } },
    { title: "Alarm state per pump, retained", config: { connection: "plant-broker", topic: "plant/{site}/alarms/{key}", retain: true, qos: 1 } },
    { title: "MQTT 5 user properties", config: { connection: "plant-broker", topic: "aiotflow/{topic}", qos: 1, userProperties: { origin: "gateway-7", schema: "reading/v1" } } },
    { title: "One value as a number", config: { connection: "plant-broker", topic: "pumps/{key}/vibration", format: "number", field: "vibration", qos: 0 } },
    { title: "Bridge without duplicates", config: { connection: "plant-broker", topic: "aiotflow/{topic}", qos: 1, dedupe: { field: "seq", window: 10_000 } } },
  ],
  check(config) {
    return placeholders(config.topic).length === 0 && /[+#]/.test(config.topic)
      ? [{ path: "topic", message: "a topic to publish to may not contain + or # [MQTT_TOPIC_TEMPLATE_INVALID]" }]
      : [];
  },
  create(config, ctx) {
    const lease = ctx.use(CONNECTIONS).acquire(MQTT_BROKER, config.connection, ctx);
    const outbox = ctx.use(OUTBOXES).open<Outgoing>(ctx, config.buffer);
    const publishOptions = { qos: config.qos, retain: config.retain, ...(config.userProperties ? { properties: { userProperties: config.userProperties } } : {}) };
    // The QoS 0 shortcut writes packets without properties: with user properties QoS 0 goes the buffered way.
    const qos0Shortcut = config.qos === 0 && config.userProperties === undefined;
    const fixedTopic = placeholders(config.topic).length === 0 ? config.topic : undefined;
    const topicTemplate = compileTemplate(config.topic);
    let pumping = false;
    /**
     * Ends the wait of the round in flight; the link dropping calls it. One callback per round, dropped
     * with the round: a promise that lived as long as the link would keep every round's results.
     */
    let endRound: (() => void) | undefined;
    let scheduled = false;
    let removeListener: (() => void) | undefined;

    function encode(msg: Message): string {
      const value = config.field === undefined ? msg.payload : isRecord(msg.payload) ? msg.payload[config.field] : undefined;
      if (value === undefined) throw new AiotError("MESSAGE_SHAPE_INVALID", `the payload has no field "${config.field}"`);
      if (config.format === "number") {
        if (typeof value !== "number" || !Number.isFinite(value)) throw new AiotError("MESSAGE_SHAPE_INVALID", `expected a number to publish, got ${JSON.stringify(value)}`);
        return String(value);
      }
      return config.format === "text" && typeof value === "string" ? value : config.format === "text" ? String(value) : JSON.stringify(value);
    }

    function publish(client: MqttClient, item: Outgoing): Promise<void> {
      return new Promise((resolve, reject) => client.publish(item.topic, item.body, publishOptions, (error) => (error ? reject(error) : resolve())));
    }

    const handOffs = config.qos > 0 ? new HandOffs(outbox, () => ctx.metrics.count("acknowledged_before_handoff")) : undefined;
    const dedupe = config.dedupe && dedupeWindow(config.dedupe);
    /** The ids of the last messages published, in a log of their own beside the buffer (`<node>#dedupe`). */
    function dedupeWindow(dedupeConfig: DedupeConfig) {
      const log = ctx.use(OUTBOXES).open<string>({ flowId: ctx.flowId, nodeId: `${ctx.nodeId}#dedupe`, clock: ctx.clock }, { maxMessages: dedupeConfig.window + 1, maxAgeMs: 0 });
      const window = new DedupeWindow(log, dedupeConfig.window);
      return {
        /** False for a message whose id was published lately; a message without the id always goes. */
        admit(msg: Message): boolean {
          const id = messageId(msg, dedupeConfig);
          return id === undefined || window.admit(id);
        },
        close: () => window.close(),
      };
    }
    const reportDrops = dropReporter(outbox, ctx);
    /** Reports what the buffer dropped from its head; their hand-offs are over (the messages are gone). */
    const countDrops = () => handOffs?.left(reportDrops());

    /** Sends what the buffer holds, a window at a time, while the broker is connected. */
    async function pump(): Promise<void> {
      if (pumping) return;
      pumping = true;
      try {
        for (let client = lease.client; client && outbox.length > 0; client = lease.client) {
          const batch = outbox.peek(WINDOW);
          countDrops();
          if (batch.length === 0) break;
          // A link that drops leaves acknowledgements pending for ever: stop waiting when it goes, keep
          // what was acknowledged in order, and send the rest again on the next client.
          // Per message: true once acknowledged, the broker's reason when refused, false while pending.
          const done: Array<boolean | string> = batch.map(() => false);
          await new Promise<void>((resolve) => {
            endRound = resolve;
            void Promise.all(batch.map((item, i) => publish(client!, item).then(() => void (done[i] = true), (error: unknown) => void (done[i] = errorMessage(error))))).then(() => resolve());
          });
          endRound = undefined;
          let delivered = done.findIndex((d) => d !== true);
          if (delivered === -1) delivered = batch.length;
          outbox.ack(delivered);
          handOffs?.left(delivered);
          ctx.metrics.count("published", delivered);
          if (delivered < batch.length) {
            const failure = done[delivered];
            ctx.log.warn(`publish not acknowledged, kept for after reconnect: ${typeof failure === "string" ? failure : "connection lost"}`, { code: "MQTT_PUBLISH_FAILED" });
            break;
          }
        }
      } finally {
        pumping = false;
        countDrops();
      }
    }

    function kick(): void {
      if (scheduled) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        void pump().then(() => {
          if (lease.client && outbox.length > 0) kick();
        });
      });
    }

    const removeStateListener = lease.onState((state) => {
      if (state.state === "connected") return;
      endRound?.();
    });
    removeListener = lease.onConnected(() => kick());
    return {
      onMessage(msg) {
        const body = encode(msg);
        let topic = fixedTopic;
        if (topic === undefined) {
          const filled = topicTemplate((name) => templateValue(msg, name));
          if (filled.missing) throw new AiotError("MESSAGE_SHAPE_INVALID", `the topic template needs ${filled.missing.map((n) => `{${n}}`).join(", ")}, which this message lacks`);
          topic = filled.text;
        }
        if (dedupe && !dedupe.admit(msg)) return void ctx.metrics.count("duplicates_dropped");
        // QoS 0 promises nothing once sent, so with the link up and no backlog it skips the disk buffer.
        const client = lease.client;
        if (qos0Shortcut && client && outbox.length === 0 && !pumping && qos0WriterFor(client).publish(topic, body, config.retain)) {
          ctx.metrics.count("published");
          return;
        }
        outbox.push({ topic, body });
        handOffs?.pushed(msg);
        countDrops();
        if (client) kick();
      },
      async close() {
        removeListener?.();
        removeStateListener();
        await pump().catch(() => undefined); // a last attempt while still connected
        outbox.close();
        handOffs?.close();
        dedupe?.close();
        await lease.release();
      },
    };
  },
});
