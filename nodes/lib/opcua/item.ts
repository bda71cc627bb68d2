import type { ClientSession, DataValue, StatusCode } from "node-opcua";
import { AiotError } from "../../../runtime/sdk/index.ts";

type NodeOpcua = typeof import("node-opcua");
let loading: Promise<NodeOpcua> | undefined;
/**
 * node-opcua, loaded on first use: it takes a second or more to import and prints a crypto warning,
 * and every `aiotflow run` loads the whole node catalog, OPC UA or not.
 */
export function loadOpcua(): Promise<NodeOpcua> {
  return (loading ??= import("node-opcua"));
}

/** NodeId strings (OPC UA Part 6, 5.3.1.10): `ns=1;s=Pump1.Speed`, `i=2258`, `nsu=urn:x;s=a`, GUID and opaque ids. */
const NODE_ID = /^(?:(?:ns=\d+|nsu=[^;]+);)?(?:i=\d+|s=.+|g=[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|b=[A-Za-z0-9+/]+={0,2})$/;
/** Browse path segments from Root: `/Objects/1:Pump1/1:Speed` (a namespace index prefix is optional). */
const BROWSE_PATH = /^(?:\/(?:\d+:)?[^/]+)+$/;

/** A config's node reference: a NodeId (`ns=1;s=Pump1.Speed`) or a browse path from Root (`/Objects/1:Pump1/1:Speed`). */
export function isBrowsePath(node: string): boolean {
  return node.startsWith("/");
}

/** Why a node reference cannot be used, or undefined when it parses (checked when the flow loads). */
export function nodeReferenceProblem(node: string): string | undefined {
  if (isBrowsePath(node) ? BROWSE_PATH.test(node) : NODE_ID.test(node)) return undefined;
  return `"${node}" is neither a NodeId (ns=1;s=Pump1.Speed, i=2258) nor a browse path (/Objects/1:Pump1/1:Speed)`;
}

/** The NodeId a reference names on this server; OPCUA_NODE_NOT_FOUND when a browse path leads nowhere. */
export async function resolveReference(session: ClientSession, node: string): Promise<string> {
  const { makeBrowsePath, resolveNodeId } = await loadOpcua();
  if (!isBrowsePath(node)) return resolveNodeId(node).toString();
  const result = await session.translateBrowsePath(makeBrowsePath("RootFolder", node));
  const target = result.targets?.[0]?.targetId;
  if (!result.statusCode.isGood() || !target) {
    throw new AiotError("OPCUA_NODE_NOT_FOUND", `browse path ${node} leads to no node on the server (${result.statusCode.name})`, { nodeId: node });
  }
  return target.toString();
}

export type Quality = "Good" | "Uncertain" | "Bad";

/** OPC UA severity: the top two bits of a status code (00 Good, 01 Uncertain, 1x Bad). */
export function qualityOf(status: StatusCode): Quality {
  const severity = status.value >>> 30;
  return severity === 0 ? "Good" : severity === 1 ? "Uncertain" : "Bad";
}

/** Status codes that mean "this node is not there" rather than "its value is bad right now". */
export function isMissingNode(status: StatusCode): boolean {
  return status.name === "BadNodeIdUnknown" || status.name === "BadNodeIdInvalid" || status.name === "BadAttributeIdInvalid";
}

/** A value the engine can carry as JSON: numbers, strings, booleans, dates as ms, arrays of those. */
export function plainValue(dataValue: DataValue): unknown {
  const value: unknown = dataValue.value?.value;
  if (value instanceof Date) return value.getTime();
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  if (typeof value === "bigint") return Number(value);
  if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === "number")) return value; // Int64 as [high, low]
  return value ?? null;
}

/** AttributeIds.Value (OPC UA Part 6), without loading node-opcua for one number. */
export const VALUE_ATTRIBUTE = 13;
