/**
 * A save refused with 409 VERSION_CONFLICT, read from the API's error details (`base`, `latest`,
 * `diff`: what changed from the version the edit started from to the latest one).
 */
import type { FlowDiff } from "../../../runtime/contract/flow-records.ts";

export interface ConflictVersion {
  readonly version: number;
  readonly author: string;
  readonly createdAt: string;
  readonly message: string;
}

export interface Conflict {
  readonly base: number;
  readonly latest: ConflictVersion;
  readonly diff: FlowDiff;
  /** The save message the user typed, kept for "save on top". */
  readonly message: string;
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);
const isChanges = (value: unknown) => isObject(value) && ["added", "removed", "changed"].every((key) => Array.isArray(value[key]));

function diffOf(value: unknown): FlowDiff | undefined {
  if (!isObject(value) || !isChanges(value["nodes"]) || !isChanges(value["edges"])) return undefined;
  const nodes = value["nodes"] as Record<string, unknown[]>;
  const changedNodesOk = nodes["changed"]!.every((c) => isObject(c) && typeof c["id"] === "string" && Array.isArray(c["paths"]));
  if (!changedNodesOk) return undefined;
  const empty = { added: [], removed: [], changed: [] };
  return {
    nodes: value["nodes"] as FlowDiff["nodes"],
    edges: value["edges"] as FlowDiff["edges"],
    connections: isChanges(value["connections"]) ? (value["connections"] as FlowDiff["connections"]) : empty,
    flow: Array.isArray(value["flow"]) ? (value["flow"] as string[]) : [],
  };
}

/** The conflict in a refused save's error details, or undefined when they do not hold a well-formed one. */
export function conflictOf(details: Readonly<Record<string, unknown>>, message: string): Conflict | undefined {
  const { base, latest } = details;
  const diff = diffOf(details["diff"]);
  if (typeof base !== "number" || !isObject(latest) || !diff) return undefined;
  const { version, author, createdAt } = latest;
  if (typeof version !== "number" || typeof author !== "string" || typeof createdAt !== "string") return undefined;
  const saved = typeof latest["message"] === "string" ? latest["message"] : "";
  return { base, latest: { version, author, createdAt, message: saved }, diff, message };
}
