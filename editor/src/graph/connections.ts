/**
 * The flow's `connections` (name -> { type, config }) as the Connections panel edits them, framework
 * free: names checked like the flow format's ids, which nodes use a connection (found through the
 * `connection` keyword the runtime's `ConnectionRef` puts in node config schemas), immutable updates,
 * the live state read from the users' status badges, and the "test connection" answer in words.
 */
import type { FlowDocument } from "../../../runtime/contract/flow-format.ts";
import type { Catalog, JsonSchema } from "./catalog.ts";
import type { AiotNode } from "./mapping.ts";

export type FlowConnection = FlowDocument["connections"][string];
export type Connections = Readonly<Record<string, FlowConnection>>;

/** A type of GET /api/connections/types. */
export interface ConnectionType {
  readonly type: string;
  readonly title: string;
  readonly summary: string;
  readonly docs?: string;
  readonly config: JsonSchema;
  readonly examples: ReadonlyArray<{ readonly title: string; readonly config: Record<string, unknown> }>;
}

/** What POST /api/connections/test answers. */
export interface TestReply {
  readonly ok: boolean;
  readonly durationMs?: number;
  readonly code?: string;
  readonly message?: string;
  readonly hint?: string;
  readonly problems?: ReadonlyArray<{ readonly path?: string; readonly message?: string }>;
}

/** The flow format's id rule (runtime/contract/flow-format.ts `Id`): connection ids end up in logs and client ids too. */
const NAME = /^[A-Za-z0-9_.:-]+$/;
const MAX_NAME = 128;

/** Why `name` cannot name a new connection, or undefined when it can. */
export function connectionNameProblem(name: string, connections: Connections): string | undefined {
  if (name.trim() === "") return "Give the connection a name, e.g. plant-broker.";
  if (name.length > MAX_NAME) return `A connection name has at most ${MAX_NAME} characters.`;
  if (!NAME.test(name)) return `“${name}” has characters a connection name cannot have: use letters, digits and _ . : -`;
  if (Object.hasOwn(connections, name)) return `A connection named “${name}” exists already: choose another name.`;
  return undefined;
}

/** A node using a connection: which node, its display name, and the config field that names it. */
export interface ConnectionUser {
  readonly node: string;
  readonly label: string;
  readonly field: string;
  readonly type: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);

/** The config fields of `value` whose schema says they name a connection: path, connection name, required type. */
export function connectionRefs(schema: JsonSchema | undefined, value: unknown, path = ""): Array<{ path: string; name: string; type: string }> {
  if (!schema) return [];
  if (typeof schema.connection === "string") return typeof value === "string" && value !== "" ? [{ path, name: value, type: schema.connection }] : [];
  if (schema.anyOf) {
    const found = schema.anyOf.flatMap((branch) => connectionRefs(branch, value, path));
    return found.filter((ref, i) => found.findIndex((other) => other.path === ref.path) === i);
  }
  if (schema.properties && isRecord(value)) {
    return Object.entries(schema.properties).flatMap(([key, child]) => connectionRefs(child, value[key], path ? `${path}.${key}` : key));
  }
  if (schema.items && Array.isArray(value)) return value.flatMap((item, i) => connectionRefs(schema.items, item, `${path}.${i}`));
  return [];
}

/** Every node (of a known type) whose config names connection `name`. */
export function connectionUsers(name: string, nodes: readonly AiotNode[], catalog: Catalog): ConnectionUser[] {
  return nodes.flatMap((n) =>
    connectionRefs(catalog.get(n.data.nodeType)?.config, n.data.config)
      .filter((ref) => ref.name === name)
      .map((ref) => ({ node: n.id, label: n.data.name ? `“${n.data.name}” (${n.id})` : n.id, field: ref.path, type: ref.type })),
  );
}

/** Why the connection cannot be deleted (nodes still name it), or undefined when it can. */
export function deleteRefusal(name: string, users: readonly ConnectionUser[]): string | undefined {
  if (users.length === 0) return undefined;
  const list = users.map((u) => `${u.label} field ${u.field}`).join(", ");
  return `“${name}” is used by ${users.length === 1 ? "node" : `${users.length} nodes`} ${list}: point ${users.length === 1 ? "it" : "them"} at another connection or delete ${users.length === 1 ? "it" : "them"} first.`;
}

/** `connections` with `name` added, its config starting empty (the runtime fills defaults). */
export function withConnection(connections: Connections, name: string, type: string, config: Record<string, unknown> = {}): Connections {
  return { ...connections, [name]: { type, config } };
}

/** `connections` with `name`'s config replaced; unknown names leave them as they are. */
export function withConfig(connections: Connections, name: string, config: Record<string, unknown>): Connections {
  const current = connections[name];
  return current ? { ...connections, [name]: { ...current, config } } : connections;
}

export function withoutConnection(connections: Connections, name: string): Connections {
  const { [name]: _removed, ...rest } = connections;
  return rest;
}

/** Names of the flow's connections of `type`, sorted, for a node field's picker. */
export function connectionsOfType(connections: Connections, type: string): string[] {
  return Object.entries(connections).filter(([, c]) => c.type === type).map(([name]) => name).sort();
}

/** The undo coalescing key of a config edit: typing on in one field of one connection stays one step. */
export function connectionEditKey(name: string, before: Record<string, unknown>, after: Record<string, unknown>): string {
  const changed = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => before[k] !== after[k]).sort();
  return `connection:${name}:${changed.join(",")}`;
}

export interface ConnectionLiveState {
  readonly state: string;
  readonly text: string;
}

/**
 * The connection's live state as its users report it: the runtime's supervisor sets each user's
 * status to `<name>: connected | <reason>` (runtime/connections/supervisor.ts `statusOf`). Undefined
 * while no user of the deployed flow has said anything about this connection.
 */
export function connectionLiveState(
  name: string,
  users: readonly ConnectionUser[],
  statuses: ReadonlyMap<string, { readonly state: string; readonly text?: string }>,
): ConnectionLiveState | undefined {
  const prefix = `${name}: `;
  for (const user of users) {
    const status = statuses.get(user.node);
    if (status?.text?.startsWith(prefix)) return { state: status.state, text: status.text.slice(prefix.length) };
  }
  return undefined;
}

/** The test's answer in words: success with its time, or the code, the message and what to do. */
export function testOutcome(reply: TestReply): { kind: "ok" | "error"; title: string; detail?: string; hint?: string } {
  if (reply.ok) return { kind: "ok", title: `Connected${reply.durationMs !== undefined ? ` in ${Math.round(reply.durationMs)} ms` : ""}` };
  const problems = (reply.problems ?? []).map((p) => `${(p.path ?? "").replace(/^connections\.[^.]+\.config\./, "")}: ${p.message ?? ""}`);
  const message = problems.length > 0 ? problems.join("\n") : reply.message ?? "";
  return { kind: "error", title: reply.code ?? "CONNECTION_FAILED", ...(message ? { detail: message } : {}), ...(reply.hint ? { hint: reply.hint } : {}) };
}
