/**
 * Registry-wide checks: every node in nodes/ documents every config field, its examples validate,
 * its defaults parse, its port kinds are known and a test sits beside it.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { basename, dirname } from "node:path";
import { describe, it } from "node:test";
import Compile from "typebox/compile";
import Value from "typebox/value";
import { loadCatalog, nodeFiles } from "../runtime/catalog/catalog.ts";
import { FAMILIES, isPortKind, parseConfig, type TSchema } from "../runtime/sdk/index.ts";

const catalog = await loadCatalog();

type Schema = TSchema & { description?: string; default?: unknown; properties?: Record<string, Schema>; items?: Schema; anyOf?: Schema[] };

/** Paths of config fields (nested objects, array items, union variants) that have no description. */
function undocumented(schema: Schema, path: string): string[] {
  const missing: string[] = [];
  for (const [name, field] of Object.entries(schema.properties ?? {})) {
    const at = path ? `${path}.${name}` : name;
    if (!field.description?.trim()) missing.push(at);
    missing.push(...undocumented(field, at));
    if (field.items) missing.push(...undocumented(field.items, `${at}[]`));
    for (const variant of field.anyOf ?? []) missing.push(...undocumented(variant, at));
  }
  return missing;
}

/** Every `default` in the schema, with the schema it must satisfy. */
function defaults(schema: Schema, path: string): Array<{ path: string; schema: Schema; value: unknown }> {
  const found: Array<{ path: string; schema: Schema; value: unknown }> = [];
  if (schema.default !== undefined) found.push({ path, schema, value: schema.default });
  for (const [name, field] of Object.entries(schema.properties ?? {})) found.push(...defaults(field, `${path}.${name}`));
  if (schema.items) found.push(...defaults(schema.items, `${path}[]`));
  for (const variant of schema.anyOf ?? []) found.push(...defaults(variant, path));
  return found;
}

/** Paths of `widget: "field"` hints that are not on a string (the editor's field picker fills strings). */
function misplacedFieldWidgets(schema: Schema & { widget?: unknown; type?: unknown }, path: string): string[] {
  const found: string[] = schema.widget === "field" && schema.type !== "string" ? [path] : [];
  for (const [name, field] of Object.entries(schema.properties ?? {})) found.push(...misplacedFieldWidgets(field, path ? `${path}.${name}` : name));
  if (schema.items) found.push(...misplacedFieldWidgets(schema.items, `${path}[]`));
  for (const variant of schema.anyOf ?? []) found.push(...misplacedFieldWidgets(variant, path));
  return found;
}

describe("node registry", () => {
  it("discovers at least the first nodes of every shipped family", () => {
    for (const type of ["simulated-sensor", "range-check", "map", "sliding-window", "tumbling-window", "threshold", "debug"]) {
      assert.ok(catalog.has(type), `missing ${type}`);
    }
  });

  it("places each node in nodes/<family>/<type>.ts or <type>/index.ts with a test beside it", () => {
    const files = nodeFiles();
    assert.equal(files.length, catalog.size);
    for (const { type, file } of files) {
      const definition = catalog.get(type)!;
      const familyDir = basename(file) === "index.ts" ? dirname(dirname(file)) : dirname(file);
      assert.equal(basename(familyDir), definition.family, `${file}: family "${definition.family}" must match its folder`);
      assert.ok(FAMILIES.includes(definition.family));
      assert.ok(existsSync(file.replace(/\.ts$/, ".test.ts")), `${file} has no test beside it`);
    }
  });

  for (const definition of catalog.values()) {
    describe(definition.type, () => {
      it("has a title, a summary and docs", () => {
        assert.ok(definition.title.trim() && definition.summary.trim() && definition.docs?.trim(), "title, summary and docs are required");
        assert.ok(Number.isInteger(definition.version) && definition.version >= 1);
      });

      it("documents every config field", () => {
        assert.deepEqual(undocumented(definition.config as Schema, ""), []);
      });

      it("has defaults that satisfy their own field schemas", () => {
        for (const { path, schema, value } of defaults(definition.config as Schema, "config")) {
          // A nested object's default is completed by its fields' own defaults, as the loader does.
          const completed = Value.Default(schema, Value.Clone(value));
          assert.ok(Compile(schema).Check(completed), `${definition.type} ${path}: default ${JSON.stringify(value)} does not validate`);
        }
      });

      it("has examples that validate", () => {
        assert.ok(definition.examples.length > 0, "at least one example");
        for (const example of definition.examples) {
          const result = parseConfig(definition, example.config);
          assert.ok(result.ok, `example "${example.title}": ${result.ok ? "" : result.errors.map(String).join("; ")}`);
        }
      });

      it("puts field pickers on strings, and declares output fields only for its own ports", () => {
        assert.deepEqual(misplacedFieldWidgets(definition.config as Schema, ""), []);
        if (!definition.fieldsOut) return;
        for (const example of definition.examples) {
          const parsed = parseConfig(definition, example.config);
          assert.ok(parsed.ok);
          const declared = definition.fieldsOut(parsed.config, ["upstream_a", "upstream_b"]);
          const lists = Array.isArray(declared) ? [declared] : Object.values(declared);
          if (!Array.isArray(declared)) for (const port of Object.keys(declared)) assert.ok(port in definition.outputs, `example "${example.title}": fieldsOut names port ${port}, which is not an output`);
          for (const list of lists) assert.ok(Array.isArray(list) && list.every((f) => typeof f === "string" && f.length > 0), `example "${example.title}": fieldsOut gives field names`);
        }
      });

      it("declares ports with known kinds and descriptions", () => {
        for (const [name, port] of [...Object.entries(definition.inputs), ...Object.entries(definition.outputs)]) {
          assert.ok(isPortKind(port.kind), `port ${name}: unknown kind ${port.kind}`);
          assert.ok(port.description.trim(), `port ${name} needs a description`);
        }
      });
    });
  }
});
