/**
 * The catalog as the editor reads it from GET /api/catalog (runtime/catalog/catalog-docs.ts `catalogJson`),
 * and the JSON Schema subset the form renderer and the config checks understand.
 */
import type { PortKind } from "../../../runtime/contract/ports.ts";

export interface PortInfo {
  readonly kind: PortKind;
  readonly description: string;
}

export interface JsonSchema {
  readonly type?: string;
  /** A union branch's name in the form (e.g. "File" / "Secret store"). */
  readonly title?: string;
  readonly description?: string;
  readonly default?: unknown;
  readonly unit?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly minItems?: number;
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly items?: JsonSchema;
  readonly anyOf?: readonly JsonSchema[];
  readonly secret?: boolean;
  /** UI hint from the node's schema, e.g. "field": the string names a payload field. */
  readonly widget?: string;
  /** The string names one of the flow's connections of this type (the runtime's `ConnectionRef`). */
  readonly connection?: string;
}

export interface CatalogNode {
  readonly type: string;
  readonly version: number;
  readonly family: string;
  readonly title: string;
  readonly summary: string;
  readonly docs: string;
  readonly config: JsonSchema;
  readonly inputs: Readonly<Record<string, PortInfo>>;
  readonly outputs: Readonly<Record<string, PortInfo>>;
  /** May sit in a loop (it delays or drops): the wiring advice never offers it as a converter. */
  readonly loopSafe?: boolean;
  readonly examples: ReadonlyArray<{ readonly title: string; readonly description?: string; readonly config: Record<string, unknown> }>;
}

export type Catalog = ReadonlyMap<string, CatalogNode>;

/** Family order of the palette (runtime/sdk/define.ts FAMILIES); unknown families go last. */
export const FAMILY_ORDER = ["sources", "cleaners", "windows", "inference", "gates", "kpi", "sinks", "util"];

export function catalogOf(nodes: readonly CatalogNode[]): Catalog {
  return new Map(nodes.map((n) => [n.type, n]));
}

/** Palette groups: families in FAMILY_ORDER, members matching `search` (type, title or summary). */
export function paletteGroups(nodes: readonly CatalogNode[], search: string): Array<{ family: string; nodes: CatalogNode[] }> {
  const words = search.toLowerCase().split(/\s+/).filter(Boolean);
  const matches = (n: CatalogNode) => words.every((w) => `${n.type} ${n.title} ${n.summary} ${n.family}`.toLowerCase().includes(w));
  const rank = (family: string) => (FAMILY_ORDER.includes(family) ? FAMILY_ORDER.indexOf(family) : FAMILY_ORDER.length);
  const families = [...new Set(nodes.map((n) => n.family))].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return families
    .map((family) => ({ family, nodes: nodes.filter((n) => n.family === family && matches(n)).sort((a, b) => a.title.localeCompare(b.title)) }))
    .filter((group) => group.nodes.length > 0);
}
