import { readdirSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { AnyConnectionDefinition } from "../sdk/connections.ts";
import { AiotError } from "../sdk/errors.ts";

/** Connection types by name (mqtt-broker, opcua-endpoint, ...). */
export type ConnectionTypes = ReadonlyMap<string, AnyConnectionDefinition>;

const TYPES_DIR = join(dirname(fileURLToPath(import.meta.url)), "types");
/** `.ts` when run from source (tsx), `.js` when run from the compiled dist/. */
const EXTENSION = extname(fileURLToPath(import.meta.url));

function isConnectionDefinition(value: unknown): value is AnyConnectionDefinition {
  const v = value as Partial<AnyConnectionDefinition> | undefined;
  return !!v && typeof v.type === "string" && typeof v.open === "function" && typeof v.config === "object";
}

/**
 * Discovers the connection types in runtime/connections/types/ (one file per type, its default
 * export a `defineConnection`, the file named after the type): no hand-kept list to forget.
 */
export async function loadConnectionTypes(extra: readonly AnyConnectionDefinition[] = [], root = TYPES_DIR): Promise<ConnectionTypes> {
  const types = new Map<string, AnyConnectionDefinition>();
  const files = readdirSync(root)
    .filter((name) => name.endsWith(EXTENSION) && !name.endsWith(`.test${EXTENSION}`) && !name.endsWith(".d.ts"))
    .sort();
  for (const name of files) {
    const module = (await import(pathToFileURL(join(root, name)).href)) as { default?: unknown };
    if (!isConnectionDefinition(module.default)) continue;
    if (module.default.type !== basename(name, EXTENSION)) {
      throw new AiotError("CONNECTION_TYPE_INVALID", `connection type "${module.default.type}" must equal its file name "${basename(name, EXTENSION)}"`, { file: join(root, name) });
    }
    types.set(module.default.type, module.default);
  }
  for (const definition of extra) {
    if (types.has(definition.type)) throw new AiotError("CONNECTION_TYPE_INVALID", `connection type "${definition.type}" is defined twice`, { type: definition.type });
    types.set(definition.type, definition);
  }
  return types;
}
