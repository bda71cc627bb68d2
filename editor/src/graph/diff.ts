/**
 * How the canvas shows what changed between two flow documents. The diff itself is the contract's
 * `diffFlows`, the function the API's diff route runs, computed in the browser so an unsaved graph
 * can be compared with any saved version. Added and changed nodes get a class; removed ones come
 * back as ghosts drawn beside the graph.
 */
import type { Edge } from "@xyflow/react";
import type { FlowDocument } from "../../../runtime/contract/flow-format.ts";
import { canonicalJson } from "../../../runtime/contract/canonical.ts";
import type { FlowDiff } from "../../../runtime/contract/flow-records.ts";
import type { AiotNode } from "./mapping.ts";

export type { FlowDiff };

/** The value at `config.window.sizeMs` / `config.fields[2]` of a node; undefined when a step is missing. */
export function valueAt(root: unknown, path: string): unknown {
  let value: unknown = root;
  // Steps as changedPaths writes them: `.name`, `[2]`, and `["odd.key"]` (JSON-quoted).
  for (const step of path.match(/\["(?:[^"\\]|\\.)*"\]|\[\d+\]|[^.[\]]+/g) ?? []) {
    if (value === null || typeof value !== "object") return undefined;
    const key: string | number = step.startsWith('["') ? String(JSON.parse(step.slice(1, -1))) : step.startsWith("[") ? Number(step.slice(1, -1)) : step;
    if (Array.isArray(value) ? typeof key !== "number" : typeof key === "number") return undefined;
    value = Object.hasOwn(value, key) ? (value as Record<string | number, unknown>)[key] : undefined;
  }
  return value;
}

const MAX_VALUE = 40;
/** A value short enough for one line: JSON, cut at 40 characters; "(none)" for a field that is not set. */
export function shortValue(value: unknown): string {
  if (value === undefined) return "(none)";
  const text = canonicalJson(value);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

/**
 * One line per change, for the history panel and the conflict dialog. Given the two documents, a
 * changed config path says its old and new value (`config.raise: 9 → 7.1`).
 */
export function describeDiff(diff: FlowDiff, before?: FlowDocument, after?: FlowDocument): string[] {
  const lines: string[] = [];
  const nodeIn = (doc: FlowDocument | undefined, id: string) => doc?.nodes.find((n) => n.id === id);
  const describePath = (id: string, path: string) => {
    const [was, now] = [nodeIn(before, id), nodeIn(after, id)];
    if (!was || !now || !path.startsWith("config")) return path;
    return `${path}: ${shortValue(valueAt(was, path))} → ${shortValue(valueAt(now, path))}`;
  };
  for (const id of diff.nodes.added) lines.push(`node ${id} added`);
  for (const id of diff.nodes.removed) lines.push(`node ${id} removed`);
  for (const { id, paths } of diff.nodes.changed) lines.push(`node ${id} changed: ${paths.map((p) => describePath(id, p)).join(", ")}`);
  for (const id of diff.edges.added) lines.push(`wire ${id} added`);
  for (const id of diff.edges.removed) lines.push(`wire ${id} removed`);
  for (const id of diff.edges.changed) lines.push(`wire ${id} changed`);
  for (const id of diff.connections.added) lines.push(`connection ${id} added`);
  for (const id of diff.connections.removed) lines.push(`connection ${id} removed`);
  for (const id of diff.connections.changed) lines.push(`connection ${id} changed`);
  if (diff.flow.length > 0) lines.push(`flow ${diff.flow.join(", ")} changed`);
  return lines;
}

export type DiffMark = "added" | "changed" | "moved";

/** A node that only moved is told apart from one whose content changed. */
export function nodeMarks(diff: FlowDiff): Map<string, DiffMark> {
  const marks = new Map<string, DiffMark>();
  for (const id of diff.nodes.added) marks.set(id, "added");
  for (const { id, paths } of diff.nodes.changed) marks.set(id, paths.every((p) => p === "position") ? "moved" : "changed");
  return marks;
}

const DIFF_CLASS = /(^|\s)diff-[a-z]+/g;
const hasDiffClass = (item: { className?: string | undefined }) => item.className !== undefined && /(^|\s)diff-/.test(item.className);

/** `className` without diff marks, plus `mark`'s (undefined when nothing is left). */
function marked(className: string | undefined, mark: DiffMark | undefined): string | undefined {
  const kept = (className ?? "").replace(DIFF_CLASS, "").trim();
  const next = [kept, mark ? `diff-${mark}` : ""].filter(Boolean).join(" ");
  return next || undefined;
}

function withMark<T extends { id: string; className?: string | undefined }>(item: T, mark: DiffMark | undefined): T {
  const className = marked(item.className, mark);
  if (className === item.className) return item;
  const { className: _old, ...rest } = item;
  return (className === undefined ? rest : { ...rest, className }) as T;
}

/**
 * The graph on screen with `diff` marked (undefined: no diff shown): nodes and wires added or
 * changed since the compared version get `diff-added` / `diff-changed` / `diff-moved`. Marks that
 * reached the editor's own state (React Flow hands displayed nodes back, e.g. on select-all) are
 * dropped again here, so a mark never outlives its diff. The same arrays come back when nothing is marked.
 */
export function markDiff(nodes: AiotNode[], edges: Edge[], diff: FlowDiff | undefined): { nodes: AiotNode[]; edges: Edge[] } {
  if (!diff && !nodes.some(hasDiffClass) && !edges.some(hasDiffClass)) return { nodes, edges };
  const marks = diff ? nodeMarks(diff) : new Map<string, DiffMark>();
  const edgeMarks = new Map<string, DiffMark>(diff ? [...diff.edges.added.map((id) => [id, "added"] as const), ...diff.edges.changed.map((id) => [id, "changed"] as const)] : []);
  return { nodes: nodes.map((n) => withMark(n, marks.get(n.id))), edges: edges.map((e) => withMark(e, edgeMarks.get(e.id))) };
}

export interface GhostNode {
  readonly id: string;
  readonly nodeType: string;
  readonly name?: string;
  readonly position: { readonly x: number; readonly y: number };
}

export interface GhostWire {
  readonly id: string;
  /** An end on a ghost (`ghost: true`) or on a node still on the canvas. */
  readonly from: { readonly node: string; readonly port: string; readonly ghost: boolean };
  readonly to: { readonly node: string; readonly port: string; readonly ghost: boolean };
}

/**
 * What the compared version had and the graph on screen no longer has: its removed nodes where they
 * stood, and its removed wires between nodes that are either ghosts or still on the canvas. Drawn
 * beside React Flow's nodes (DiffGhosts.tsx), never among them, so they cannot be edited, copied,
 * exported or saved.
 */
export function ghostsOf(before: FlowDocument, diff: FlowDiff, onCanvas: Iterable<string>): { nodes: GhostNode[]; wires: GhostWire[] } {
  const removed = new Set(diff.nodes.removed);
  const live = new Set(onCanvas);
  const nodes = before.nodes
    .filter((n) => removed.has(n.id))
    .map((n) => ({ id: n.id, nodeType: n.type, ...(n.name ? { name: n.name } : {}), position: { x: n.position?.x ?? 0, y: n.position?.y ?? 0 } }));
  const end = (e: { node: string; port: string }) => ({ node: e.node, port: e.port, ghost: removed.has(e.node) });
  const removedWires = new Set(diff.edges.removed);
  const wires = (before.edges ?? [])
    .filter((e) => removedWires.has(e.id) && [e.from.node, e.to.node].every((id) => removed.has(id) || live.has(id)))
    .map((e) => ({ id: e.id, from: end(e.from), to: end(e.to) }));
  return { nodes, wires };
}
