import { Type } from "typebox";
import { diffFlows } from "../../contract/diff.ts";
import type { ApiDeps } from "../deps.ts";
import { checkDocument, requireFlow, requireVersion, savedOrConflict, versionInfo } from "../flow-checks.ts";
import { defineRoute, versionField, type Route } from "../route.ts";
import { FlowDiffSchema, FlowRecordSchema, FlowVersionInfoSchema, FlowVersionSchema } from "../schemas.ts";

export function versionRoutes({ flows, catalog }: ApiDeps): Route[] {
  const flowTarget = (param: (name: string) => string) => `flow:${param("id")}`;
  return [
    defineRoute({
      method: "get",
      path: "/api/flows/:id/versions",
      operationId: "version.list",
      tag: "versions",
      summary: "Every saved version of a flow (number, author, time, hash, message)",
      access: "viewer",
      responses: { 200: { description: "Oldest first.", schema: Type.Object({ versions: Type.Array(FlowVersionInfoSchema) }) } },
      handler: (ctx) => ({ body: { versions: flows.listVersions(requireFlow(flows, ctx.param("id")).id) } }),
    }),

    defineRoute({
      method: "get",
      path: "/api/flows/:id/versions/:v",
      operationId: "version.get",
      tag: "versions",
      summary: "One version of a flow, with its document",
      access: "viewer",
      responses: { 200: { description: "The version.", schema: Type.Object({ version: FlowVersionSchema }) } },
      handler: (ctx) => ({ body: { version: requireVersion(flows, requireFlow(flows, ctx.param("id")).id, Number(ctx.param("v"))) } }),
    }),

    defineRoute({
      method: "get",
      path: "/api/flows/:id/diff",
      operationId: "version.diff",
      tag: "versions",
      summary: "What changed between two versions: nodes, edges and connections added, removed and changed",
      access: "viewer",
      query: Type.Object(
        {
          from: Type.Optional(versionField("Default: the version before `to`.")),
          to: Type.Optional(versionField("Default: the latest version.")),
        },
        { additionalProperties: false },
      ),
      responses: {
        200: { description: "The diff from `from` to `to`.", schema: Type.Object({ from: Type.Integer(), to: Type.Integer(), diff: FlowDiffSchema }) },
      },
      handler: (ctx) => {
        const flow = requireFlow(flows, ctx.param("id"));
        const to = ctx.query.to ?? flow.latestVersion;
        const from = ctx.query.from ?? Math.max(1, to - 1);
        const diff = diffFlows(requireVersion(flows, flow.id, from).document, requireVersion(flows, flow.id, to).document);
        return { body: { from, to, diff } };
      },
    }),

    defineRoute({
      method: "post",
      path: "/api/flows/:id/versions/:v/restore",
      operationId: "version.restore",
      tag: "versions",
      summary: "Save an old version's document as the new latest version",
      access: "editor",
      target: flowTarget,
      body: Type.Object(
        {
          message: Type.Optional(Type.String({ maxLength: 2000 })),
          baseVersion: Type.Optional(versionField("Refuse (409) if the latest version is not this one. Default: the latest.")),
        },
        { additionalProperties: false },
      ),
      bodyOptional: true,
      responses: { 201: { description: "The new version.", schema: Type.Object({ flow: FlowRecordSchema, version: FlowVersionInfoSchema }) } },
      errors: {
        409: "Someone saved since baseVersion (VERSION_CONFLICT, with the diff).",
        422: "The old document does not pass today's checks (FLOW_INVALID, every problem listed); nothing is saved.",
      },
      handler: async (ctx) => {
        const flow = requireFlow(flows, ctx.param("id"));
        const old = requireVersion(flows, flow.id, Number(ctx.param("v")));
        // As a save: the old document must pass today's checks (its node types may have left the catalog).
        const document = checkDocument(catalog, old.document, undefined, "document");
        const before = flows.getVersion(flow.id, flow.latestVersion)?.hash;
        const version = savedOrConflict(
          await flows.saveVersion({
            document,
            author: ctx.principal.username,
            message: ctx.body.message ?? `restored version ${old.version}`,
            baseVersion: ctx.body.baseVersion ?? flow.latestVersion,
          }),
        );
        await ctx.audit({ before, after: version.hash, detail: { restored: old.version, version: version.version } });
        return { status: 201, body: { flow: requireFlow(flows, flow.id), version: versionInfo(version) } };
      },
    }),
  ];
}
