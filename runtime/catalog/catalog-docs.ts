import type { TSchema } from "typebox";
import { FAMILIES, type AnyNodeDefinition } from "../sdk/define.ts";
import { ERROR_PORT } from "../contract/ports.ts";
import type { Catalog } from "../core/validate.ts";

/** The catalog as plain JSON: what `aiotflow nodes --json` prints and the editor's palette reads. */
export function catalogJson(catalog: Catalog): object[] {
  return [...catalog.values()].map((d) => ({
    type: d.type,
    version: d.version,
    family: d.family,
    title: d.title,
    summary: d.summary,
    docs: d.docs ?? "",
    config: JSON.parse(JSON.stringify(d.config)) as object,
    inputs: d.inputs,
    outputs: { ...d.outputs, [ERROR_PORT]: { kind: "event", description: "Coded errors raised by this node." } },
    examples: d.examples,
    concurrency: d.concurrency ?? 0,
    loopSafe: d.loopSafe ?? false,
  }));
}

/** One line per node, grouped by family. */
export function catalogSummary(catalog: Catalog): string {
  const lines: string[] = [];
  for (const family of FAMILIES) {
    const members = [...catalog.values()].filter((d) => d.family === family);
    if (members.length === 0) continue;
    lines.push(`${family}`);
    for (const d of members) lines.push(`  ${d.type.padEnd(20)} ${d.summary}`);
  }
  lines.push("", "`aiotflow nodes <type>` shows a node's config fields, ports and examples.");
  return lines.join("\n");
}

/** Everything a user needs to configure one node, from its definition alone. */
export function nodeManual(d: AnyNodeDefinition): string {
  const lines = [`${d.type} (v${d.version}, ${d.family}) — ${d.title}`, "", d.summary];
  if (d.docs) lines.push("", d.docs.trim());
  lines.push("", "Config:");
  lines.push(...fieldLines(d.config, "  "));
  const ports = (title: string, entries: Array<[string, { kind: string; description: string }]>) => {
    lines.push("", `${title}:`);
    if (entries.length === 0) lines.push("  (none)");
    for (const [name, p] of entries) lines.push(`  ${name.padEnd(10)} ${p.kind.padEnd(10)} ${p.description}`);
  };
  ports("Inputs", Object.entries(d.inputs));
  ports("Outputs", [...Object.entries(d.outputs), [ERROR_PORT, { kind: "event", description: "Coded errors raised by this node." }]]);
  if (d.concurrency) lines.push("", `Runs up to ${d.concurrency} messages at once.`);
  if (d.examples.length > 0) {
    lines.push("", "Examples:");
    for (const example of d.examples) lines.push(`  ${example.title}: ${JSON.stringify(example.config)}`);
  }
  return lines.join("\n");
}

type SchemaLike = TSchema & {
  type?: string;
  description?: string;
  default?: unknown;
  unit?: string;
  minimum?: number;
  maximum?: number;
  enum?: unknown[];
  properties?: Record<string, SchemaLike>;
  required?: string[];
  items?: SchemaLike;
  anyOf?: SchemaLike[];
  const?: unknown;
};

function fieldLines(schema: SchemaLike, indent: string): string[] {
  const lines: string[] = [];
  const required = new Set(schema.required ?? []);
  for (const [name, field] of Object.entries(schema.properties ?? {})) {
    const facts = [typeName(field)];
    if (field.unit) facts.push(field.unit);
    if (field.minimum !== undefined) facts.push(`>= ${field.minimum}`);
    if (field.maximum !== undefined) facts.push(`<= ${field.maximum}`);
    if (field.default !== undefined) facts.push(`default ${JSON.stringify(field.default)}`);
    else if (!required.has(name)) facts.push("optional");
    lines.push(`${indent}${name} (${facts.join(", ")}): ${field.description ?? ""}`);
    if (field.properties) lines.push(...fieldLines(field, `${indent}    `));
    if (field.items?.properties) lines.push(...fieldLines(field.items, `${indent}    `));
    for (const variant of field.anyOf ?? []) {
      const tag = Object.values(variant.properties ?? {}).find((p) => p.const !== undefined)?.const;
      if (tag !== undefined) lines.push(`${indent}  when ${JSON.stringify(tag)}:`, ...fieldLines(variant, `${indent}    `));
    }
  }
  return lines;
}

function typeName(field: SchemaLike): string {
  if (field.enum) return field.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (field.const !== undefined) return JSON.stringify(field.const);
  if (field.type === "array") return `${field.items ? typeName(field.items) : "any"}[]`;
  if (field.anyOf) return field.anyOf.map(typeName).join(" | ");
  return field.type ?? "any";
}
