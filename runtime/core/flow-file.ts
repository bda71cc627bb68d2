import { readFileSync } from "node:fs";
import { findNodeAtLocation, parseTree, type Node as JsonNode } from "jsonc-parser";
import { AiotError, errorMessage } from "../sdk/errors.ts";
import { parseFlowText, validateFlow, type Catalog, type ValidFlow } from "./validate.ts";

export interface FlowFileProblem {
  readonly error: AiotError;
  /** `file:line:column` of the offending value when it can be found in the text. */
  readonly location: string;
}

export type FlowFileResult = { ok: true; value: ValidFlow; text: string } | { ok: false; problems: FlowFileProblem[] };

/** Reads, parses and validates a flow file; every problem comes back with its line and column. */
export function loadFlowFile(file: string, catalog: Catalog): FlowFileResult {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory, not a flow file" : errorMessage(error);
    return { ok: false, problems: [{ error: new AiotError("FLOW_FILE_UNREADABLE", `cannot read flow: ${reason}`, { file }), location: file }] };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a byte-order mark, as Windows editors write
  const parsed = parseFlowText(text, file);
  if (!parsed.ok) return { ok: false, problems: parsed.errors.map((error) => ({ error, location: String(error.details.file ?? file) })) };
  const result = validateFlow(parsed.value, catalog);
  if (result.ok) return { ok: true, value: result.value, text };
  const tree = parseTree(text);
  return { ok: false, problems: result.errors.map((error) => ({ error, location: locate(file, text, tree, error.details.path) })) };
}

/** The node types a flow file names; undefined when the file cannot tell (unreadable, not a flow): load them all. */
export function nodeTypesOf(file: string): string[] | undefined {
  try {
    const nodes = (JSON.parse(readFileSync(file, "utf8").replace(/^\uFEFF/, "")) as { nodes?: unknown }).nodes;
    if (!Array.isArray(nodes)) return undefined;
    const types = nodes.map((n) => (n && typeof n === "object" ? (n as { type?: unknown }).type : undefined));
    return types.every((t): t is string => typeof t === "string") ? [...new Set(types)] : undefined;
  } catch {
    return undefined;
  }
}

/** `nodes[3].config.size` -> `file:line:col` of that value (or of its nearest existing parent). */
export function locate(file: string, text: string, tree: JsonNode | undefined, path: string | undefined): string {
  if (!tree || !path || path === "$") return file;
  const segments: Array<string | number> = [];
  for (const part of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) segments.push(part[2] !== undefined ? Number(part[2]) : part[1]!);
  for (let length = segments.length; length >= 0; length--) {
    const node = findNodeAtLocation(tree, segments.slice(0, length));
    if (node) {
      const offset = node.parent?.type === "property" ? node.parent.offset : node.offset;
      const before = text.slice(0, offset);
      return `${file}:${before.split("\n").length}:${offset - before.lastIndexOf("\n")}`;
    }
  }
  return file;
}
