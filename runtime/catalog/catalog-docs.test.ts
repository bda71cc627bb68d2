import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Config, defineNode, Secret, Type, type AnyNodeDefinition } from "../sdk/index.ts";
import { catalogJson, catalogSummary, nodeManual } from "./catalog-docs.ts";

const scale = defineNode({
  type: "scale", version: 2, family: "util", title: "Scale", summary: "Multiplies a field.",
  docs: "\nMultiplies `field` by `factor`.\n",
  config: Config({
    field: Type.String({ description: "Field to scale." }),
    factor: Type.Number({ default: 1, minimum: 0, maximum: 100, unit: "x", description: "Multiplier." }),
    note: Type.Optional(Type.String({ description: "Free text." })),
    mode: Type.Enum(["fast", "exact"], { default: "exact", description: "Rounding." }),
    limits: Type.Object({ low: Type.Number({ default: 0, description: "Lowest." }) }, { default: {}, description: "Bounds." }),
    rules: Type.Array(Type.Object({ when: Type.String({ description: "Condition." }) }), { default: [], description: "Rules." }),
    window: Type.Union([
      Type.Object({ by: Type.Literal("count"), count: Type.Integer({ default: 10, description: "Readings." }) }),
      Type.Object({ by: Type.Literal("time"), sizeMs: Type.Integer({ default: 1000, unit: "ms", description: "Length." }) }),
    ], { default: { by: "count", count: 10 }, description: "Window." }),
    password: Type.Optional(Secret("Password.")),
  }),
  inputs: { in: { kind: "reading", description: "Readings." } },
  outputs: { out: { kind: "reading", description: "Scaled readings." } },
  concurrency: 4,
  examples: [{ title: "Double", config: { field: "v", factor: 2 } }],
  create: () => ({}),
});
const source = defineNode({
  type: "ticker", version: 1, family: "sources", title: "Ticker", summary: "Emits a tick.", config: Config({}), inputs: {},
  outputs: { out: { kind: "event", description: "Ticks." } }, examples: [], loopSafe: true, create: () => ({}),
});
const catalog = new Map<string, AnyNodeDefinition>([[scale.type, scale], [source.type, source]]);

describe("catalogJson", () => {
  const [scaleJson, sourceJson] = catalogJson(catalog) as Array<Record<string, unknown>>;

  it("gives each node as plain JSON, its config schema included", () => {
    assert.deepEqual([scaleJson!["type"], scaleJson!["version"], scaleJson!["family"], scaleJson!["title"], scaleJson!["summary"]], ["scale", 2, "util", "Scale", "Multiplies a field."]);
    assert.deepEqual(JSON.parse(JSON.stringify(scaleJson!["config"])), JSON.parse(JSON.stringify(scale.config)));
    assert.deepEqual(scaleJson!["examples"], scale.examples);
    assert.deepEqual(scaleJson!["inputs"], scale.inputs);
  });

  it("lists the implicit error output with every node's own", () => {
    assert.deepEqual(Object.keys(scaleJson!["outputs"] as object), ["out", "error"]);
    assert.deepEqual((sourceJson!["outputs"] as Record<string, unknown>)["error"], { kind: "event", description: "Coded errors raised by this node." });
  });

  it("fills what a definition leaves out: no docs, no concurrency, not loop-safe", () => {
    assert.deepEqual([sourceJson!["docs"], sourceJson!["concurrency"], sourceJson!["loopSafe"]], ["", 0, true]);
    assert.deepEqual([scaleJson!["concurrency"], scaleJson!["loopSafe"]], [4, false]);
  });

  it("gives an empty list for an empty catalog", () => assert.deepEqual(catalogJson(new Map()), []));
});

describe("catalogSummary", () => {
  it("lists one line per node under its family, families in palette order, empty ones left out", () => {
    assert.equal(catalogSummary(catalog), [
      "sources",
      "  ticker               Emits a tick.",
      "util",
      "  scale                Multiplies a field.",
      "",
      "`aiotflow nodes <type>` shows a node's config fields, ports and examples.",
    ].join("\n"));
  });
});

describe("nodeManual", () => {
  const manual = nodeManual(scale).split("\n");

  it("starts with type, version, family, title, summary and the docs", () => {
    assert.deepEqual(manual.slice(0, 5), ["scale (v2, util) — Scale", "", "Multiplies a field.", "", "Multiplies `field` by `factor`."]);
  });

  it("lists every config field with its type, unit, bounds and default, or that it is optional", () => {
    for (const line of [
      "  field (string): Field to scale.",
      "  factor (number, x, >= 0, <= 100, default 1): Multiplier.",
      "  note (string, optional): Free text.",
      '  mode ("fast" | "exact", default "exact"): Rounding.',
      "  password (object, optional): Password.",
    ]) assert.ok(manual.includes(line), `missing: ${line}`);
  });

  it("lists nested objects, array items and each union variant under their field", () => {
    const at = (line: string) => manual.indexOf(line);
    assert.ok(at("      low (number, default 0): Lowest.") > at("  limits (object, default {}): Bounds."));
    assert.ok(at("      when (string): Condition.") > at("  rules (object[], default []): Rules."));
    assert.ok(at('    when "time":') > at('    when "count":'));
    assert.ok(at("      sizeMs (integer, ms, default 1000): Length.") > at('    when "time":'));
  });

  it("lists ports with the error output, how many messages run at once, and the examples", () => {
    const text = manual.join("\n");
    assert.match(text, /Inputs:\n {2}in {9}reading {4}Readings\./);
    assert.match(text, /Outputs:\n {2}out {8}reading {4}Scaled readings\.\n {2}error {6}event {6}Coded errors raised by this node\./);
    assert.match(text, /Runs up to 4 messages at once\./);
    assert.match(text, /Examples:\n {2}Double: \{"field":"v","factor":2\}$/);
  });

  it("says a source has no inputs, and leaves out what a node does not have", () => {
    const text = nodeManual(source);
    assert.match(text, /Inputs:\n {2}\(none\)/);
    assert.doesNotMatch(text, /Runs up to|Examples:/);
  });
});
