/**
 * Which payload fields reach each node of a flow, from the nodes' own `fieldsOut` declarations, so
 * the editor can offer upstream fields in field pickers. Works on half-built flows: a node of an
 * unknown type, disabled, or without `fieldsOut` passes no known fields on; one whose config does not
 * parse yet is asked anyway and passes nothing when its `fieldsOut` cannot answer. Cycles settle by repeating until nothing changes (bounded by the node count).
 */
import type { Catalog } from "../core/validate.ts";
import { applyDefaults, parseConfig } from "../sdk/config.ts";
import type { AnyNodeDefinition, FieldsOut } from "../sdk/define.ts";
import { errorMessage } from "../sdk/errors.ts";
import { ERROR_PORT } from "../contract/ports.ts";

export interface FieldsNode {
  readonly id: string;
  readonly type: string;
  readonly config?: unknown;
  readonly disabled?: boolean;
}
export interface FieldsEdge {
  readonly from: { readonly node: string; readonly port: string };
  readonly to: { readonly node: string; readonly port: string };
}

export interface NodeFields {
  /** Fields arriving at any input, in the order they were first met. */
  readonly inputs: readonly string[];
  /** Fields leaving each declared output (the error port carries none). */
  readonly outputs: Readonly<Record<string, readonly string[]>>;
}

export interface FlowFields {
  readonly nodes: Readonly<Record<string, NodeFields>>;
  /** `fieldsOut` functions that threw: the node passes no fields on, and this says why. */
  readonly problems: ReadonlyArray<{ readonly node: string; readonly message: string }>;
}

type ParsedConfig = Parameters<NonNullable<AnyNodeDefinition["fieldsOut"]>>[0];

const unique = (lists: Iterable<readonly string[]>): string[] => [...new Set([...lists].flat())];
const oneListForAll = (declared: FieldsOut): declared is readonly string[] => Array.isArray(declared);

/** Node ids with every node after the nodes that feed it (Kahn's order); nodes on cycles follow in document order. */
function upstreamFirst(ids: readonly string[], incoming: ReadonlyMap<string, readonly FieldsEdge[]>): string[] {
  const known = new Set(ids);
  const feeding = new Map<string, string[]>();
  const pending = new Map<string, number>();
  for (const id of ids) {
    const feeders = new Set((incoming.get(id) ?? []).map((e) => e.from.node).filter((n) => known.has(n) && n !== id));
    pending.set(id, feeders.size);
    for (const feeder of feeders) feeding.set(feeder, [...(feeding.get(feeder) ?? []), id]);
  }
  const order = ids.filter((id) => pending.get(id) === 0);
  for (let i = 0; i < order.length; i++) {
    for (const next of feeding.get(order[i]!) ?? []) {
      const left = pending.get(next)! - 1;
      pending.set(next, left);
      if (left === 0) order.push(next);
    }
  }
  const placed = new Set(order);
  return [...order, ...ids.filter((id) => !placed.has(id))];
}

const same = (a: readonly string[] | undefined, b: readonly string[]) => a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);

/** The declared outputs of `definition` filled from what its `fieldsOut` returned. */
function byPort(definition: AnyNodeDefinition, declared: FieldsOut): Record<string, string[]> {
  const outputs: Record<string, string[]> = {};
  for (const port of Object.keys(definition.outputs)) {
    const fields: unknown = oneListForAll(declared) ? declared : declared[port];
    outputs[port] = Array.isArray(fields) ? unique([fields.filter((f): f is string => typeof f === "string" && f.length > 0)]) : [];
  }
  return outputs;
}

export function flowFields(document: { readonly nodes: readonly FieldsNode[]; readonly edges?: readonly FieldsEdge[] }, catalog: Catalog): FlowFields {
  const edges = document.edges ?? [];
  const problems = new Map<string, string>();
  /** The node's parsed config and definition when it can tell its output fields. */
  const declaring = new Map<string, { definition: AnyNodeDefinition; config: ParsedConfig; unfinished: boolean }>();
  for (const node of document.nodes) {
    const definition = catalog.get(node.type);
    if (!definition?.fieldsOut || node.disabled) continue;
    const parsed = parseConfig(definition, node.config ?? {});
    if (parsed.ok) declaring.set(node.id, { definition, config: parsed.config, unfinished: false });
    // An unfinished config is still asked, best effort: a node that passes its input through (a range
    // check without rules yet) says so whatever its config; one that needs the config throws and passes nothing.
    else declaring.set(node.id, { definition, config: applyDefaults(definition.config, structuredClone(node.config ?? {})) as ParsedConfig, unfinished: true });
  }

  const incoming = new Map<string, FieldsEdge[]>();
  const successors = new Map<string, string[]>();
  for (const edge of edges) {
    incoming.set(edge.to.node, [...(incoming.get(edge.to.node) ?? []), edge]);
    successors.set(edge.from.node, [...(successors.get(edge.from.node) ?? []), edge.to.node]);
  }
  const inputs = new Map<string, string[]>();
  const outputs = new Map<string, Record<string, string[]>>();
  const portFields = (node: string, port: string) => (port === ERROR_PORT ? [] : (outputs.get(node)?.[port] ?? []));

  // A worklist in upstream-first order: a flow without cycles settles visiting each node once; a node
  // is visited again only when what arrives at it changed. The bound stops a fieldsOut that never settles.
  const queue = upstreamFirst(document.nodes.map((n) => n.id), incoming);
  const queued = new Set(queue);
  let budget = (document.nodes.length + 1) * Math.max(1, document.nodes.length);
  for (let head = 0; head < queue.length && budget-- > 0; head++) {
    const id = queue[head]!;
    queued.delete(id);
    const arriving = unique((incoming.get(id) ?? []).map((e) => portFields(e.from.node, e.from.port)));
    inputs.set(id, arriving);
    const found = declaring.get(id);
    if (!found) continue;
    let next: Record<string, string[]>;
    try {
      next = byPort(found.definition, found.definition.fieldsOut!(found.config, arriving));
      problems.delete(id);
    } catch (error) {
      if (!found.unfinished) problems.set(id, `fieldsOut of ${found.definition.type} failed: ${errorMessage(error)}`);
      next = byPort(found.definition, []);
    }
    const before = outputs.get(id);
    outputs.set(id, next);
    if (before && Object.keys(next).every((port) => same(before[port], next[port]!))) continue;
    for (const successor of successors.get(id) ?? []) {
      if (!queued.has(successor)) {
        queued.add(successor);
        queue.push(successor);
      }
    }
  }

  const nodes: Record<string, NodeFields> = {};
  for (const node of document.nodes) {
    const declared = Object.keys(catalog.get(node.type)?.outputs ?? {});
    nodes[node.id] = {
      inputs: inputs.get(node.id) ?? [],
      outputs: outputs.get(node.id) ?? Object.fromEntries(declared.map((port) => [port, []])),
    };
  }
  return { nodes, problems: [...problems].map(([node, message]) => ({ node, message })) };
}
