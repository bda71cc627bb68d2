import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Compile from "typebox/compile";
import { FLOW_FORMAT, FlowDocumentSchema, flowJsonSchema } from "./flow-format.ts";

const check = Compile(FlowDocumentSchema);
const minimal = { format: FLOW_FORMAT, id: "pump-line-3", name: "Pump line 3", nodes: [], edges: [], connections: {} };
const node = { id: "in", type: "mqtt-in", config: {}, position: { x: 0, y: 0 } };

describe("FlowDocumentSchema", () => {
  it("accepts a complete minimal document and one with nodes, edges and connections", () => {
    assert.ok(check.Check(minimal));
    assert.ok(check.Check({
      ...minimal,
      nodes: [node, { ...node, id: "out", type: "debug", name: "Show", disabled: true }],
      edges: [{ id: "e1", from: { node: "in", port: "out" }, to: { node: "out", port: "in" } }],
      connections: { broker: { type: "mqtt-broker", config: { url: "mqtt://localhost" } } },
    }));
  });

  const refused: Array<[string, unknown]> = [
    ["another format", { ...minimal, format: "aiotflow/flow@2" }],
    ["an id with a slash", { ...minimal, id: "line/3" }],
    ["an empty id", { ...minimal, id: "" }],
    ["an id longer than 128 characters", { ...minimal, id: "x".repeat(129) }],
    ["an empty name", { ...minimal, name: "" }],
    ["an unknown top-level field", { ...minimal, owner: "me" }],
    ["a node with an unknown field", { ...minimal, nodes: [{ ...node, colour: "red" }] }],
    ["a node without a type", { ...minimal, nodes: [{ id: "in", config: {}, position: { x: 0, y: 0 } }] }],
    ["an edge without a port", { ...minimal, edges: [{ id: "e1", from: { node: "in" }, to: { node: "out", port: "in" } }] }],
    ["a connection without a type", { ...minimal, connections: { broker: { config: {} } } }],
  ];
  for (const [name, document] of refused) it(`refuses ${name}`, () => assert.equal(check.Check(document), false));
});

describe("flowJsonSchema", () => {
  const schema = flowJsonSchema() as { $schema: string; required: string[]; properties: Record<string, { items?: { required?: string[] } }> };

  it("is a draft 2020-12 schema with the document's id", () => {
    assert.equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
    assert.equal((schema as { $id?: string }).$id, "https://aiotflow.dev/schema/flow@1.json");
  });

  it("lists fields the loader fills in with defaults as optional", () => {
    assert.deepEqual(schema.required, ["format", "id", "name", "nodes"]);
    assert.deepEqual(schema.properties["nodes"]!.items!.required, ["id", "type"]);
    assert.deepEqual(schema.properties["edges"]!.items!.required, ["id", "from", "to"]);
  });

  it("leaves the TypeBox schema itself as it was", () => {
    flowJsonSchema();
    assert.ok(FlowDocumentSchema.required?.includes("edges"), "the loader's own schema still requires what it defaults");
  });
});
