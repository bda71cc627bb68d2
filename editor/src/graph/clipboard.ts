/**
 * Copy and paste of a selection: the selected nodes and the wires between them, kept as flow-format
 * nodes and edges (so a selection copied in one flow pastes into another, even in another tab).
 * Pasting gives every node a fresh id, rewires the internal edges to the new ids, shifts positions
 * and selects what was pasted.
 */
import type { Edge } from "@xyflow/react";
import type { FlowEdge, FlowNode } from "../../../runtime/contract/flow-format.ts";
import { edgeId, flowToGraph, freshId, graphToFlow, type AiotNode } from "./mapping.ts";

export const CLIPBOARD_FORMAT = "aiotflow/clipboard@1";
/** localStorage key shared by every editor tab of this origin. */
export const CLIPBOARD_KEY = "aiotflow.clipboard";
/** How far each successive paste lands from the copied nodes. */
export const PASTE_OFFSET = 40;

export interface ClipboardContent {
  readonly format: typeof CLIPBOARD_FORMAT;
  readonly nodes: readonly FlowNode[];
  readonly edges: readonly FlowEdge[];
}

/** The selected nodes and only the wires whose both ends are selected; undefined when nothing is selected. */
export function copySelection(nodes: readonly AiotNode[], edges: readonly Edge[]): ClipboardContent | undefined {
  const picked = nodes.filter((n) => n.selected);
  if (picked.length === 0) return undefined;
  const ids = new Set(picked.map((n) => n.id));
  const inner = edges.filter((e) => ids.has(e.source) && ids.has(e.target));
  const document = graphToFlow({ meta: { id: "clipboard", name: "clipboard" }, nodes: picked, edges: inner });
  return { format: CLIPBOARD_FORMAT, nodes: document.nodes, edges: document.edges };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const isPortRef = (value: unknown) => isRecord(value) && typeof value["node"] === "string" && typeof value["port"] === "string";
const isNode = (value: unknown) =>
  isRecord(value) && typeof value["id"] === "string" && typeof value["type"] === "string" && isRecord(value["config"] ?? {}) &&
  (value["position"] === undefined || (isRecord(value["position"]) && typeof value["position"]["x"] === "number" && typeof value["position"]["y"] === "number"));
const isEdge = (value: unknown) => isRecord(value) && typeof value["id"] === "string" && isPortRef(value["from"]) && isPortRef(value["to"]);

/** Clipboard text back to content; undefined for anything that is not an aiotflow clipboard (stale, foreign or damaged). */
export function parseClipboard(text: string | null | undefined): ClipboardContent | undefined {
  if (!text) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || value["format"] !== CLIPBOARD_FORMAT) return undefined;
  const { nodes, edges } = value;
  if (!Array.isArray(nodes) || !nodes.every(isNode) || !Array.isArray(edges) || !edges.every(isEdge)) return undefined;
  return { format: CLIPBOARD_FORMAT, nodes: nodes as FlowNode[], edges: edges as FlowEdge[] };
}

/**
 * The clipboard's nodes and wires ready to add to a canvas that already holds `takenIds`: fresh node
 * ids, wires renamed after their new ends (wires to nodes that were not copied are dropped), positions
 * moved by `offset`, every pasted node selected.
 */
export function pasteContent(content: ClipboardContent, takenIds: Iterable<string>, offset: { x: number; y: number }): { nodes: AiotNode[]; edges: Edge[] } {
  const taken = new Set(takenIds);
  const renamed = new Map<string, string>();
  for (const node of content.nodes) {
    const id = freshId(node.id, taken);
    taken.add(id);
    renamed.set(node.id, id);
  }
  const graph = flowToGraph({
    format: "aiotflow/flow@1", id: "clipboard", name: "clipboard", connections: {},
    nodes: content.nodes.map((n) => ({ ...n, id: renamed.get(n.id)!, position: { x: (n.position?.x ?? 0) + offset.x, y: (n.position?.y ?? 0) + offset.y } })),
    edges: content.edges.flatMap((e) => {
      const from = renamed.get(e.from.node);
      const to = renamed.get(e.to.node);
      return from && to ? [{ id: edgeId({ source: from, sourceHandle: e.from.port, target: to, targetHandle: e.to.port }), from: { node: from, port: e.from.port }, to: { node: to, port: e.to.port } }] : [];
    }),
  });
  return { nodes: graph.nodes.map((n) => ({ ...n, selected: true })), edges: graph.edges };
}
