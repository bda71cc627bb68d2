/**
 * "Missing required config": fields the node's config JSON Schema requires that have no value and
 * no default to fall back on, found with the same schema the runtime validates against.
 */
import type { Catalog, JsonSchema } from "./catalog.ts";
import type { AiotNode } from "./mapping.ts";

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);

/** Dotted paths (`window.count`, `rules`) of required fields that are absent or empty. */
export function missingConfig(schema: JsonSchema, config: unknown, prefix = ""): string[] {
  const value = isRecord(config) ? config : {};
  const missing: string[] = [];
  const required = new Set(schema.required ?? []);
  for (const [name, field] of Object.entries(schema.properties ?? {})) {
    const path = prefix ? `${prefix}.${name}` : name;
    const present = value[name];
    if (present === undefined) {
      if (required.has(name) && field.default === undefined) missing.push(path);
      continue;
    }
    if (isEmpty(field, present)) missing.push(path);
    else missing.push(...nested(field, present, path));
  }
  return missing;
}

function isEmpty(field: JsonSchema, value: unknown): boolean {
  if (typeof value === "string") return value.length < (field.minLength ?? 0);
  if (Array.isArray(value)) return value.length < (field.minItems ?? 0);
  return false;
}

function nested(field: JsonSchema, value: unknown, path: string): string[] {
  if (field.properties) return missingConfig(field, value, path);
  // Items of a list of objects (`rules.0.field`, as the form's paths read) are checked like the config itself.
  const items = field.items;
  if (Array.isArray(value) && (items?.properties || items?.anyOf)) return value.flatMap((item, i) => nested(items, item, `${path}.${i}`));
  const variant = field.anyOf ? chosenVariant(field.anyOf, value) : undefined;
  return variant ? missingConfig(variant, value, path) : [];
}

/**
 * The anyOf branch whose `const` tag matches the value (discriminated unions); among those, the one
 * that has every key of the value (untagged unions such as { file } | { $secret }); else the first.
 */
export function chosenVariant(variants: readonly JsonSchema[], value: unknown): JsonSchema | undefined {
  const objects = variants.filter((v) => v.properties);
  if (!isRecord(value)) return objects[0];
  const tagged = objects.filter((v) => Object.entries(v.properties ?? {}).every(([k, p]) => p.const === undefined || value[k] === p.const));
  const hasKeys = (v: JsonSchema) => Object.keys(value).every((k) => Object.hasOwn(v.properties ?? {}, k));
  return tagged.find(hasKeys) ?? tagged[0] ?? objects[0];
}

export interface NodeProblem {
  readonly node: string;
  readonly missing: string[];
}

/** Every node on the canvas with missing config (unknown types are reported by the server). */
export function graphProblems(nodes: readonly AiotNode[], catalog: Catalog): NodeProblem[] {
  return nodes.flatMap((n) => {
    const entry = catalog.get(n.data.nodeType);
    const missing = entry ? missingConfig(entry.config, n.data.config) : [];
    return missing.length > 0 ? [{ node: n.id, missing }] : [];
  });
}
