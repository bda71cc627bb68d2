import { Type } from "typebox";
import { isAiotError } from "../../sdk/errors.ts";
import { AssetBodySchema, AssetSchema, type AssetStore } from "../../store/assets.ts";
import type { ApiDeps } from "../deps.ts";
import { ApiError } from "../http-errors.ts";
import { defineRoute, type Route } from "../route.ts";

const PARAMS = { id: "Asset id (letters, digits, _ . : -); equals the message key of its readings." };

/**
 * The asset/signal registry: assets and their signals with units and valid ranges, read by nodes
 * (unit-convert, sources) through the ASSETS service. Viewers read, editors change (as for flows).
 */
export function assetRoutes({ assets }: ApiDeps): Route[] {
  const registry = (): AssetStore => {
    if (!assets) throw new ApiError("SERVICE_UNAVAILABLE", "this server keeps no asset registry", {}, 503);
    return assets;
  };
  const target = (param: (name: string) => string) => `asset:${param("id")}`;
  const notFound = (id: string) => new ApiError("ASSET_NOT_FOUND", `no asset "${id}"`, { path: "id" }, 404);
  return [
    defineRoute({
      method: "get",
      path: "/api/assets",
      operationId: "asset.list",
      tag: "assets",
      summary: "Every asset with its signals",
      access: "viewer",
      responses: { 200: { description: "The assets.", schema: Type.Object({ assets: Type.Array(AssetSchema) }) } },
      errors: { 503: "The server keeps no asset registry." },
      handler: () => ({ body: { assets: registry().list() } }),
    }),
    defineRoute({
      method: "get",
      path: "/api/assets/:id",
      operationId: "asset.get",
      tag: "assets",
      summary: "One asset with its signals, units and valid ranges",
      access: "viewer",
      params: PARAMS,
      responses: { 200: { description: "The asset.", schema: Type.Object({ asset: AssetSchema }) } },
      errors: { 404: "No such asset (ASSET_NOT_FOUND).", 503: "The server keeps no asset registry." },
      handler: (ctx) => {
        const asset = registry().get(ctx.param("id"));
        if (!asset) throw notFound(ctx.param("id"));
        return { body: { asset } };
      },
    }),
    defineRoute({
      method: "put",
      path: "/api/assets/:id",
      operationId: "asset.put",
      tag: "assets",
      summary: "Create or replace an asset (units are checked against the units library)",
      access: "editor",
      params: PARAMS,
      target,
      body: AssetBodySchema,
      responses: {
        200: { description: "Replaced.", schema: Type.Object({ asset: AssetSchema }) },
        201: { description: "Created.", schema: Type.Object({ asset: AssetSchema }) },
      },
      errors: { 400: "An unknown unit (with the closest known one), min above max, a signal declared twice (ASSET_INVALID).", 503: "The server keeps no asset registry." },
      handler: async (ctx) => {
        try {
          const { asset, created } = await registry().put(ctx.param("id"), ctx.body);
          await ctx.audit({ detail: { created, signals: asset.signals.length } });
          return { status: created ? 201 : 200, body: { asset } };
        } catch (error) {
          if (isAiotError(error) && error.code === "ASSET_INVALID") throw new ApiError(error.code, error.message, { ...error.details, path: `body.${String(error.details.path)}` }, 400);
          throw error;
        }
      },
    }),
    defineRoute({
      method: "delete",
      path: "/api/assets/:id",
      operationId: "asset.delete",
      tag: "assets",
      summary: "Delete an asset (nodes looking it up then report ASSET_NOT_FOUND)",
      access: "editor",
      params: PARAMS,
      target,
      responses: { 200: { description: "Deleted.", schema: Type.Object({ deleted: Type.String() }) } },
      errors: { 404: "No such asset (ASSET_NOT_FOUND).", 503: "The server keeps no asset registry." },
      handler: async (ctx) => {
        const id = ctx.param("id");
        if (!(await registry().delete(id))) throw notFound(id);
        await ctx.audit({});
        return { body: { deleted: id } };
      },
    }),
  ];
}
