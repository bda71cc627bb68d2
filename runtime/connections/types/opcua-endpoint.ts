import { resolve } from "node:path";
import type { ClientSession, OPCUAClient, UserIdentityInfo } from "node-opcua";
import { ConnectionFailure, defineConnection, type ConnectionContext } from "../../sdk/connections.ts";
import { errorMessage } from "../../sdk/errors.ts";
import type { OpcuaLink } from "../../sdk/opcua.ts";
import { Config, Secret, Type, type Static } from "../../sdk/schema.ts";

const OpcuaEndpointConfig = Config({
  endpointUrl: Type.String({ pattern: "^opc\\.tcp://", description: "Server endpoint, e.g. opc.tcp://plc-7.plant.local:4840." }),
  security: Type.Union([
    Type.Object({ policy: Type.Literal("None", { description: "No signing, no encryption (trusted networks and tests only)." }) }, { additionalProperties: false, description: "Security policy None." }),
    Type.Object({
      policy: Type.Literal("Basic256Sha256", { description: "Signed (and optionally encrypted) messages with the client and server certificates." }),
      mode: Type.Enum(["Sign", "SignAndEncrypt"], { default: "SignAndEncrypt", description: "Sign only, or sign and encrypt." }),
    }, { additionalProperties: false, description: "Security policy Basic256Sha256." }),
  ], { default: { policy: "None" }, description: "Message security: { policy: None } or { policy: Basic256Sha256, mode: Sign | SignAndEncrypt }." }),
  auth: Type.Union([
    Type.Object({ type: Type.Literal("anonymous", { description: "No user identity." }) }, { additionalProperties: false, description: "Anonymous login." }),
    Type.Object({
      type: Type.Literal("username", { description: "User name and password." }),
      username: Type.String({ minLength: 1, description: "User name." }),
      password: Secret("Password, from the secret store."),
    }, { additionalProperties: false, description: "User name and password login." }),
  ], { default: { type: "anonymous" }, description: "User identity: { type: anonymous } or { type: username, username, password: { $secret } }." }),
  pkiDir: Type.String({ minLength: 1, default: "data/opcua-pki", description: "Folder of aiotflow's OPC UA certificate (own/), trusted and rejected server certificates; relative to the working directory (the default is in the default data dir)." }),
  trustServerCertificate: Type.Boolean({ default: false, description: "Accept a server certificate not yet in <pkiDir>/trusted (and keep it there): trust on first use. Off: only trusted servers." }),
  connectTimeoutMs: Type.Integer({ minimum: 100, default: 10_000, unit: "ms", description: "How long connecting and opening the session may take." }),
  sessionTimeoutMs: Type.Integer({ minimum: 1_000, default: 60_000, unit: "ms", description: "Session timeout requested from the server." }),
});

type OpcuaEndpointConfig = Static<typeof OpcuaEndpointConfig>;

/** node-opcua failures as coded ones; a refused identity or certificate does not fix itself (permanent). */
export function classifyOpcuaError(error: unknown, config: OpcuaEndpointConfig): ConnectionFailure {
  if (error instanceof ConnectionFailure) return error;
  const message = errorMessage(error);
  const where = config.endpointUrl;
  if (/BadUserAccessDenied|BadIdentityToken|BadUserSignatureInvalid/i.test(message)) {
    return new ConnectionFailure("CONNECTION_AUTH_FAILED", `${where} refused the user identity: ${message}`, true);
  }
  if (/certificate|BadSecurityChecksFailed|BadCertificate|BadSecurityPolicyRejected|BadNonceInvalid/i.test(message)) {
    return new ConnectionFailure("OPCUA_CERTIFICATE_REJECTED", `${where}: ${message}`, true);
  }
  if (/ECONNREFUSED/.test(message)) return new ConnectionFailure("CONNECTION_REFUSED", `nothing accepts connections at ${where}`);
  if (/timeout|timed out/i.test(message)) return new ConnectionFailure("CONNECTION_TIMEOUT", `${where}: ${message}`);
  return new ConnectionFailure("CONNECTION_FAILED", `${where}: ${message}`);
}

type NodeOpcua = typeof import("node-opcua");

function identity({ UserTokenType }: NodeOpcua, config: OpcuaEndpointConfig, ctx: ConnectionContext): UserIdentityInfo {
  if (config.auth.type === "anonymous") return { type: UserTokenType.Anonymous };
  return { type: UserTokenType.UserName, userName: config.auth.username, password: ctx.secret(config.auth.password) };
}

async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ConnectionFailure("CONNECTION_TIMEOUT", `${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Ends a session and a client, never hanging on a server that is gone. */
async function shutdown(client: OPCUAClient, session: ClientSession | undefined): Promise<void> {
  await withTimeout(session?.close(false) ?? Promise.resolve(), 2_000, "closing the session").catch(() => undefined);
  await withTimeout(client.disconnect(), 2_000, "disconnecting").catch(() => undefined);
}

async function connect(config: OpcuaEndpointConfig, ctx: ConnectionContext): Promise<OpcuaLink> {
  // Loaded on first use: importing node-opcua takes a second or more and prints a crypto warning.
  const opcua = await import("node-opcua");
  const { MessageSecurityMode, OPCUACertificateManager, OPCUAClient, SecurityPolicy } = opcua;
  const secure = config.security.policy === "Basic256Sha256";
  const certificateManager = new OPCUACertificateManager({ rootFolder: resolve(config.pkiDir), automaticallyAcceptUnknownCertificate: config.trustServerCertificate });
  const client = OPCUAClient.create({
    applicationName: "aiotflow",
    clientName: `aiotflow-${ctx.id}`,
    clientCertificateManager: certificateManager,
    securityPolicy: secure ? SecurityPolicy.Basic256Sha256 : SecurityPolicy.None,
    securityMode: config.security.policy === "Basic256Sha256" ? MessageSecurityMode[config.security.mode] : MessageSecurityMode.None,
    endpointMustExist: false,
    keepSessionAlive: true,
    requestedSessionTimeout: config.sessionTimeoutMs,
    // One attempt: the supervisor owns reconnecting (with backoff, and status shown to every node).
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
  });
  let session: ClientSession | undefined;
  try {
    await withTimeout(client.connect(config.endpointUrl), config.connectTimeoutMs, `connecting to ${config.endpointUrl}`);
    session = await withTimeout(client.createSession(identity(opcua, config, ctx)), config.connectTimeoutMs, "opening the session");
    return { client, session, endpointUrl: config.endpointUrl };
  } catch (error) {
    await shutdown(client, session);
    throw classifyOpcuaError(error, config);
  }
}

export default defineConnection({
  type: "opcua-endpoint",
  title: "OPC UA endpoint",
  summary: "A session on an OPC UA server (node-opcua client), shared by opcua-in and opcua-write nodes; security None or Basic256Sha256, anonymous or user/password.",
  docs: `Opens one client and session per connection and shares it between nodes. The runtime reconnects
with exponential backoff and jitter; opcua-in nodes subscribe again on each reconnect.

Certificates: aiotflow's application certificate is created on first use in \`<pkiDir>/own\`. With
Basic256Sha256 the server must trust it (copy \`<pkiDir>/own/certs/*.pem\` into the server's trusted
folder), and aiotflow must trust the server: put its certificate into \`<pkiDir>/trusted/certs\`, or set
\`trustServerCertificate\` to accept and keep it on the first connect. A refused certificate
(OPCUA_CERTIFICATE_REJECTED) or identity (CONNECTION_AUTH_FAILED) is reported as failed and retried only
at the slowest pace.`,
  config: OpcuaEndpointConfig,
  examples: [
    { title: "A PLC on a trusted network", config: { endpointUrl: "opc.tcp://plc-7.plant.local:4840" } },
    { title: "Signed and encrypted, with a login", config: {
      endpointUrl: "opc.tcp://scada.plant.local:4840/UA/Server",
      security: { policy: "Basic256Sha256", mode: "SignAndEncrypt" },
      auth: { type: "username", username: "aiotflow", password: { $secret: "scada-password" } },
    } },
  ],
  async open(config, ctx) {
    const link = await connect(config, ctx);
    const { client, session } = link;
    client.on("connection_lost", () => ctx.lost(`connection to ${config.endpointUrl} lost`, "CONNECTION_LOST"));
    client.on("close", () => ctx.lost(`connection to ${config.endpointUrl} closed`, "CONNECTION_LOST"));
    session.on("session_closed", () => ctx.lost("the server closed the session", "CONNECTION_LOST"));
    session.on("keepalive_failure", () => ctx.lost(`${config.endpointUrl} stopped answering keep-alives`, "CONNECTION_LOST"));
    const security = config.security.policy === "None" ? "None" : `Basic256Sha256/${config.security.mode}`;
    return {
      client: link,
      describe: `${config.endpointUrl} (${security}, ${config.auth.type})`,
      close: async () => {
        client.removeAllListeners("connection_lost");
        client.removeAllListeners("close");
        session.removeAllListeners("session_closed");
        session.removeAllListeners("keepalive_failure");
        await shutdown(client, session);
      },
    };
  },
});
