import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { Catalog, JsonSchema } from "./catalog.ts";
import { graphProblems, missingConfig } from "./config-check.ts";
import { demoFlow, realCatalog } from "../../../test/support/editor-fixtures.ts";
import { flowToGraph } from "./mapping.ts";

describe("missing required config", () => {
  let catalog: Catalog;
  before(async () => ({ catalog } = await realCatalog()));
  const schemaOf = (type: string): JsonSchema => catalog.get(type)!.config;

  it("lists required fields that have no value and no default", () => {
    assert.deepEqual(missingConfig(schemaOf("threshold"), {}), ["field", "raise", "clear"], "mode has a default");
    assert.deepEqual(missingConfig(schemaOf("sliding-window"), {}), ["fields"]);
    assert.deepEqual(missingConfig(schemaOf("debug"), {}), [], "every debug field has a default");
  });

  it("counts an empty string or list below its minimum as missing", () => {
    assert.deepEqual(missingConfig(schemaOf("threshold"), { field: "", raise: 1, clear: 0 }), ["field"]);
    assert.deepEqual(missingConfig(schemaOf("sliding-window"), { fields: [] }), ["fields"]);
    assert.deepEqual(missingConfig(schemaOf("sliding-window"), { fields: ["vibration"] }), []);
  });

  it("looks into the items of a list of objects (a rule added but not filled in)", () => {
    assert.deepEqual(missingConfig(schemaOf("range-check"), { rules: [{}] }), ["rules.0.field"]);
    assert.deepEqual(missingConfig(schemaOf("range-check"), { rules: [{ field: "temperature" }, { field: "" }, "junk"] }), ["rules.1.field", "rules.2.field"]);
    assert.deepEqual(missingConfig(schemaOf("range-check"), { rules: [{ field: "temperature", max: 150 }] }), []);
  });

  it("looks into nested objects and the chosen branch of a discriminated union", () => {
    const schema: JsonSchema = {
      type: "object",
      required: ["broker"],
      properties: { broker: { type: "object", required: ["url", "port"], properties: { url: { type: "string" }, port: { type: "integer", default: 1883 } } } },
    };
    assert.deepEqual(missingConfig(schema, { broker: {} }), ["broker.url"]);
    assert.deepEqual(missingConfig(schemaOf("sliding-window"), { fields: ["v"], window: { by: "time", sizeMs: 1000 } }), [], "the other fields have defaults");
  });

  it("finds no problem in the demo flow, and names the node that has one", () => {
    const graph = flowToGraph(demoFlow());
    assert.deepEqual(graphProblems(graph.nodes, catalog), []);
    const broken = graph.nodes.map((n) => (n.id === "vibration-alarm" ? { ...n, data: { ...n.data, config: { mode: "high" } } } : n));
    assert.deepEqual(graphProblems(broken, catalog), [{ node: "vibration-alarm", missing: ["field", "raise", "clear"] }]);
  });
});
