import type { ClientSession, Variant } from "node-opcua";
import { CONNECTIONS, ConnectionRef } from "../../runtime/sdk/connections.ts";
import { AiotError, Config, defineNode, isRecord, Type } from "../../runtime/sdk/index.ts";
import { OPCUA_ENDPOINT } from "../../runtime/sdk/opcua.ts";
import { isMissingNode, loadOpcua, nodeReferenceProblem, resolveReference, VALUE_ATTRIBUTE } from "../lib/opcua/item.ts";

type NodeOpcua = Awaited<ReturnType<typeof loadOpcua>>;
/** AttributeIds.DataType (OPC UA Part 6). */
const DATA_TYPE_ATTRIBUTE = 14;

const DATA_TYPES = ["auto", "Double", "Float", "Int16", "Int32", "Int64", "UInt16", "UInt32", "Byte", "SByte", "Boolean", "String"] as const;
type WriteType = Exclude<(typeof DATA_TYPES)[number], "auto">;
const INTEGER_RANGES: Partial<Record<WriteType, [number, number]>> = {
  SByte: [-128, 127], Byte: [0, 255], Int16: [-32_768, 32_767], UInt16: [0, 65_535], Int32: [-2_147_483_648, 2_147_483_647], UInt32: [0, 4_294_967_295],
  Int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

function isWriteType(name: string): name is WriteType {
  return name !== "auto" && (DATA_TYPES as readonly string[]).includes(name);
}

/** The value as the OPC UA type wants it; MESSAGE_SHAPE_INVALID (naming the field) when it cannot be. */
function toVariant({ DataType, Variant }: NodeOpcua, value: unknown, type: WriteType, field: string): Variant {
  const wrong = (what: string) => new AiotError("MESSAGE_SHAPE_INVALID", `payload.${field} is ${JSON.stringify(value)}: ${what}`, { path: `payload.${field}` });
  if (type === "Boolean") {
    if (typeof value !== "boolean") throw wrong("a Boolean node needs true or false");
    return new Variant({ dataType: DataType.Boolean, value });
  }
  if (type === "String") return new Variant({ dataType: DataType.String, value: typeof value === "string" ? value : JSON.stringify(value) });
  if (typeof value !== "number" || !Number.isFinite(value)) throw wrong(`a ${type} node needs a finite number`);
  const range = INTEGER_RANGES[type];
  if (range && (!Number.isInteger(value) || value < range[0] || value > range[1])) throw wrong(`a ${type} node needs a whole number in [${range[0]}, ${range[1]}]`);
  return new Variant({ dataType: DataType[type], value });
}

export default defineNode({
  type: "opcua-write",
  version: 1,
  family: "sinks",
  title: "OPC UA write",
  summary: "Writes a payload field to an OPC UA variable (a setpoint, a mode) with the variable's data type; refusals go to the error port.",
  docs: `
Writes \`payload.<field>\` of each message to one variable through an \`opcua-endpoint\` connection. The
node is a NodeId (\`ns=1;s=Pump1.Setpoint\`) or a browse path from the Root folder. With \`dataType: "auto"\`
the variable's own data type is read once per session and the value is sent as that type (a number to a
Double, Float or integer variable; true/false to a Boolean); name the type to skip the lookup.

Writes go out one at a time in arrival order and are **never queued** while the server is unreachable:
a setpoint written minutes late is worse than none. Put a policy gate (approval, rate limit) in front of
this node in flows that act on machines.

Errors go to the error port (counted: \`refused\`), and the flow keeps running: the server refusing the
write (BadNotWritable, BadTypeMismatch, BadUserAccessDenied, BadOutOfRange) is OPCUA_WRITE_REFUSED with the
status; a node that does not exist is OPCUA_NODE_NOT_FOUND; a value that does not fit the type (text for a
Double, 1.5 for an Int32) is MESSAGE_SHAPE_INVALID; no connection at the time is CONNECTION_LOST.

Out (\`written\`): the message with \`meta.opcua: { nodeId, status: "Good" }\`.

Example: \`{ "connection": "pump-plc", "node": "ns=1;s=Pump1.Setpoint", "field": "setpoint" }\``,
  config: Config({
    connection: ConnectionRef("opcua-endpoint", "The flow's opcua-endpoint connection to write through."),
    node: Type.String({ minLength: 1, description: "NodeId (ns=1;s=Pump1.Setpoint) or browse path from the Root folder (/Objects/1:Pump1/1:Setpoint) of the variable." }),
    field: Type.String({ minLength: 1, widget: "field", description: "Payload field holding the value to write." }),
    dataType: Type.Enum(DATA_TYPES, { default: "auto", description: "OPC UA data type to write; auto reads the variable's data type first." }),
  }),
  inputs: { in: { kind: "any", description: "Messages carrying the value to write." } },
  outputs: { written: { kind: "any", description: "Messages whose value the server accepted, with meta.opcua." } },
  concurrency: 1,
  orderBy: "key",
  examples: [
    { title: "Pump speed setpoint", config: { connection: "pump-plc", node: "ns=1;s=Pump1.Setpoint", field: "setpoint" } },
    { title: "Operating mode by browse path", config: { connection: "pump-plc", node: "/Objects/1:Pump1/1:Mode", field: "mode", dataType: "Int32" } },
  ],
  check(config) {
    const problem = nodeReferenceProblem(config.node);
    return problem ? [{ path: "node", message: problem }] : [];
  },
  create(config, ctx) {
    const lease = ctx.use(CONNECTIONS).acquire(OPCUA_ENDPOINT, config.connection, ctx);
    /** Per session: the resolved NodeId and the type to write as (found once, then reused). */
    let target: { session: ClientSession; nodeId: string; type: WriteType } | undefined;

    async function targetFor(session: ClientSession, { DataType, NodeId }: NodeOpcua): Promise<{ nodeId: string; type: WriteType }> {
      if (target?.session === session) return target;
      const nodeId = await resolveReference(session, config.node);
      let type: WriteType | undefined = isWriteType(config.dataType) ? config.dataType : undefined;
      if (type === undefined) {
        const read = await session.read({ nodeId, attributeId: DATA_TYPE_ATTRIBUTE });
        if (isMissingNode(read.statusCode)) throw new AiotError("OPCUA_NODE_NOT_FOUND", `node ${nodeId} does not exist on the server (${read.statusCode.name})`, { nodeId, path: "config.node" });
        const dataTypeId: unknown = read.value.value;
        // Built-in types are ns=0 numeric ids equal to the DataType enum (i=11 is Double).
        const name = dataTypeId instanceof NodeId && dataTypeId.namespace === 0 && typeof dataTypeId.value === "number" ? DataType[dataTypeId.value] : undefined;
        if (name === undefined || !isWriteType(name)) {
          throw new AiotError("OPCUA_WRITE_REFUSED", `node ${nodeId} has data type ${name ?? String(dataTypeId)}, which auto cannot write; set dataType`, { nodeId, path: "config.dataType" });
        }
        type = name;
      }
      target = { session, nodeId, type };
      return target;
    }

    return {
      start() {
        lease.open();
      },
      async onMessage(msg) {
        const link = lease.client;
        if (!link) {
          ctx.metrics.count("refused");
          throw new AiotError("CONNECTION_LOST", `not connected to connection "${config.connection}" (${lease.state.reason ?? lease.state.state}); the value was not written`, { connection: config.connection });
        }
        if (!isRecord(msg.payload) || !Object.hasOwn(msg.payload, config.field)) {
          throw new AiotError("MESSAGE_SHAPE_INVALID", `payload has no field "${config.field}" to write`, { path: `payload.${config.field}` });
        }
        const opcua = await loadOpcua();
        const { nodeId, type } = await targetFor(link.session, opcua);
        const status = await link.session.write({ nodeId, attributeId: VALUE_ATTRIBUTE, value: { value: toVariant(opcua, msg.payload[config.field], type, config.field) } });
        if (!status.isGood()) {
          ctx.metrics.count("refused");
          const code = isMissingNode(status) ? "OPCUA_NODE_NOT_FOUND" : "OPCUA_WRITE_REFUSED";
          throw new AiotError(code, `writing ${JSON.stringify(msg.payload[config.field])} to ${nodeId} was refused: ${status.name}`, { nodeId, status: status.name });
        }
        ctx.metrics.count("written");
        ctx.emit("written", { ...msg, meta: { ...msg.meta, opcua: { nodeId, status: status.name } } });
      },
      async close() {
        await lease.release();
      },
    };
  },
});
