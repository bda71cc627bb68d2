import { parse as parseTolerant, printParseErrorCode, type ParseError } from "jsonc-parser";
import Value from "typebox/value";
import { applyDefaults, parseConfig, schemaProblems } from "../sdk/config.ts";
import type { AnyNodeDefinition } from "../sdk/define.ts";
import { connectionRefsIn } from "../sdk/connections.ts";
import { AiotError, errorMessage } from "../sdk/errors.ts";
import { converterAdvice, convertersBetween, ERROR_PORT, PORT_KINDS, portKindsFit, type PortKind } from "../contract/ports.ts";
import { closest } from "../sdk/suggest.ts";
import { findCycles } from "./cycles.ts";
import { FlowDocumentSchema, type FlowDocument, type FlowNode } from "../contract/flow-format.ts";

export type Catalog = ReadonlyMap<string, AnyNodeDefinition>;

export interface ValidNode {
  readonly index: number;
  readonly node: FlowNode;
  readonly definition: AnyNodeDefinition;
  readonly config: unknown;
  /** The flow's connections this node's config names (part of its identity: a changed one rebuilds it). */
  readonly connections?: Readonly<Record<string, unknown>>;
}

export interface ValidFlow {
  readonly flow: FlowDocument;
  readonly nodes: readonly ValidNode[];
}

export type ValidationResult = { ok: true; value: ValidFlow } | { ok: false; errors: AiotError[] };

/** Thrown by the engine when asked to run a flow that does not validate; carries every problem. */
export class FlowInvalidError extends Error {
  constructor(readonly errors: readonly AiotError[]) {
    super(`flow has ${errors.length} problem${errors.length === 1 ? "" : "s"}:\n${errors.map((e) => `  ${e.toString()}`).join("\n")}`);
    this.name = "FlowInvalidError";
  }
}

/** Parses flow JSON text; a syntax error becomes FLOW_JSON_MALFORMED with line and column. */
export function parseFlowText(text: string, file = "<flow>"): { ok: true; value: unknown } | { ok: false; errors: AiotError[] } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    // JSON.parse names no position for some mistakes; jsonc-parser (VS Code's) always does.
    const problems: ParseError[] = [];
    parseTolerant(text, problems, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    const first = problems[0];
    if (!first) return { ok: false, errors: [new AiotError("FLOW_JSON_MALFORMED", errorMessage(error), { file })] };
    const before = text.slice(0, first.offset);
    const where = `${file}:${before.split("\n").length}:${first.offset - before.lastIndexOf("\n")}`;
    const found = text.slice(first.offset, first.offset + Math.max(1, first.length)).slice(0, 20);
    // Show what was found, with control characters and binary escaped so the terminal stays sane.
    const shown = JSON.stringify(found).slice(1, -1).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
    const message = `invalid JSON: ${describeParseError(printParseErrorCode(first.error))}${found ? ` at "${shown}"` : " at end of file"}`;
    return { ok: false, errors: [new AiotError("FLOW_JSON_MALFORMED", message, { file: where })] };
  }
}

function describeParseError(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase(); // "ValueExpected" -> "value expected"
}

/**
 * Checks a flow document against the format and the catalog and reports every problem at once,
 * each with a code and a JSON path: structure, unknown types, configs, duplicate ids and edges, edges
 * to missing nodes or ports, incompatible port kinds and cycles through no loop-safe node.
 */
export function validateFlow(document: unknown, catalog: Catalog): ValidationResult {
  if (document === null || typeof document !== "object" || Array.isArray(document)) {
    return { ok: false, errors: [new AiotError("FLOW_FORMAT_INVALID", "a flow document must be a JSON object", { path: "$" })] };
  }
  const flow = applyDefaults(FlowDocumentSchema, Value.Clone(document)) as FlowDocument;
  const errors = schemaProblems(FlowDocumentSchema, flow, "").map(
    (p) => new AiotError("FLOW_FORMAT_INVALID", p.message, { path: p.path || "$" }),
  );
  // Go on with whatever is well-formed, so one bad node does not hide the problems of the others.
  const nodes = Array.isArray(flow.nodes) ? flow.nodes : [];
  const edges = Array.isArray(flow.edges) ? flow.edges : [];
  const valid: ValidNode[] = [];
  const byId = new Map<string, ValidNode | null>();

  nodes.forEach((node, index) => {
    if (!node || typeof node.id !== "string" || typeof node.type !== "string") return;
    const path = `nodes[${index}]`;
    if (byId.has(node.id)) {
      const first = nodes.findIndex((n) => n?.id === node.id);
      errors.push(new AiotError("FLOW_DUPLICATE_ID", `duplicate node id "${node.id}" (also nodes[${first}])`, { path: `${path}.id` }));
      return;
    }
    const definition = catalog.get(node.type);
    if (!definition) {
      const hint = closest(node.type, [...catalog.keys()]);
      errors.push(new AiotError("FLOW_UNKNOWN_NODE_TYPE", `unknown node type "${node.type}"${hint ? ` (did you mean "${hint}"?)` : ""}`, { path: `${path}.type` }));
      byId.set(node.id, null);
      return;
    }
    const parsed = parseConfig(definition, node.config, `${path}.config`);
    if (!parsed.ok) errors.push(...parsed.errors.map((e) => withNode(e, node.id)));
    const used = parsed.ok ? connectionsOf(flow, parsed.config, definition, `${path}.config`, node.id, errors) : undefined;
    const entry: ValidNode = { index, node, definition, config: parsed.ok ? parsed.config : undefined, ...(used ? { connections: used } : {}) };
    byId.set(node.id, entry);
    if (parsed.ok) valid.push(entry);
  });

  const edgeIds = new Set<string>();
  const wires = new Map<string, string>(); // "a.out -> b.in" -> the id of the first edge wiring it
  edges.forEach((edge, index) => {
    if (!edge?.from || !edge.to) return;
    const path = `edges[${index}]`;
    if (edgeIds.has(edge.id)) errors.push(new AiotError("FLOW_DUPLICATE_ID", `duplicate edge id "${edge.id}"`, { path: `${path}.id` }));
    edgeIds.add(edge.id);
    const wireName = `${edge.from.node}.${edge.from.port} -> ${edge.to.node}.${edge.to.port}`;
    const first = wires.get(wireName);
    if (first) {
      errors.push(new AiotError("FLOW_DUPLICATE_EDGE", `edge "${edge.id}" repeats edge "${first}" (${wireName}): every message would arrive twice`, { path }));
      return;
    }
    wires.set(wireName, edge.id);
    const from = portOf(byId, edge.from.node, edge.from.port, "output", `${path}.from`, errors);
    const to = portOf(byId, edge.to.node, edge.to.port, "input", `${path}.to`, errors);
    if (from && to && !portKindsFit(from, to)) {
      errors.push(
        new AiotError(
          "FLOW_EDGE_KIND_MISMATCH",
          `cannot wire ${from} output "${edge.from.node}.${edge.from.port}" to ${to} input "${edge.to.node}.${edge.to.port}" (${PORT_KINDS[to]} expected)${converterAdvice(convertersBetween(catalog.values(), from, to))}`,
          { path },
        ),
      );
    }
  });

  for (const cycle of findCycles(nodes.map((n) => n?.id).filter((id): id is string => typeof id === "string"), edges)) {
    const loopSafe = cycle.nodes.some((id) => byId.get(id)?.definition.loopSafe === true);
    if (!loopSafe) {
      errors.push(
        new AiotError("FLOW_CYCLE", `cycle ${[...cycle.nodes, cycle.nodes[0]].join(" -> ")} passes through no loop-safe node`, {
          path: `edges[${cycle.edgeIndex}]`,
        }),
      );
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: { flow, nodes: valid } };
}

/** Checks the node's ConnectionRef fields against the flow's `connections`; returns those it uses. */
function connectionsOf(flow: FlowDocument, config: unknown, definition: AnyNodeDefinition, path: string, node: string, errors: AiotError[]) {
  const refs = connectionRefsIn(definition.config, config);
  if (refs.length === 0) return undefined;
  const declared = flow.connections && typeof flow.connections === "object" ? flow.connections : {};
  const used: Record<string, unknown> = {};
  for (const ref of refs) {
    const connection = Object.hasOwn(declared, ref.id) ? declared[ref.id] : undefined;
    const at = `${path}.${ref.path}`;
    if (!connection) {
      const hint = closest(ref.id, Object.keys(declared));
      errors.push(new AiotError("FLOW_UNKNOWN_CONNECTION", `no connection "${ref.id}" in the flow's connections${hint ? ` (did you mean "${hint}"?)` : ""}`, { path: at, node }));
    } else if (connection.type !== ref.type) {
      errors.push(new AiotError("CONNECTION_TYPE_MISMATCH", `connection "${ref.id}" is a ${connection.type}; this field needs a ${ref.type}`, { path: at, node }));
    } else used[ref.id] = connection;
  }
  return used;
}

function withNode(error: AiotError, node: string): AiotError {
  return new AiotError(error.code, error.message, { ...error.details, node });
}

function portOf(
  byId: Map<string, ValidNode | null>,
  nodeId: string,
  port: string,
  direction: "input" | "output",
  path: string,
  errors: AiotError[],
): PortKind | undefined {
  const entry = byId.get(nodeId);
  if (entry === undefined) {
    errors.push(new AiotError("FLOW_EDGE_UNKNOWN_NODE", `no node with id "${nodeId}"`, { path: `${path}.node` }));
    return undefined;
  }
  if (entry === null) return undefined; // its unknown type is already reported
  const ports = direction === "input" ? entry.definition.inputs : entry.definition.outputs;
  if (direction === "output" && port === ERROR_PORT) return "event";
  const spec = Object.hasOwn(ports, port) ? ports[port] : undefined;
  if (!spec) {
    const names = Object.keys(ports).concat(direction === "output" ? [ERROR_PORT] : []);
    const list = names.length ? names.join(", ") : "none";
    errors.push(
      new AiotError("FLOW_EDGE_UNKNOWN_PORT", `node "${nodeId}" (${entry.definition.type}) has no ${direction} "${port}"; its ${direction}s: ${list}`, {
        path: `${path}.port`,
      }),
    );
    return undefined;
  }
  return spec.kind;
}
