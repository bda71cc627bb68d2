import Type, { type Static } from "typebox";

/** The flow document, format v1. `flows/flow.schema.json` is generated from this (`npm run schema`). */
export const FLOW_FORMAT = "aiotflow/flow@1";

const Id = Type.String({ minLength: 1, maxLength: 128, pattern: "^[A-Za-z0-9_.:-]+$", description: "Letters, digits, _ . : -" });

export const PortRefSchema = Type.Object(
  { node: Id, port: Type.String({ minLength: 1, description: "A port name the node declares." }) },
  { additionalProperties: false },
);

export const FlowNodeSchema = Type.Object(
  {
    id: Id,
    type: Type.String({ minLength: 1, description: "A node type from the catalog (`aiotflow nodes`)." }),
    name: Type.Optional(Type.String({ description: "Label shown in the editor." })),
    config: Type.Record(Type.String(), Type.Unknown(), { default: {}, description: "Validated against the node type's schema." }),
    position: Type.Object({ x: Type.Number(), y: Type.Number() }, { additionalProperties: false, default: { x: 0, y: 0 } }),
    disabled: Type.Optional(Type.Boolean({ description: "A disabled node is not built and its wires carry nothing." })),
  },
  { additionalProperties: false },
);

export const FlowEdgeSchema = Type.Object(
  { id: Id, from: PortRefSchema, to: PortRefSchema },
  { additionalProperties: false },
);

export const ConnectionSchema = Type.Object(
  {
    type: Type.String({ minLength: 1, description: "Connection kind, e.g. mqtt-broker, opcua-endpoint, postgres." }),
    config: Type.Record(Type.String(), Type.Unknown(), { default: {} }),
  },
  { additionalProperties: false },
);

/** Hops a message may make on the wires of a loop when the flow's settings name no other limit. */
export const DEFAULT_MAX_HOPS = 64;

export const FlowSettingsSchema = Type.Object(
  {
    maxHops: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1_000_000,
        default: DEFAULT_MAX_HOPS,
        description: "How many wires of a loop one message may cross; past it the message is dropped and reported (FLOW_HOP_LIMIT).",
      }),
    ),
  },
  { additionalProperties: false, description: "Settings of the whole flow; each has a default." },
);

export const FlowDocumentSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    format: Type.Literal(FLOW_FORMAT),
    id: Id,
    name: Type.String({ minLength: 1 }),
    description: Type.Optional(Type.String()),
    nodes: Type.Array(FlowNodeSchema),
    edges: Type.Array(FlowEdgeSchema, { default: [] }),
    connections: Type.Record(Type.String(), ConnectionSchema, { default: {} }),
    settings: Type.Optional(FlowSettingsSchema),
  },
  { additionalProperties: false, $id: "https://aiotflow.dev/schema/flow@1.json", title: "aiotflow flow document v1" },
);

export type FlowDocument = Static<typeof FlowDocumentSchema>;
export type FlowNode = Static<typeof FlowNodeSchema>;
export type FlowEdge = Static<typeof FlowEdgeSchema>;
export type PortRef = Static<typeof PortRefSchema>;
export type FlowSettings = Static<typeof FlowSettingsSchema>;

/**
 * The JSON Schema file as written to flows/flow.schema.json. Fields with a default are filled in by
 * the loader, so the published schema lists them as optional.
 */
export function flowJsonSchema(): Record<string, unknown> {
  const schema = JSON.parse(JSON.stringify(FlowDocumentSchema)) as Record<string, unknown>;
  return { $schema: "https://json-schema.org/draft/2020-12/schema", ...relaxDefaults(schema) };
}

function relaxDefaults(schema: Record<string, unknown>): Record<string, unknown> {
  const properties = schema["properties"] as Record<string, Record<string, unknown>> | undefined;
  if (properties) {
    const required = (schema["required"] as string[] | undefined)?.filter((name) => properties[name]?.["default"] === undefined);
    if (required) schema["required"] = required;
    for (const child of Object.values(properties)) relaxDefaults(child);
  }
  const items = schema["items"] as Record<string, unknown> | undefined;
  if (items) relaxDefaults(items);
  const additional = schema["additionalProperties"];
  if (additional && typeof additional === "object") relaxDefaults(additional as Record<string, unknown>);
  return schema;
}
