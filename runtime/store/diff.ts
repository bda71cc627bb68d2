import type { FlowDocument } from "../core/flow-format.ts";
import { canonicalJson } from "./canonical.ts";
import type { FlowDiff } from "./types.ts";

const PARTS = new Set(["nodes", "edges", "connections"]);

/**
 * What changed from `a` to `b`: nodes, edges and connections added, removed and changed (matched
 * by id, or by name for connections), and the top-level fields that changed. For a changed node,
 * the JSON paths that differ: `name`, `position`, `type`, `disabled`, and inside the config down
 * to the leaf (`config.window.sizeMs`, `config.fields[2]`). Pure: nothing is mutated.
 *
 * @example
 * diffFlows(v1, v2).nodes.changed // [{ id: "avg", paths: ["config.window.sizeMs"] }]
 */
export function diffFlows(a: FlowDocument, b: FlowDocument): FlowDiff {
  const before = new Map(a.nodes.map((node) => [node.id, node]));
  const after = new Map(b.nodes.map((node) => [node.id, node]));
  const changedNodes: Array<{ id: string; paths: string[] }> = [];
  for (const [id, node] of after) {
    const old = before.get(id);
    if (!old) continue;
    const paths = unionKeys(old, node)
      .filter((key) => key !== "id")
      .flatMap((key) => (key === "config" ? changedPaths(old.config, node.config, "config") : same(field(old, key), field(node, key)) ? [] : [key]));
    if (paths.length > 0) changedNodes.push({ id, paths });
  }
  return {
    nodes: { added: [...after.keys()].filter((id) => !before.has(id)), removed: [...before.keys()].filter((id) => !after.has(id)), changed: changedNodes },
    edges: compareById(new Map(a.edges.map((edge) => [edge.id, edge])), new Map(b.edges.map((edge) => [edge.id, edge]))),
    connections: compareById(new Map(Object.entries(a.connections)), new Map(Object.entries(b.connections))),
    flow: unionKeys(a, b).filter((key) => !PARTS.has(key) && !same(field(a, key), field(b, key))),
  };
}

function compareById(before: ReadonlyMap<string, unknown>, after: ReadonlyMap<string, unknown>): { added: string[]; removed: string[]; changed: string[] } {
  return {
    added: [...after.keys()].filter((id) => !before.has(id)),
    removed: [...before.keys()].filter((id) => !after.has(id)),
    changed: [...after.keys()].filter((id) => before.has(id) && !same(before.get(id), after.get(id))),
  };
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
