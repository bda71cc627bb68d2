import { Type } from "typebox";
import { catalogJson } from "../../catalog/catalog-docs.ts";
import type { ApiDeps } from "../deps.ts";
import { ApiError } from "../http-errors.ts";
import { defineRoute, type Route } from "../route.ts";
import { CatalogNodeSchema } from "../schemas.ts";

export function catalogRoutes({ catalog }: ApiDeps): Route[] {
  // The catalog is fixed for the life of the server: render it once.
  const byType = new Map([...catalog].map(([type, definition]) => [type, catalogJson(new Map([[type, definition]]))[0]]));
  const nodes = [...byType.values()];
  return [
    defineRoute({
      method: "get",
      path: "/api/catalog",
      operationId: "catalog.list",
      tag: "catalog",
      summary: "Every node type: config JSON Schema, ports, docs, examples",
      access: "viewer",
      responses: { 200: { description: "The palette.", schema: Type.Object({ nodes: Type.Array(CatalogNodeSchema) }) } },
      handler: () => ({ body: { nodes } }),
    }),
    defineRoute({
      method: "get",
      path: "/api/catalog/:type",
      operationId: "catalog.get",
      tag: "catalog",
      summary: "One node type",
      access: "viewer",
      responses: { 200: { description: "The node type.", schema: Type.Object({ node: CatalogNodeSchema }) } },
      handler: (ctx) => {
        const type = ctx.param("type");
        const node = byType.get(type);
        if (!node) throw new ApiError("NOT_FOUND", `no node type "${type}" in the catalog`, { path: "type" });
        return { body: { node } };
      },
    }),
  ];
}
