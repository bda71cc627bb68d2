/**
 * Where a debug message came from: the paths of nodes that feed a node, from the sources (nodes
 * with no incoming wire) to it, computed from the graph; and the lineage the runtime and the nodes
 * wrote into the message's `meta` (its source node, the model that scored it...).
 */
import type { WireLike } from "./fields.ts";

export interface Lineage {
  /** Nodes without inputs that reach the target, in the order their first path was found. */
  readonly sources: readonly string[];
  /** Each path as node ids, source first, target last. */
  readonly paths: ReadonlyArray<readonly string[]>;
  /** True when more than `limit` paths exist and only the first ones are listed. */
  readonly truncated: boolean;
}

/** Every path into `target` (each node at most once per path, so cycles end), up to `limit` paths. */
export function lineageOf(target: string, wires: readonly WireLike[], limit = 20): Lineage {
  const into = new Map<string, string[]>();
  for (const w of wires) {
    const list = into.get(w.target) ?? [];
    if (!list.includes(w.source)) list.push(w.source);
    into.set(w.target, list);
  }
  const paths: string[][] = [];
  let truncated = false;
  const walk = (node: string, after: string[]) => {
    if (truncated) return;
    const path = [node, ...after];
    const feeders = (into.get(node) ?? []).filter((n) => !path.includes(n));
    if (feeders.length === 0) {
      if (after.length === 0) return; // the target itself with nothing upstream
      if (paths.length >= limit) truncated = true;
      else paths.push(path);
      return;
    }
    for (const feeder of feeders) walk(feeder, path);
  };
  walk(target, []);
  return { sources: [...new Set(paths.map((p) => p[0]!))], paths, truncated };
}

/** `meta` entries that say where a message comes from; nodes add these as they pass it on. */
export const META_LINEAGE_KEYS = ["source", "sources", "lineage", "model", "modelVersion", "gateway", "origin", "via"];

export function metaLineage(meta: unknown): Array<[string, unknown]> {
  if (meta === null || typeof meta !== "object" || Array.isArray(meta)) return [];
  const record = meta as Record<string, unknown>;
  return META_LINEAGE_KEYS.filter((k) => record[k] !== undefined).map((k) => [k, record[k]]);
}

/** Paths that start at the source the message itself names (`meta.source`), else all of them. */
export function pathsFrom(lineage: Lineage, metaSource: unknown): ReadonlyArray<readonly string[]> {
  if (typeof metaSource !== "string") return lineage.paths;
  const matching = lineage.paths.filter((p) => p[0] === metaSource);
  return matching.length > 0 ? matching : lineage.paths;
}
