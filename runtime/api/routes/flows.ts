import { Type } from "typebox";
import { validateFlow } from "../../core/validate.ts";
import { flowFields } from "../../catalog/flow-fields.ts";
import type { ApiDeps } from "../deps.ts";
import { checkDocument, problemsJson, requireFlow, savedOrConflict, versionInfo } from "../flow-checks.ts";
import { flowLocks, runtimeKnows } from "../flow-locks.ts";
import { ApiError } from "../http-errors.ts";
import { defineRoute, type Route } from "../route.ts";
import { FieldsDocumentSchema, FlowFieldsSchema } from "./flow-fields-schemas.ts";
import { FlowDocumentRef, FlowRecordSchema, FlowVersionInfoSchema, FlowVersionSchema, ValidationSchema } from "../schemas.ts";

const Message = Type.String({ maxLength: 2000, description: "Why this version was saved." });
const Saved = Type.Object({ flow: FlowRecordSchema, version: FlowVersionInfoSchema });
const INVALID = "The flow has problems (FLOW_INVALID): every one is listed with its code, JSON path and body line.";

export function flowRoutes({ flows, catalog, runtime }: ApiDeps): Route[] {
  const flowTarget = (param: (name: string) => string) => `flow:${param("id")}`;
  const latestHash = (id: string, version: number) => flows.getVersion(id, version)?.hash;
  const serially = flowLocks(runtime);

  return [
    defineRoute({
      method: "get",
      path: "/api/flows",
      operationId: "flow.list",
      tag: "flows",
      summary: "List the flows in the library",
      access: "viewer",
      responses: { 200: { description: "Every flow.", schema: Type.Object({ flows: Type.Array(FlowRecordSchema) }) } },
      handler: () => ({ body: { flows: flows.listFlows() } }),
    }),

    defineRoute({
      method: "post",
      path: "/api/flows",
      operationId: "flow.create",
      tag: "flows",
      summary: "Create a flow: its document becomes version 1",
      access: "editor",
      body: Type.Object({ document: FlowDocumentRef, message: Type.Optional(Message) }, { additionalProperties: false }),
      responses: { 201: { description: "The new flow and its first version.", schema: Saved } },
      errors: { 409: "A flow with this id exists (FLOW_EXISTS).", 422: INVALID },
      handler: async (ctx) => {
        const document = checkDocument(catalog, ctx.body.document, ctx.rawBody, "document");
        if (flows.getFlow(document.id)) {
          throw new ApiError("FLOW_EXISTS", `a flow "${document.id}" exists; save a new version with PUT /api/flows/${document.id}`, { path: "document.id" });
        }
        // baseVersion 0 = create only: a flow created meanwhile by someone else conflicts.
        const result = await flows.saveVersion({ document, author: ctx.principal.username, message: ctx.body.message ?? "created", baseVersion: 0 });
        if (!result.ok) throw new ApiError("FLOW_EXISTS", `a flow "${document.id}" was created meanwhile`, { path: "document.id" });
        const { version } = result;
        await ctx.audit({ target: `flow:${document.id}`, after: version.hash, detail: { version: version.version } });
        return { status: 201, body: { flow: requireFlow(flows, document.id), version: versionInfo(version) } };
      },
    }),

    defineRoute({
      method: "post",
      path: "/api/flows/validate",
      operationId: "flow.validate",
      tag: "flows",
      summary: "Check a flow document and list every problem (as `aiotflow validate`)",
      description: "The body is the flow document itself (`curl --data @flow.json`). Nothing is stored.",
      access: "viewer",
      body: FlowDocumentRef,
      responses: { 200: { description: "ok, or every problem with code, JSON path, message, hint and body line.", schema: ValidationSchema } },
      handler: (ctx) => {
        const result = validateFlow(ctx.body, catalog);
        if (!result.ok) return { body: { ok: false, problems: problemsJson(result.errors, ctx.rawBody) } };
        return { body: { ok: true, problems: [], nodes: result.value.nodes.length, edges: result.value.flow.edges.length } };
      },
    }),

    defineRoute({
      method: "post",
      path: "/api/flows/fields",
      operationId: "flow.fields",
      tag: "flows",
      summary: "The payload fields known at each node of a flow document (for the editor's field pickers)",
      description: "The body is a flow document, finished or not. Fields come from each node type's `fieldsOut`; nothing is stored.",
      access: "viewer",
      body: FieldsDocumentSchema,
      responses: { 200: { description: "Per node: the fields at its inputs and at each output.", schema: FlowFieldsSchema } },
      handler: (ctx) => ({ body: flowFields(ctx.body, catalog) }),
    }),

    defineRoute({
      method: "get",
      path: "/api/flows/:id",
      operationId: "flow.get",
      tag: "flows",
      summary: "A flow's record and its latest version",
      access: "viewer",
      responses: { 200: { description: "The record and the latest version with its document.", schema: Type.Object({ flow: FlowRecordSchema, version: FlowVersionSchema }) } },
      handler: (ctx) => {
        const flow = requireFlow(flows, ctx.param("id"));
        return { body: { flow, version: flows.getVersion(flow.id, flow.latestVersion) } };
      },
    }),

    defineRoute({
      method: "put",
      path: "/api/flows/:id",
      operationId: "flow.save",
      tag: "flows",
      summary: "Save a new version of a flow",
      description:
        "`baseVersion` is the version the edit started from. When someone saved since, nothing is stored and the answer is 409 VERSION_CONFLICT with the diff from the base to the latest version.",
      access: "editor",
      target: flowTarget,
      body: Type.Object(
        { document: FlowDocumentRef, baseVersion: Type.Integer({ minimum: 1, description: "The version this edit started from." }), message: Type.Optional(Message) },
        { additionalProperties: false },
      ),
      responses: { 200: { description: "The new version.", schema: Saved } },
      errors: { 409: "Someone saved since baseVersion (VERSION_CONFLICT, with base, latest and diff).", 422: INVALID },
      handler: async (ctx) => {
        const id = ctx.param("id");
        const record = requireFlow(flows, id);
        const document = checkDocument(catalog, ctx.body.document, ctx.rawBody, "document");
        if (document.id !== id) {
          throw new ApiError("FLOW_ID_MISMATCH", `the document's id "${document.id}" is not the flow's id "${id}"`, { path: "document.id" });
        }
        const before = latestHash(id, record.latestVersion);
        const result = await flows.saveVersion({ document, author: ctx.principal.username, message: ctx.body.message ?? "", baseVersion: ctx.body.baseVersion });
        if (!result.ok) {
          await ctx.audit({ outcome: "failed", before, detail: { reason: "version conflict", base: ctx.body.baseVersion, latest: result.conflict.latest.version } });
        }
        const version = savedOrConflict(result);
        await ctx.audit({ before, after: version.hash, detail: { version: version.version, base: ctx.body.baseVersion } });
        return { body: { flow: requireFlow(flows, id), version: versionInfo(version) } };
      },
    }),

    defineRoute({
      method: "delete",
      path: "/api/flows/:id",
      operationId: "flow.delete",
      tag: "flows",
      summary: "Delete a flow and all its versions",
      access: "editor",
      target: flowTarget,
      responses: { 200: { description: "Deleted.", schema: Type.Object({ deleted: Type.String() }) } },
      errors: { 409: "The flow runs on the local runtime: stop it first (FLOW_DEPLOYED)." },
      handler: async (ctx) => {
        const id = ctx.param("id");
        requireFlow(flows, id);
        // In the flow's queue: a deploy in flight finishes (or fails) before this looks.
        return serially(id, async () => {
          const record = requireFlow(flows, id);
          // Any state counts: a stopped or failed flow still has its slot in the runtime.
          const known = runtimeKnows(runtime, id);
          if (known || record.deployedVersion !== undefined) {
            const what = known ? `${known.state} on the runtime (version ${known.version})` : `deployed (version ${record.deployedVersion})`;
            throw new ApiError("FLOW_DEPLOYED", `flow "${id}" is ${what}; stop it with POST /api/flows/${id}/stop first`);
          }
          const before = latestHash(id, record.latestVersion);
          if (!(await flows.deleteFlow(id))) throw new ApiError("FLOW_NOT_FOUND", `no flow "${id}" (deleted meanwhile)`, { flowId: id });
          await ctx.audit({ before, detail: { versions: record.latestVersion } });
          return { body: { deleted: id } };
        });
      },
    }),
  ];
}
