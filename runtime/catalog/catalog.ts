import { existsSync, readdirSync } from "node:fs";
import { basename, dirname, extname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { AnyNodeDefinition } from "../sdk/define.ts";
import { AiotError } from "../sdk/errors.ts";
import type { Catalog } from "../core/validate.ts";

export type { Catalog };

const NODES_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "nodes");
/** `.ts` when run from source (tsx), `.js` when run from the compiled dist/. */
const EXTENSION = extname(fileURLToPath(import.meta.url));
/** Helpers several node families share: never a node, never loaded by the catalog. */
const LIBRARY_DIR = "lib";

/** A value that looks like what `defineNode` returns. */
function isNodeDefinition(value: unknown): value is AnyNodeDefinition {
  const v = value as Partial<AnyNodeDefinition> | undefined;
  return !!v && typeof v.type === "string" && typeof v.create === "function" && typeof v.config === "object";
}

/** A node's definition module and the type it must define (its file or folder name). */
export interface NodeFile {
  readonly type: string;
  readonly file: string;
}

/**
 * Every node definition under nodes/<family>/: `<type>.ts` for a simple node, `<type>/index.ts` for
 * one whose parts live in its own folder. Parts inside a node folder and helpers in nodes/lib/ are
 * not definitions and are never listed, so the catalog imports definitions only.
 */
export function nodeFiles(root = NODES_DIR): NodeFile[] {
  const found: NodeFile[] = [];
  for (const family of readdirSync(root, { withFileTypes: true })) {
    if (!family.isDirectory() || family.name === LIBRARY_DIR) continue;
    for (const entry of readdirSync(join(root, family.name), { withFileTypes: true })) {
      const path = join(root, family.name, entry.name);
      if (entry.isDirectory()) {
        const index = join(path, `index${EXTENSION}`);
        // A node folder without its index (renamed, or helpers put in the wrong place) must not
        // vanish from the catalog without a word.
        if (!existsSync(index)) {
          throw new AiotError("CATALOG_INVALID", `${relative(process.cwd(), path)}: a node folder needs index${EXTENSION} holding its definition; helpers several nodes share belong in nodes/lib/`);
        }
        found.push({ type: entry.name, file: index });
      } else if (entry.isFile() && entry.name.endsWith(EXTENSION) && !entry.name.endsWith(`.test${EXTENSION}`) && !entry.name.endsWith(".d.ts")) {
        found.push({ type: basename(entry.name, EXTENSION), file: path });
      }
    }
  }
  return found.sort((a, b) => a.file.localeCompare(b.file));
}

export interface CatalogOptions {
  readonly root?: string;
  /**
   * Load only these node types (each lives in the file of its name): a headless runtime loads what its
   * flow uses, not every node module and its libraries. A type with no file loads everything, so the
   * flow's validation can still suggest the type that was meant.
   */
  readonly types?: Iterable<string> | undefined;
}

/**
 * Discovers the node catalog from the files in nodes/: no hand-kept list to forget to update.
 * `extra` adds definitions that live elsewhere (benchmarks, tests, plug-ins).
 */
export async function loadCatalog(extra: readonly AnyNodeDefinition[] = [], options: CatalogOptions = {}): Promise<Catalog> {
  const root = options.root ?? NODES_DIR;
  const extraTypes = new Set(extra.map((d) => d.type));
  const wanted = options.types ? new Set([...options.types].filter((t) => !extraTypes.has(t))) : undefined;
  let files = nodeFiles(root);
  if (wanted) {
    const named = files.filter((node) => wanted.has(node.type));
    if (named.length === wanted.size) files = named;
  }
  const catalog = new Map<string, AnyNodeDefinition>();
  const add = (definition: AnyNodeDefinition, origin: string) => {
    const existing = catalog.get(definition.type);
    if (existing) throw new AiotError("CATALOG_INVALID", `node type "${definition.type}" is defined twice (${origin})`);
    catalog.set(definition.type, definition);
  };
  for (const { type, file } of files) {
    const module = (await import(pathToFileURL(file).href)) as { default?: unknown };
    const where = relative(process.cwd(), file);
    if (!isNodeDefinition(module.default)) {
      throw new AiotError("CATALOG_INVALID", `${where}: no node definition as its default export; a helper belongs in the node's own folder or in nodes/lib/`);
    }
    if (module.default.type !== type) {
      throw new AiotError("CATALOG_INVALID", `${where}: node type "${module.default.type}" must equal its file or folder name "${type}"`);
    }
    add(module.default, where);
  }
  for (const definition of extra) add(definition, "extra");
  return catalog;
}
