/** The real catalog as GET /api/catalog serves it, and the demo flow, for the graph tests. */
import { readFileSync } from "node:fs";
import { loadCatalog } from "../../runtime/catalog/catalog.ts";
import { catalogJson } from "../../runtime/catalog/catalog-docs.ts";
import type { FlowDocument } from "../../runtime/contract/flow-format.ts";
import { SHIPPED_FLOWS_DIR } from "../../runtime/catalog/paths.ts";
/** A connection type whose schema the form tests render. */
export { default as mqttBrokerConnection } from "../../runtime/connections/types/mqtt-broker.ts";
import { catalogOf, type Catalog, type CatalogNode } from "../../editor/src/graph/catalog.ts";

export async function realCatalog(): Promise<{ nodes: CatalogNode[]; catalog: Catalog }> {
  // Through JSON, exactly as the browser receives it.
  const nodes = JSON.parse(JSON.stringify(catalogJson(await loadCatalog()))) as CatalogNode[];
  return { nodes, catalog: catalogOf(nodes) };
}

export function demoFlow(): FlowDocument {
  return JSON.parse(readFileSync(`${SHIPPED_FLOWS_DIR}/pump-monitoring.json`, "utf8")) as FlowDocument;
}
