/**
 * Shared connections: a broker, an OPC UA endpoint, an HTTP endpoint, declared once in a flow under
 * `connections: { "plant-broker": { type: "mqtt-broker", config: {...} } }` and shared by every node
 * whose config names it (`connection: "plant-broker"`). The runtime owns the link: it opens it when
 * the first node asks, reconnects with exponential backoff and jitter, reports the state to every
 * node using it (connected / reconnecting with the reason / failed with the reason) and closes it
 * when the last node lets go, so a hot redeploy that keeps a connection's config keeps the link.
 *
 * How a connection type plugs in (e.g. `opcua-endpoint`):
 * 1. Declare its kind in a small sdk file of its own that nodes may import (see runtime/sdk/mqtt.ts):
 *    `export const OPCUA_ENDPOINT = connectionKind<OpcuaSession>("opcua-endpoint");`
 * 2. Implement it in `runtime/connections/types/<type>.ts` with one default export:
 *    `export default defineConnection({ type: "opcua-endpoint", title, summary, config: Config({...}),
 *      examples, async open(config, ctx) { ...; return { client, close } }, test?(config, ctx) })`.
 *    The file is discovered like nodes (no list to edit). `open` connects once and resolves when the
 *    link is usable, or throws (`ConnectionFailure` with `permanent: true` for a mistake retrying
 *    cannot fix: refused credentials, an unreadable certificate). Once open, call `ctx.lost(reason)`
 *    when the link breaks; do not reconnect yourself: the supervisor closes the client and calls
 *    `open` again after a backoff. Secret fields use `Secret(...)` from schema.ts and are read with
 *    `ctx.secret(config.password)`; file paths are the type's own business.
 * 3. A node declares the field with `ConnectionRef("opcua-endpoint", "...")` (the loader checks the
 *    reference: FLOW_UNKNOWN_CONNECTION, CONNECTION_TYPE_MISMATCH) and in `create` takes a lease:
 *    `const lease = ctx.use(CONNECTIONS).acquire(OPCUA_ENDPOINT, config.connection, ctx);`
 *    `lease.onConnected((session) => subscribe(session))` runs now if connected and after every
 *    reconnect; `lease.client` is the live client or undefined; `await lease.release()` in `close`.
 *    The node's status follows the connection's automatically.
 * "Test connection" (POST /api/connections/test) runs `test` (default: open, then close).
 */
import type { Static, TObject } from "typebox";
import type { Logger, NodeStatus } from "./define.ts";
import { Type } from "./schema.ts";
import { serviceKey } from "./services.ts";

/** A connection kind as nodes see it: its type name, typed by the client it hands out. */
export interface ConnectionKind<Client> {
  readonly type: string;
  /** Carries Client for inference only; never read. */
  readonly __client?: (client: Client) => Client;
}

export function connectionKind<Client>(type: string): ConnectionKind<Client> {
  return { type };
}

export type ConnectionStateName = "connecting" | "connected" | "reconnecting" | "failed" | "closed";

export interface ConnectionState {
  readonly state: ConnectionStateName;
  /** Why it is not connected (the last error), or where it is connected to. */
  readonly reason?: string;
  /** Code of the last failure (CONNECTION_REFUSED, CONNECTION_AUTH_FAILED, ...). */
  readonly code?: string;
}

/** What a node passes when it takes a lease: a NodeContext fits. */
export interface ConnectionUser {
  readonly flowId: string;
  readonly nodeId: string;
  status(status: NodeStatus): void;
}

/** One node's share of a connection. */
export interface ConnectionLease<Client> {
  readonly id: string;
  readonly state: ConnectionState;
  /** The live client while connected, else undefined. */
  readonly client: Client | undefined;
  /** Runs `fn` now if connected and after every (re)connect, with the new client; returns a remover. */
  onConnected(fn: (client: Client) => void): () => void;
  /** Every state change (connected, reconnecting, failed); returns a remover. */
  onState(fn: (state: ConnectionState) => void): () => void;
  /** Opens the link if nothing opened it yet (leases are lazy until a node starts using them). */
  open(): void;
  /** Lets go; the last lease closes the link. Safe to call twice. */
  release(): Promise<void>;
}

/** The service nodes reach with `ctx.use(CONNECTIONS)`. */
export interface Connections {
  /** A lease on the flow's connection `id`, which must be of `kind` (checked when the flow loads). */
  acquire<Client>(kind: ConnectionKind<Client>, id: string, user: ConnectionUser): ConnectionLease<Client>;
}

export const CONNECTIONS = serviceKey<Connections>("connections");

/**
 * A node config field naming one of the flow's connections. The flow loader checks that it exists
 * and is of `type` (FLOW_UNKNOWN_CONNECTION / CONNECTION_TYPE_MISMATCH at `nodes[i].config.<field>`).
 */
export function ConnectionRef(type: string, description: string) {
  return Type.String({ minLength: 1, description, connection: type });
}

/** What `open` gets: the connection's id, a logger, secrets, and the way to report a broken link. */
export interface ConnectionContext {
  /** `<flow id>/<connection id>`, for logs and client ids. */
  readonly id: string;
  readonly log: Logger;
  /** Resolves `{ "$secret": name }`; throws SECRET_MISSING. */
  secret(ref: { readonly $secret: string }): string;
  /** The link broke after `open` resolved; the supervisor reconnects. Later calls are ignored. */
  lost(reason: string, code?: string): void;
}

export interface OpenedConnection<Client> {
  readonly client: Client;
  /** Where it is connected (shown in the status), e.g. `mqtt://10.0.0.5:1883 (MQTT 5)`. */
  readonly describe?: string;
  close(): Promise<void>;
}

/** Thrown by `open`/`test`: a coded reason; `permanent` failures are retried only slowly. */
export class ConnectionFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly permanent = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ConnectionFailure";
  }
}

export interface ConnectionExample<C> {
  readonly title: string;
  readonly config: C;
}

export interface ConnectionDefinition<C extends TObject = TObject, Client = unknown> {
  readonly type: string;
  readonly title: string;
  readonly summary: string;
  readonly docs?: string;
  readonly config: C;
  readonly examples: readonly ConnectionExample<Record<string, unknown>>[];
  /** Connects once; resolves when usable; throws ConnectionFailure (or anything) when it cannot. */
  open(config: Static<C>, ctx: ConnectionContext): Promise<OpenedConnection<Client>>;
  /** "Test connection"; default: open, then close. Throws like `open`. */
  test?(config: Static<C>, ctx: ConnectionContext): Promise<void>;
}

export type AnyConnectionDefinition = ConnectionDefinition<TObject, unknown>;

/** Declares a connection type; see the comment at the top of this file. */
export function defineConnection<C extends TObject, Client>(definition: ConnectionDefinition<C, Client>): ConnectionDefinition<C, Client> {
  return Object.freeze(definition);
}

/** The ConnectionRef fields set in a config: path inside the config, connection id, required type. */
export function connectionRefsIn(schema: unknown, value: unknown, path = ""): Array<{ path: string; id: string; type: string }> {
  const s = schema as { connection?: unknown; properties?: Record<string, unknown>; items?: unknown; anyOf?: unknown[] } | undefined;
  if (!s) return [];
  if (typeof s.connection === "string") return typeof value === "string" ? [{ path, id: value, type: s.connection }] : [];
  if (s.anyOf) {
    // A discriminated union: only the branch the value's tag selects says what type its references need.
    const selected = s.anyOf.filter((branch) => tagsMatch(branch, value));
    return (selected.length > 0 ? selected : s.anyOf).flatMap((branch) => connectionRefsIn(branch, value, path)).filter((r, i, all) => all.findIndex((o) => o.path === r.path) === i);
  }
  if (s.properties && value !== null && typeof value === "object" && !Array.isArray(value)) {
    return Object.entries(s.properties).flatMap(([name, child]) =>
      connectionRefsIn(child, (value as Record<string, unknown>)[name], path ? `${path}.${name}` : name),
    );
  }
  if (s.items && Array.isArray(value)) return value.flatMap((item, i) => connectionRefsIn(s.items, item, `${path}[${i}]`));
  return [];
}

/** True when every constant field of `branch` (a union's tag, such as `to: "mqtt"`) has that value in `value`. */
function tagsMatch(branch: unknown, value: unknown): boolean {
  const properties = (branch as { properties?: Record<string, { const?: unknown }> } | undefined)?.properties;
  if (!properties || value === null || typeof value !== "object") return false;
  return Object.entries(properties).every(([name, field]) => field.const === undefined || (value as Record<string, unknown>)[name] === field.const);
}
