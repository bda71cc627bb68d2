import { readFileSync } from "node:fs";
import type { IClientOptions, MqttClient } from "mqtt";
import { ConnectionFailure, defineConnection, type ConnectionContext } from "../../sdk/connections.ts";
import { Config, Secret, Type, type Static } from "../../sdk/schema.ts";
import { errorMessage } from "../../sdk/errors.ts";

/** A PEM from a file or the secret store; the titles label the two choices in the editor's form. */
const Pem = (what: string, exampleFile: string) =>
  Type.Union([
    Type.Object({ file: Type.String({ minLength: 1, description: `Path of the PEM ${what} file.` }) }, { additionalProperties: false, title: "File" }),
    { ...Secret(`The PEM ${what} in the secret store.`), title: "Secret store" },
  ], { description: `The ${what}: { "file": "${exampleFile}" } or { "$secret": "name" }.` });

const MqttBrokerConfig = Config({
  url: Type.String({ pattern: "^(mqtts?|wss?)://", default: "mqtt://127.0.0.1:1883", description: "Broker URL: mqtt://host:1883, mqtts://host:8883 (TLS), ws:// or wss://." }),
  protocol: Type.Enum(["3.1.1", "5"], { default: "3.1.1", description: "MQTT protocol version. 5 needs a broker that speaks it (Mosquitto, EMQX, HiveMQ); the embedded broker speaks 3.1.1." }),
  clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: "Client identifier; default aiotflow-<flow>-<connection>, plus a random suffix with a clean session. Give each replica of a flow its own (two clients with one id push each other off the broker)." })),
  username: Type.Optional(Type.String({ minLength: 1, description: "User name sent to the broker." })),
  password: Type.Optional(Secret("Password, from the secret store.")),
  keepaliveS: Type.Integer({ minimum: 0, maximum: 65_535, default: 30, unit: "s", description: "Keepalive interval; 0 disables it." }),
  cleanSession: Type.Boolean({ default: true, description: "Start a fresh session on every connect. false: a persistent session under a stable client id, so the broker keeps the subscriptions and queues QoS 1/2 messages while aiotflow is away (a restart, a crash): what QoS 1 at least once across restarts needs." }),
  sessionExpiryS: Type.Integer({ minimum: 0, maximum: 4_294_967_295, default: 86_400, unit: "s", advanced: true, description: "MQTT 5 with cleanSession false: how long the broker keeps the session after a disconnect (an MQTT 5 session without it ends with the connection). MQTT 3.1.1 sessions never expire." }),
  connectTimeoutMs: Type.Integer({ minimum: 100, default: 10_000, unit: "ms", description: "How long one connect attempt may take." }),
  tls: Type.Optional(Type.Object({
    ca: Type.Optional(Pem("CA certificate", "/etc/aiotflow/ca.pem")),
    cert: Type.Optional(Pem("client certificate", "/etc/aiotflow/gateway.crt")),
    key: Type.Optional(Pem("client private key", "/etc/aiotflow/gateway.key")),
    rejectUnauthorized: Type.Boolean({ default: true, description: "Refuse a server certificate the CA does not vouch for (turn off only for tests)." }),
    servername: Type.Optional(Type.String({ description: "Server name to verify (SNI), when it differs from the URL's host." })),
  }, { additionalProperties: false, description: "TLS settings for mqtts:// and wss:// (CA, client certificate and key)." })),
});

type MqttBrokerConfig = Static<typeof MqttBrokerConfig>;
type PemSource = { file: string } | { $secret: string };

function pem(source: PemSource | undefined, field: string, ctx: ConnectionContext): string | undefined {
  if (!source) return undefined;
  if ("$secret" in source) return ctx.secret(source);
  try {
    return readFileSync(source.file, "utf8");
  } catch (error) {
    throw new ConnectionFailure("CONNECTION_FILE_UNREADABLE", `tls.${field}: cannot read ${source.file}: ${errorMessage(error)}`, true);
  }
}

/** OpenSSL's wording for the client-certificate failures of mutual TLS, and what each means for a user. */
const CLIENT_CERTIFICATE_PROBLEMS: ReadonlyArray<readonly [RegExp, string]> = [
  [/alert certificate required|alert handshake failure.*certificate|peer did not return a certificate/i, "the broker requires a client certificate: set tls.cert and tls.key"],
  [/alert unknown ca|alert bad certificate|alert certificate unknown/i, "the broker refused the client certificate (tls.cert): it is not signed by a CA the broker trusts"],
  [/alert certificate expired/i, "the broker refused the client certificate (tls.cert): it has expired"],
  [/key values mismatch/i, "tls.key is not the private key of the client certificate tls.cert"],
];

/** mqtt.js errors as coded failures; credentials and certificates do not fix themselves (permanent). */
export function classifyMqttError(error: unknown): ConnectionFailure {
  const err = error as { code?: unknown; message?: string };
  const raw = errorMessage(error);
  for (const [pattern, meaning] of CLIENT_CERTIFICATE_PROBLEMS) {
    const match = pattern.exec(raw);
    if (match) return new ConnectionFailure("CONNECTION_TLS_FAILED", `${meaning} (TLS: ${match[0]})`, true);
  }
  const message = raw;
  const code = err.code;
  if (code === 4 || code === 5 || code === 134 || code === 135 || code === 140) return new ConnectionFailure("CONNECTION_AUTH_FAILED", message, true);
  if (code === "ECONNREFUSED") return new ConnectionFailure("CONNECTION_REFUSED", message);
  if (typeof code === "string" && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO|ERR_OSSL|HOSTNAME/i.test(code)) {
    return new ConnectionFailure("CONNECTION_TLS_FAILED", message, true);
  }
  if (/certificate|ssl|tls|PEM|asn1/i.test(message)) return new ConnectionFailure("CONNECTION_TLS_FAILED", message, true);
  if (/timeout|timed out/i.test(message)) return new ConnectionFailure("CONNECTION_TIMEOUT", message);
  return new ConnectionFailure("CONNECTION_FAILED", message);
}

/**
 * `aiotflow-<flow>-<connection>`: a persistent session is found again only under the same id, so it
 * must not change between runs; a clean session gets a random suffix, so two runtimes never collide.
 */
export function defaultClientId(connectionId: string, cleanSession: boolean): string {
  const stable = `aiotflow-${connectionId.replace(/[^A-Za-z0-9_-]/g, "-")}`;
  return cleanSession ? `${stable}-${Math.random().toString(16).slice(2, 8)}` : stable;
}

/**
 * A resumed session's queued messages come right behind the CONNACK, before the runtime has handed
 * the client to its nodes: a QoS 1/2 message read then would be acknowledged with nobody listening,
 * and lost. So QoS 1/2 deliveries wait until `release` (mqtt.js reads no further packet meanwhile).
 */
function holdDeliveries(client: MqttClient): () => void {
  const { options } = client;
  const deliver = options.customHandleAcks; // mqtt.js sets one (acknowledge) when given none
  if (!deliver) return () => undefined;
  const held: Array<() => void> = [];
  options.customHandleAcks = (topic, message, packet, done) => void held.push(() => deliver(topic, message, packet, done));
  return () => {
    options.customHandleAcks = deliver;
    for (const go of held.splice(0)) go();
  };
}

function clientOptions(config: MqttBrokerConfig, ctx: ConnectionContext): IClientOptions {
  const tls = config.tls;
  const ca = pem(tls?.ca, "ca", ctx);
  const cert = pem(tls?.cert, "cert", ctx);
  const key = pem(tls?.key, "key", ctx);
  return {
    protocolVersion: config.protocol === "5" ? 5 : 4,
    clientId: config.clientId ?? defaultClientId(ctx.id, config.cleanSession),
    keepalive: config.keepaliveS,
    clean: config.cleanSession,
    ...(config.protocol === "5" && !config.cleanSession ? { properties: { sessionExpiryInterval: config.sessionExpiryS } } : {}),
    connectTimeout: config.connectTimeoutMs,
    reconnectPeriod: 0, // the supervisor reconnects, with backoff, and tells every node
    // mqtt.js traces every packet through `debug` even when tracing is off: a measurable share per message.
    log: () => undefined,
    ...(config.username !== undefined ? { username: config.username } : {}),
    ...(config.password ? { password: ctx.secret(config.password) } : {}),
    ...(ca !== undefined ? { ca } : {}),
    ...(cert !== undefined ? { cert } : {}),
    ...(key !== undefined ? { key } : {}),
    ...(tls ? { rejectUnauthorized: tls.rejectUnauthorized } : {}),
    ...(tls?.servername ? { servername: tls.servername } : {}),
  };
}

async function connectOnce(config: MqttBrokerConfig, ctx: ConnectionContext): Promise<{ client: MqttClient; release: () => void }> {
  const options = clientOptions(config, ctx);
  // mqtt.js (~20 MiB) loads when a flow first connects to a broker, not with every runtime.
  const { default: mqtt } = await import("mqtt");
  return new Promise((resolve, reject) => {
    let client: MqttClient;
    let release: () => void;
    try {
      client = mqtt.connect(config.url, options);
      release = holdDeliveries(client);
    } catch (error) {
      return reject(classifyMqttError(error));
    }
    const fail = (error: unknown) => {
      cleanup();
      client.end(true);
      reject(classifyMqttError(error));
    };
    const closed = () => fail(new ConnectionFailure("CONNECTION_LOST", `the broker at ${config.url} closed the connection before accepting it`));
    const connected = () => {
      cleanup();
      // Small publishes must not wait for Nagle's algorithm (tens of ms behind a delayed ACK).
      const socket = client.stream as { setNoDelay?: (on: boolean) => void } | undefined;
      socket?.setNoDelay?.(true);
      resolve({ client, release });
    };
    const cleanup = () => {
      client.off("connect", connected);
      client.off("error", fail);
      client.off("close", closed);
    };
    client.on("connect", connected);
    client.on("error", fail);
    client.on("close", closed);
  });
}

export default defineConnection({
  type: "mqtt-broker",
  title: "MQTT broker",
  summary: "A connection to an MQTT 3.1.1 or 5 broker, shared by mqtt-in, mqtt-out and lorawan-in nodes; TLS, credentials from the secret store.",
  docs: `Opens one MQTT client per connection and shares it between nodes. The runtime reconnects with
exponential backoff and jitter; nodes re-subscribe on each reconnect. A refused login (bad user name or
password, not authorised) or a TLS problem is reported as failed and retried only at the slowest pace.`,
  config: MqttBrokerConfig,
  examples: [
    { title: "The embedded broker of aiotflow serve", config: { url: "mqtt://127.0.0.1:1883" } },
    { title: "Plant broker, MQTT 5, with a login", config: { url: "mqtt://broker.plant.local:1883", protocol: "5", username: "gateway-7", password: { $secret: "plant-broker-password" } } },
    { title: "Mutual TLS", config: { url: "mqtts://broker.plant.local:8883", tls: { ca: { file: "/etc/aiotflow/ca.pem" }, cert: { file: "/etc/aiotflow/gw.crt" }, key: { $secret: "gateway-key" } } } },
  ],
  async open(config, ctx) {
    const { client, release } = await connectOnce(config, ctx);
    // The link hands the client to its nodes as soon as this resolves (all in promise jobs): they
    // have subscribed again and listen by the next turn of the event loop.
    setImmediate(release);
    client.on("error", (error) => ctx.lost(classifyMqttError(error).message, classifyMqttError(error).code));
    client.on("close", () => ctx.lost(`connection to ${config.url} closed`, "CONNECTION_LOST"));
    client.on("disconnect", (packet) => ctx.lost(`the broker disconnected us (reason ${packet.reasonCode ?? "unknown"})`, "CONNECTION_LOST"));
    return {
      client,
      describe: `${config.url} (MQTT ${config.protocol})`,
      close: () => new Promise<void>((resolve) => {
        client.removeAllListeners("close");
        client.removeAllListeners("error");
        client.on("error", () => undefined);
        const timer = setTimeout(() => client.end(true, {}, () => resolve()), 2_000);
        client.end(false, {}, () => {
          clearTimeout(timer);
          resolve();
        });
      }),
    };
  },
});
