import { canonicalJson } from "./canonical.ts";
import type { FlowDocument } from "./flow-format.ts";
import type { FlowDiff } from "./flow-records.ts";

/** Compared part by part, or (format, $schema) not a change a user made. */
const PARTS = new Set(["nodes", "edges", "connections", "format", "$schema"]);

/**
 * What changed from `before` to `after`: nodes, edges and connections added, removed and changed
 * (matched by id, or by name for connections), and the top-level fields that changed. For a changed
 * node, the JSON paths that differ: `name`, `position`, `type`, `disabled`, and inside the config
 * down to the leaf (`config.window.sizeMs`, `config.fields[2]`). A missing config, edge list or
 * connection map counts as empty, so a half-built graph in the editor compares like a stored flow.
 * Pure: nothing is mutated. The API's version diff and the editor's live diff are this function.
 *
 * @example
 * diffFlows(v1, v2).nodes.changed // [{ id: "avg", paths: ["config.window.sizeMs"] }]
 */
export function diffFlows(before: FlowDocument, after: FlowDocument): FlowDiff {
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

/** Paths of the leaves that differ between `x` and `y`, descending into objects and arrays. */
export function changedPaths(x: unknown, y: unknown, path: string): string[] {
  if (same(x, y)) return [];
  if (isPlainObject(x) && isPlainObject(y)) return unionKeys(x, y).flatMap((key) => changedPaths(field(x, key), field(y, key), joinKey(path, key)));
  if (Array.isArray(x) && Array.isArray(y)) {
    return Array.from({ length: Math.max(x.length, y.length) }, (_, i) => changedPaths(x[i], y[i], `${path}[${i}]`)).flat();
  }
  return [path];
}

function compareById(before: ReadonlyMap<string, unknown>, after: ReadonlyMap<string, unknown>): { added: string[]; removed: string[]; changed: string[] } {
  return {
    added: [...after.keys()].filter((id) => !before.has(id)),
    removed: [...before.keys()].filter((id) => !after.has(id)),
    changed: [...after.keys()].filter((id) => before.has(id) && !same(before.get(id), after.get(id))),
  };
}

function joinKey(path: string, key: string): string {
  if (/^[A-Za-z_$][\w$]*$/.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key)}]`;
}

function same(x: unknown, y: unknown): boolean {
  return canonicalJson(x) === canonicalJson(y);
}

function field(value: object, key: string): unknown {
  return Object.getOwnPropertyDescriptor(value, key)?.value;
}

function unionKeys(x: object, y: object): string[] {
  return [...new Set([...Object.keys(x), ...Object.keys(y)])].sort();
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
