/**
 * Flow document (runtime/contract/flow-format.ts) <-> React Flow nodes and edges. Node and edge ids,
 * positions, names, config and `disabled` survive the round trip; handles are the declared ports.
 */
import type { Edge, Node } from "@xyflow/react";
import type { FlowDocument } from "../../../runtime/contract/flow-format.ts";
import type { Catalog, CatalogNode, PortInfo } from "./catalog.ts";

export const NODE_TYPE = "aiot";

export interface AiotNodeData extends Record<string, unknown> {
  /** The catalog type, e.g. "sliding-window". */
  readonly nodeType: string;
  readonly name?: string;
  readonly config: Record<string, unknown>;
  readonly disabled?: boolean;
}

export type AiotNode = Node<AiotNodeData, typeof NODE_TYPE>;

/** What the graph does not hold but the document needs back on save. */
export type FlowMeta = Pick<FlowDocument, "id" | "name"> & Partial<Pick<FlowDocument, "description" | "connections" | "$schema">>;

export interface Graph {
  readonly meta: FlowMeta;
  readonly nodes: AiotNode[];
  readonly edges: Edge[];
}

export interface PortHandle extends PortInfo {
  readonly name: string;
}

/** One handle per declared port: inputs on the left, outputs (including `error`) on the right. */
export function portHandles(entry: CatalogNode | undefined): { inputs: PortHandle[]; outputs: PortHandle[] } {
  const list = (ports: Readonly<Record<string, PortInfo>> | undefined) => Object.entries(ports ?? {}).map(([name, p]) => ({ name, ...p }));
  return { inputs: list(entry?.inputs), outputs: list(entry?.outputs) };
}

export function flowToGraph(document: FlowDocument): Graph {
  const { nodes, edges, format: _format, ...meta } = document;
  return {
    meta,
    nodes: nodes.map((n) => ({
      id: n.id,
      type: NODE_TYPE,
      position: { x: n.position?.x ?? 0, y: n.position?.y ?? 0 },
      data: { nodeType: n.type, config: n.config ?? {}, ...(n.name !== undefined ? { name: n.name } : {}), ...(n.disabled ? { disabled: true } : {}) },
    })),
    edges: (edges ?? []).map((e) => ({ id: e.id, source: e.from.node, sourceHandle: e.from.port, target: e.to.node, targetHandle: e.to.port })),
  };
}

export function graphToFlow(graph: Graph): FlowDocument {
  return {
    ...(graph.meta.$schema !== undefined ? { $schema: graph.meta.$schema } : {}),
    format: "aiotflow/flow@1",
    id: graph.meta.id,
    name: graph.meta.name,
    ...(graph.meta.description !== undefined ? { description: graph.meta.description } : {}),
    nodes: graph.nodes.map((n) => ({
      id: n.id,
      type: n.data.nodeType,
      ...(n.data.name ? { name: n.data.name } : {}),
      config: n.data.config,
      position: { x: Math.round(n.position.x), y: Math.round(n.position.y) },
      ...(n.data.disabled ? { disabled: true } : {}),
    })),
    edges: graph.edges.map((e) => ({
      id: e.id,
      from: { node: e.source, port: e.sourceHandle ?? "out" },
      to: { node: e.target, port: e.targetHandle ?? "in" },
    })),
    connections: graph.meta.connections ?? {},
  };
}

/** `base`, or `base-2`, `base-3`... whichever is not taken (ids follow the flow format's pattern). */
export function freshId(base: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  const clean = base.replace(/[^A-Za-z0-9_.:-]/g, "-") || "node";
  if (!used.has(clean)) return clean;
  for (let n = 2; ; n++) if (!used.has(`${clean}-${n}`)) return `${clean}-${n}`;
}

/** The id a never-saved canvas starts with. */
export const SCRATCH_FLOW_ID = "new-flow";

/** An id for a never-saved canvas that no stored flow has: `new-flow`, else `new-flow-2`, `new-flow-3`... */
export function scratchFlowId(storedFlowIds: Iterable<string>): string {
  return freshId(SCRATCH_FLOW_ID, storedFlowIds);
}

/** A node of `entry`'s type dropped at `position`, with an empty config (the runtime fills defaults). */
export function newNode(entry: CatalogNode, position: { x: number; y: number }, taken: Iterable<string>): AiotNode {
  return { id: freshId(entry.type, taken), type: NODE_TYPE, position, data: { nodeType: entry.type, config: {} } };
}

export function edgeId(c: { source: string; sourceHandle?: string | null; target: string; targetHandle?: string | null }): string {
  return `${c.source}.${c.sourceHandle ?? "out"}-${c.target}.${c.targetHandle ?? "in"}`.replace(/[^A-Za-z0-9_.:-]/g, "-");
}

export function catalogEntry(catalog: Catalog, node: AiotNode | undefined): CatalogNode | undefined {
  return node ? catalog.get(node.data.nodeType) : undefined;
}
