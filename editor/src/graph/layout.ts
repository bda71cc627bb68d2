/**
 * Auto-layout with dagre: sources on the left, sinks on the right, one rank per step of the flow.
 * Wires are handed to dagre in port order (a node's first output before its `rejected` and `error`
 * outputs) so that, where dagre's ordering is free, a node's main path lands above its side branches.
 */
import dagre from "@dagrejs/dagre";
import type { Edge } from "@xyflow/react";
import type { Catalog } from "./catalog.ts";
import type { AiotNode } from "./mapping.ts";

/** The generic node component's geometry (AiotNodeView): header plus one row per port. */
const NODE_WIDTH = 200;
const HEADER = 44;
const ROW = 22;

/** True when no node has a place of its own: every position missing, or every one at the origin. */
export function lacksPositions(nodes: ReadonlyArray<{ position?: { x: number; y: number } | undefined }>): boolean {
  return nodes.length > 0 && nodes.every((n) => !n.position || (n.position.x === 0 && n.position.y === 0));
}

function sizeOf(node: AiotNode, catalog: Catalog): { width: number; height: number } {
  if (node.measured?.width && node.measured.height) return { width: node.measured.width, height: node.measured.height };
  const entry = catalog.get(node.data.nodeType);
  const rows = Math.max(Object.keys(entry?.inputs ?? {}).length, Object.keys(entry?.outputs ?? {}).length, 1);
  return { width: NODE_WIDTH, height: HEADER + rows * ROW };
}

/** `nodes` with new top-left positions, left to right along the wires; ids, data and order unchanged. */
export function layoutGraph(nodes: readonly AiotNode[], edges: readonly Edge[], catalog: Catalog): AiotNode[] {
  const graph = new dagre.graphlib.Graph({ multigraph: true });
  graph.setGraph({ rankdir: "LR", nodesep: 40, ranksep: 90, marginx: 20, marginy: 20 });
  graph.setDefaultEdgeLabel(() => ({}));
  const sizes = new Map(nodes.map((n) => [n.id, sizeOf(n, catalog)]));
  for (const node of nodes) graph.setNode(node.id, { ...sizes.get(node.id)! });

  const portRank = (edge: Edge) => {
    const source = nodes.find((n) => n.id === edge.source);
    const outputs = Object.keys(catalog.get(source?.data.nodeType ?? "")?.outputs ?? {});
    const index = outputs.indexOf(edge.sourceHandle ?? "");
    return index < 0 ? outputs.length : index;
  };
  const ordered = [...edges].filter((e) => sizes.has(e.source) && sizes.has(e.target)).sort((a, b) => portRank(a) - portRank(b));
  for (const edge of ordered) graph.setEdge(edge.source, edge.target, {}, edge.id);

  dagre.layout(graph);
  return nodes.map((node) => {
    const placed = graph.node(node.id);
    const { width, height } = sizes.get(node.id)!;
    // dagre places centres; React Flow positions are top-left corners.
    return { ...node, position: { x: Math.round(placed.x - width / 2), y: Math.round(placed.y - height / 2) } };
  });
}
