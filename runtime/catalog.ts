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

/**
 * Discovers the node catalog from the files in nodes/: no hand-kept list to forget to update.
 * `extra` adds definitions that live elsewhere (benchmarks, tests, plug-ins).
 */
export async function loadCatalog(extra: readonly AnyNodeDefinition[] = [], root = NODES_DIR): Promise<Catalog> {
  const catalog = new Map<string, AnyNodeDefinition>();
  const add = (definition: AnyNodeDefinition, origin: string) => {
    const existing = catalog.get(definition.type);
    if (existing) throw new Error(`node type "${definition.type}" is defined twice (${origin})`);
    catalog.set(definition.type, definition);
  };
  for (const file of nodeFiles(root)) {
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
