/**
 * Import and export of whole flow documents. Reading an import only sorts out what the text is:
 * the flow format itself is checked by the server (POST /api/flows/validate, the same rules as a
 * save), so the editor never keeps a second copy of them. A Node-RED export is recognised and refused
 * by name: there is no Node-RED importer yet.
 */
import type { FlowDocument } from "../../../runtime/contract/flow-format.ts";
import type { Catalog } from "./catalog.ts";
import { lacksPositions, layoutGraph } from "./layout.ts";
import { flowToGraph, graphToFlow, type Graph } from "./mapping.ts";

/** One reason an import is refused, shaped like the API's problems. */
export interface ImportProblem {
  readonly code: string;
  readonly path?: string;
  readonly message: string;
  readonly hint?: string;
}

export type ImportRead =
  | { readonly kind: "flow"; readonly document: unknown }
  | { readonly kind: "refused"; readonly problems: readonly ImportProblem[] };

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** Node-RED exports are arrays of nodes carrying `type` plus `wires` (nodes) or `z` (their tab); `/flows` v2 wraps them in `{ rev, flows }`. */
function nodeRedNodes(value: unknown): unknown[] | undefined {
  const list = isRecord(value) && Array.isArray(value["flows"]) ? value["flows"] : value;
  if (!Array.isArray(list) || list.length === 0) return undefined;
  const looksLikeNodeRed = list.every((n) => isRecord(n) && typeof n["type"] === "string") && list.some((n) => isRecord(n) && ("wires" in n || "z" in n));
  return looksLikeNodeRed ? list : undefined;
}

export function readImport(text: string): ImportRead {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { kind: "refused", problems: [{ code: "IMPORT_NOT_JSON", path: "$", message: `the text is not JSON: ${reason}`, hint: "Paste or choose the .json file of an aiotflow flow (format aiotflow/flow@1)." }] };
  }
  const nodeRed = nodeRedNodes(value);
  if (nodeRed) {
    return {
      kind: "refused",
      problems: [{
        code: "IMPORT_NODE_RED_UNAVAILABLE", path: "$",
        message: `this is a Node-RED export (${nodeRed.length} nodes): Node-RED import is not available yet`,
        hint: "Rebuild the flow from the palette, or import an aiotflow flow document (format aiotflow/flow@1).",
      }],
    };
  }
  if (!isRecord(value)) {
    return { kind: "refused", problems: [{ code: "IMPORT_NOT_A_FLOW", path: "$", message: `expected a flow document (a JSON object), got ${Array.isArray(value) ? "an array" : typeof value}`, hint: "An aiotflow flow is an object with format \"aiotflow/flow@1\", id, name, nodes and edges." }] };
  }
  return { kind: "flow", document: value };
}

/** The graph of a document the server accepted, laid out when its nodes have no positions of their own. */
export function importedGraph(document: FlowDocument, catalog: Catalog): { graph: Graph; laidOut: boolean } {
  const graph = flowToGraph(document);
  if (!lacksPositions(document.nodes)) return { graph, laidOut: false };
  return { graph: { ...graph, nodes: layoutGraph(graph.nodes, graph.edges, catalog) }, laidOut: true };
}

/** The file an export downloads: the same document a save stores. */
export function exportFile(graph: Graph): { fileName: string; text: string } {
  const document = graphToFlow(graph);
  return { fileName: `${document.id}.json`, text: `${JSON.stringify(document, null, 2)}\n` };
}
