/**
 * What changed between two flow documents, and how the canvas shows it: the same answer as the
 * API's diff route (runtime/store/diff.ts, whose hashing needs node:crypto and so stays server
 * side), computed in the browser so an unsaved graph can be compared with any saved version.
 * Added and changed nodes get a class; removed ones come back as ghosts drawn beside the graph.
 */
import type { Edge } from "@xyflow/react";
import type { FlowDocument } from "../../../runtime/core/flow-format.ts";
import type { FlowDiff } from "../../../runtime/store/types.ts";
import type { AiotNode } from "./mapping.ts";

export type { FlowDiff };

/** Compared part by part, or (format, $schema) not a change a user made. */
const PARTS = new Set(["nodes", "edges", "connections", "format", "$schema"]);

/**
 * JSON with keys sorted at every depth: equal values give equal text whatever the key order. As
 * JSON.stringify (undefined fields dropped, null in arrays), written out by hand: the replacer form
 * was the cost of the unsaved marker and the live diff on a 300-node flow.
 */
export function canonical(value: unknown): string {
  return write(value, false) ?? "undefined";
}

function write(value: unknown, inArray: boolean): string | undefined {
  if (value === undefined || typeof value === "function" || typeof value === "symbol") return inArray ? "null" : undefined;
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  const withJson = value as { toJSON?: () => unknown };
  if (typeof withJson.toJSON === "function") return write(withJson.toJSON(), inArray);
  if (Array.isArray(value)) return `[${value.map((item) => write(item, true)).join(",")}]`;
  const parts: string[] = [];
  for (const key of Object.keys(value).sort()) {
    const text = write((value as Record<string, unknown>)[key], false);
    if (text !== undefined) parts.push(`${JSON.stringify(key)}:${text}`);
  }
  return `{${parts.join(",")}}`;
}

const same = (x: unknown, y: unknown) => canonical(x) === canonical(y);
const field = (value: object, key: string): unknown => Object.getOwnPropertyDescriptor(value, key)?.value;
const unionKeys = (x: object, y: object) => [...new Set([...Object.keys(x), ...Object.keys(y)])].sort();
const isPlainObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);

function joinKey(path: string, key: string): string {
  if (/^[A-Za-z_$][\w$]*$/.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key)}]`;
}

/** Paths of the leaves that differ, descending into objects and arrays (`config.window.sizeMs`, `config.fields[2]`). */
export function changedPaths(x: unknown, y: unknown, path: string): string[] {
  if (same(x, y)) return [];
  if (isPlainObject(x) && isPlainObject(y)) return unionKeys(x, y).flatMap((key) => changedPaths(field(x, key), field(y, key), joinKey(path, key)));
  if (Array.isArray(x) && Array.isArray(y)) {
    return Array.from({ length: Math.max(x.length, y.length) }, (_, i) => changedPaths(x[i], y[i], `${path}[${i}]`)).flat();
  }
  return [path];
}

function compareById(before: ReadonlyMap<string, unknown>, after: ReadonlyMap<string, unknown>) {
  return {
    added: [...after.keys()].filter((id) => !before.has(id)),
    removed: [...before.keys()].filter((id) => !after.has(id)),
    changed: [...after.keys()].filter((id) => before.has(id) && !same(before.get(id), after.get(id))),
  };
}

/** From `before` to `after`; a missing config, edge list or connection map counts as empty. */
export function diffDocuments(before: FlowDocument, after: FlowDocument): FlowDiff {
  const old = new Map(before.nodes.map((n) => [n.id, { ...n, config: n.config ?? {} }]));
  const now = new Map(after.nodes.map((n) => [n.id, { ...n, config: n.config ?? {} }]));
  const changed: Array<{ id: string; paths: string[] }> = [];
  for (const [id, node] of now) {
    const was = old.get(id);
    // Most nodes are untouched: one comparison each before looking for paths.
    if (!was || same(was, node)) continue;
    const paths = unionKeys(was, node)
      .filter((key) => key !== "id")
      .flatMap((key) => (key === "config" ? changedPaths(was.config, node.config, "config") : same(field(was, key), field(node, key)) ? [] : [key]));
    if (paths.length > 0) changed.push({ id, paths });
  }
  return {
    nodes: { added: [...now.keys()].filter((id) => !old.has(id)), removed: [...old.keys()].filter((id) => !now.has(id)), changed },
    edges: compareById(new Map((before.edges ?? []).map((e) => [e.id, e])), new Map((after.edges ?? []).map((e) => [e.id, e]))),
    connections: compareById(new Map(Object.entries(before.connections ?? {})), new Map(Object.entries(after.connections ?? {}))),
    flow: unionKeys(before, after).filter((key) => !PARTS.has(key) && !same(field(before, key), field(after, key))),
  };
}

export function diffIsEmpty(diff: FlowDiff): boolean {
  const { nodes, edges, connections, flow } = diff;
  return [nodes.added, nodes.removed, nodes.changed, edges.added, edges.removed, edges.changed, connections.added, connections.removed, connections.changed, flow].every(
    (list) => list.length === 0,
  );
}

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
  const text = canonical(value) ?? String(value);
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
