import { createHash } from "node:crypto";
import type { FlowDocument } from "../contract/flow-format.ts";
import { loopEdges } from "./cycles.ts";
import type { RuntimeNode, Target } from "./runtime-node.ts";
import type { ValidFlow, ValidNode } from "./validate.ts";

/** The nodes to build: every valid node not marked disabled. */
export function enabled(valid: ValidFlow): ValidNode[] {
  return valid.nodes.filter((n) => n.node.disabled !== true);
}

/** Type, version, config and the connections it uses (keys sorted) -> sha256: equal hashes mean the node is unchanged. */
export function hashOf(entry: ValidNode): string {
  const identity = { type: entry.definition.type, version: entry.definition.version, config: entry.config, ...(entry.connections ? { connections: entry.connections } : {}) };
  return createHash("sha256").update(stableJson(identity)).digest("hex");
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * Rebuilds every node's output table from the edges; edges touching disabled nodes carry nothing.
 * Wires that lie on a loop among the built nodes are marked, so only they count hops.
 */
export function wire(nodes: Map<string, RuntimeNode>, flow: FlowDocument): void {
  const tables = new Map<RuntimeNode, Record<string, Target[]>>();
  for (const node of nodes.values()) {
    tables.set(node, Object.create(null) as Record<string, Target[]>);
    node.onLoop = false;
  }
  const onLoop = loopEdges([...nodes.keys()], flow.edges);
  flow.edges.forEach((edge, index) => {
    const from = nodes.get(edge.from.node);
    const to = nodes.get(edge.to.node);
    if (!from || !to) return;
    const table = tables.get(from)!;
    const loop = onLoop.has(index);
    (table[edge.from.port] ??= []).push({ node: to, port: edge.to.port, loop, edge: index });
    if (loop) from.onLoop = true;
  });
  for (const [node, table] of tables) node.outputs = table;
}
