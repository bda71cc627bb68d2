/**
 * The API's problems in the editor's words: a JSON path like `nodes[2].config.clear` names the node
 * (its name and id) and the field, `$` (the whole document) is said plainly, and hints that point to
 * the command line point to the editor instead. Plain TS, no React.
 */

/** What a node is called on the canvas: its name when it has one, else its id. */
export interface NamedNode {
  readonly id: string;
  readonly name?: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);

/** The id and name of each node of a document not yet checked (anything without an id keeps its index with an empty id). */
export function namedNodesOf(document: unknown): NamedNode[] {
  const nodes = isRecord(document) && Array.isArray(document["nodes"]) ? document["nodes"] : [];
  return nodes.map((n: unknown) => {
    const id = isRecord(n) && typeof n["id"] === "string" ? n["id"] : "";
    const name = isRecord(n) && typeof n["name"] === "string" ? n["name"] : undefined;
    return name !== undefined ? { id, name } : { id };
  });
}

const NODE_PATH = /nodes\[(\d+)\](?:\.config)?\.?/g;

const label = (node: NamedNode) => (node.name && node.name !== node.id ? `“${node.name}” (${node.id})` : `“${node.id}”`);

/**
 * A path as the user reads it: `nodes[2].config.clear` -> `node “Threshold” (t1), field clear`;
 * `$` or empty -> "" (the problem is about the whole document). An index with no node keeps the raw path.
 */
export function describePath(path: string | undefined, nodes: readonly NamedNode[] = []): string {
  if (path === undefined || path === "" || path === "$") return "";
  return path.replace(NODE_PATH, (whole: string, index: string, offset: number) => {
    const node = nodes[Number(index)];
    if (!node?.id) return whole;
    const rest = path.slice(offset + whole.length);
    return rest === "" ? `node ${label(node)}` : `node ${label(node)}, field `;
  });
}

/** Also rewrites node paths that occur inside a message (`must be <= raise` stays as it is). */
export function describeText(text: string, nodes: readonly NamedNode[] = []): string {
  return text.replace(/nodes\[(\d+)\](?:\.config)?((?:\.[A-Za-z0-9_$]+|\[\d+\])*)/g, (whole: string, index: string, rest: string) => {
    const node = nodes[Number(index)];
    if (!node?.id) return whole;
    const field = rest.replace(/^\./, "");
    return field === "" ? `node ${label(node)}` : `node ${label(node)}, field ${field}`;
  });
}

/** Ids of the nodes that problems point at, for marking them on the canvas. */
export function problemNodeIds(problems: ReadonlyArray<{ readonly path?: string }>, nodes: readonly NamedNode[]): string[] {
  const ids = new Set<string>();
  for (const p of problems) {
    for (const match of (p.path ?? "").matchAll(/nodes\[(\d+)\]/g)) {
      const node = nodes[Number(match[1])];
      if (node) ids.add(node.id);
    }
  }
  return [...ids];
}

/** Hints written for the command line, said the editor's way; other codes keep the server's hint. */
const EDITOR_HINTS: Readonly<Record<string, string>> = {
  FLOW_UNKNOWN_NODE_TYPE: "Pick a node from the palette instead; this type is not installed on the server.",
  FLOW_EDGE_UNKNOWN_PORT: "Wire a port the node shows on the canvas.",
  NODE_CONFIG_INVALID: "Correct the value in the node's form; the docs beside the form explain every field.",
};

export function editorHint(code: string | undefined, serverHint: string | undefined): string | undefined {
  return (code !== undefined ? EDITOR_HINTS[code] : undefined) ?? serverHint;
}

/**
 * The nodes the last refused save pointed at, so the canvas can mark them until a save succeeds.
 * A tiny external store (subscribe/snapshot) for React's useSyncExternalStore; no React here.
 */
export class RefusedNodes {
  #ids: ReadonlySet<string> = new Set();
  readonly #listeners = new Set<() => void>();

  /** Replaces the marked nodes; an empty list clears them (after a successful save). */
  set(ids: readonly string[]): void {
    if (ids.length === 0 && this.#ids.size === 0) return;
    this.#ids = new Set(ids);
    for (const listener of this.#listeners) listener();
  }
  readonly snapshot = (): ReadonlySet<string> => this.#ids;
  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  };
}

/** The editor's one store of refused nodes (api.ts fills it on save; node views read it). */
export const refusedNodes = new RefusedNodes();
