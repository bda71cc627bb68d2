import { readdirSync } from "node:fs";
import { basename, dirname, extname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { AnyNodeDefinition } from "./sdk/define.ts";
import type { Catalog } from "./core/validate.ts";

export type { Catalog };

const NODES_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "nodes");
/** `.ts` when run from source (tsx), `.js` when run from the compiled dist/. */
const EXTENSION = extname(fileURLToPath(import.meta.url));

/** A value that looks like what `defineNode` returns. */
function isNodeDefinition(value: unknown): value is AnyNodeDefinition {
  const v = value as Partial<AnyNodeDefinition> | undefined;
  return !!v && typeof v.type === "string" && typeof v.create === "function" && typeof v.config === "object";
}

/** Every node file under nodes/<family>/ (tests and helper modules without a default node are skipped). */
export function nodeFiles(root = NODES_DIR): string[] {
  return readdirSync(root, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(EXTENSION) && !e.name.endsWith(`.test${EXTENSION}`) && !e.name.endsWith(".d.ts"))
    .map((e) => join(e.parentPath, e.name))
    .sort();
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
    const named = files.filter((file) => wanted.has(basename(file, EXTENSION)));
    if (named.length === wanted.size) files = named;
  }
  const catalog = new Map<string, AnyNodeDefinition>();
  const add = (definition: AnyNodeDefinition, origin: string) => {
    const existing = catalog.get(definition.type);
    if (existing) throw new Error(`node type "${definition.type}" is defined twice (${origin})`);
    catalog.set(definition.type, definition);
  };
  for (const file of files) {
    const module = (await import(pathToFileURL(file).href)) as { default?: unknown };
    if (!isNodeDefinition(module.default)) continue;
    if (module.default.type !== basename(file, EXTENSION)) {
      throw new Error(`${relative(process.cwd(), file)}: node type "${module.default.type}" must equal the file name`);
    }
    add(module.default, file);
  }
  for (const definition of extra) add(definition, "extra");
  return catalog;
}
