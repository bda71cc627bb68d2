/**
 * Field and secret pickers of the generic form: which schema fields get one (from schema metadata
 * alone, `widget: "field"` and `secret: true`), and the payload fields known upstream of a node,
 * as the runtime computes them from the nodes' `fieldsOut` (POST /api/flows/fields) merged with
 * fields seen in live debug messages.
 */
import type { JsonSchema } from "./catalog.ts";

export type Picker = "secret" | "field" | "field-list" | "connection";

export function pickerOf(field: JsonSchema): Picker | undefined {
  if (field.secret) return "secret";
  // The runtime's ConnectionRef: the string names one of the flow's connections of that type.
  if (field.type === "string" && typeof field.connection === "string") return "connection";
  if (field.type === "string" && field.widget === "field") return "field";
  if (field.type === "array" && field.items?.type === "string" && (field.widget === "field" || field.items.widget === "field")) return "field-list";
  return undefined;
}

/** What POST /api/flows/fields answers. */
export interface FlowFieldsAnswer {
  readonly nodes: Readonly<Record<string, { readonly inputs: readonly string[]; readonly outputs: Readonly<Record<string, readonly string[]>> }>>;
  readonly problems: ReadonlyArray<{ readonly node: string; readonly message: string }>;
}

export interface WireLike {
  readonly source: string;
  readonly sourceHandle?: string | null;
  readonly target: string;
}

/** Node id -> payload fields seen in live debug messages at that (debug) node. */
export type SeenFields = ReadonlyMap<string, readonly string[]>;

/** Top-level payload field names of a message; none for a payload that is not an object. */
export function payloadFields(msg: unknown): string[] {
  const payload = msg !== null && typeof msg === "object" ? (msg as { payload?: unknown }).payload : undefined;
  return payload !== null && typeof payload === "object" && !Array.isArray(payload) ? Object.keys(payload) : [];
}

/** `seen` with the fields of `msg` added at `node`; the same map when nothing is new (no re-render). */
export function addSeen(seen: SeenFields, node: string, msg: unknown): SeenFields {
  const known = seen.get(node) ?? [];
  const fresh = payloadFields(msg).filter((f) => !known.includes(f));
  return fresh.length === 0 ? seen : new Map(seen).set(node, [...known, ...fresh]);
}

/**
 * Fields arriving at `node`: the runtime's answer first, then fields seen live at any node wired to
 * the same upstream outputs (a debug sink beside it sees what it would get), and at `node` itself.
 */
export function upstreamFields(node: string, computed: FlowFieldsAnswer | undefined, wires: readonly WireLike[], seen: SeenFields): string[] {
  const fields = new Set(computed?.nodes[node]?.inputs ?? []);
  const feeds = new Set(wires.filter((w) => w.target === node).map((w) => `${w.source}\u0000${w.sourceHandle ?? "out"}`));
  const siblings = new Set([node, ...wires.filter((w) => feeds.has(`${w.source}\u0000${w.sourceHandle ?? "out"}`)).map((w) => w.target)]);
  for (const sibling of siblings) for (const f of seen.get(sibling) ?? []) fields.add(f);
  return [...fields];
}
