/**
 * What the generic property form needs from a JSON Schema: which widget a field gets, and immutable
 * updates of the config at a path. No node type is ever named here.
 */
import type { JsonSchema } from "./catalog.ts";

export type Widget = "enum" | "const" | "string" | "number" | "boolean" | "string-list" | "enum-list" | "object" | "object-list" | "variants" | "json";

export function widgetOf(field: JsonSchema): Widget {
  if (field.enum) return "enum";
  if (field.const !== undefined) return "const";
  if (field.anyOf) return field.anyOf.some((v) => v.properties) ? "variants" : "json";
  switch (field.type) {
    case "string":
      return "string";
    case "number":
    case "integer":
      return "number";
    case "boolean":
      return "boolean";
    case "object":
      return field.properties ? "object" : "json";
    case "array":
      if (field.items?.enum) return "enum-list";
      if (field.items?.properties) return "object-list";
      return field.items?.type === "string" ? "string-list" : "json";
    default:
      return "json";
  }
}

/** A union branch's tag: the property with a `const` (discriminated unions), if it has one. */
export function variantTag(variant: JsonSchema): readonly [string, unknown] | undefined {
  const entry = Object.entries(variant.properties ?? {}).find(([, p]) => p.const !== undefined);
  return entry ? [entry[0], entry[1].const] : undefined;
}

/** The option value of a union branch in the form's select: its tag, else its position. */
export function variantKey(variant: JsonSchema, index: number): string {
  const tag = variantTag(variant);
  return String(tag ? tag[1] : index);
}

/** What the select shows for a union branch: its schema title, else its tag, else its position. */
export function variantLabel(variant: JsonSchema, index: number): string {
  const tag = variantTag(variant);
  return variant.title ?? (tag ? String(tag[1]) : `option ${index + 1}`);
}

/** The value a newly picked branch starts with: its tag, or its required fields empty, so the branch is recognised. */
export function variantStart(variant: JsonSchema): Record<string, unknown> {
  const tag = variantTag(variant);
  if (tag) return { [tag[0]]: tag[1] };
  return Object.fromEntries((variant.required ?? []).map((key) => [key, ""]));
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);

/** A copy of `config` with `path` set to `value`; `undefined` removes the key (the default applies again). */
export function setAt(config: Record<string, unknown>, path: readonly string[], value: unknown): Record<string, unknown> {
  const [head, ...rest] = path;
  if (head === undefined) return config;
  const copy = { ...config };
  const next = rest.length === 0 ? value : setAt(isRecord(copy[head]) ? (copy[head] as Record<string, unknown>) : {}, rest, value);
  if (next === undefined) delete copy[head];
  else copy[head] = next;
  return copy;
}

export function getAt(config: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((v, key) => (isRecord(v) ? v[key] : undefined), config);
}

/** Number input text -> value: empty clears the field; integers stay integers. */
export function parseNumber(text: string, field: JsonSchema): number | undefined | { error: string } {
  if (text.trim() === "") return undefined;
  const n = Number(text);
  if (!Number.isFinite(n)) return { error: "not a number" };
  if (field.type === "integer" && !Number.isInteger(n)) return { error: "must be a whole number" };
  if (field.minimum !== undefined && n < field.minimum) return { error: `must be >= ${field.minimum}` };
  if (field.maximum !== undefined && n > field.maximum) return { error: `must be <= ${field.maximum}` };
  return n;
}

/**
 * What a number input stores: the parsed number, or, when the text is not acceptable, the typed
 * value itself (a number when it is one, else the text) so that nothing is dropped silently: the
 * runtime's validation then refuses the save naming the node and field, and reopening shows it.
 */
export function numberInputValue(text: string, field: JsonSchema): { value: unknown; error?: string } {
  const parsed = parseNumber(text, field);
  if (parsed === undefined || typeof parsed === "number") return { value: parsed };
  const n = Number(text);
  return { value: text.trim() !== "" && Number.isFinite(n) ? n : text, error: parsed.error };
}

/** One entry per non-empty line. */
export function parseLines(text: string): string[] {
  return text.split("\n").map((l) => l.trim()).filter(Boolean);
}
