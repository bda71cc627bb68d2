/** Body and answer of POST /api/flows/fields: a lenient flow document in, fields per node out. */
import { Type } from "typebox";

const Names = Type.Array(Type.String());
const PortRef = Type.Object({ node: Type.String(), port: Type.String() });

/** Only what the field propagation reads; the rest of a flow document may come along unchecked. */
export const FieldsDocumentSchema = Type.Object({
  nodes: Type.Array(
    Type.Object({
      id: Type.String({ minLength: 1 }),
      type: Type.String({ minLength: 1 }),
      config: Type.Optional(Type.Unknown()),
      disabled: Type.Optional(Type.Boolean()),
    }),
    { maxItems: 5000 },
  ),
  edges: Type.Optional(Type.Array(Type.Object({ from: PortRef, to: PortRef }), { maxItems: 20000 })),
});

export const FlowFieldsSchema = Type.Object({
  nodes: Type.Record(Type.String(), Type.Object({ inputs: Names, outputs: Type.Record(Type.String(), Names) }), {
    description: "Node id -> fields arriving at its inputs, and fields leaving each of its outputs.",
  }),
  problems: Type.Array(Type.Object({ node: Type.String(), message: Type.String() }), { description: "Nodes whose fieldsOut failed." }),
});
