import { Type } from "typebox";
import Value from "typebox/value";
import { FlowDocumentSchema, type FlowDocument } from "../../contract/flow-format.ts";
import { validateFlow, type Catalog } from "../../core/validate.ts";
import { applyDefaults, schemaProblems } from "../../sdk/config.ts";
import type { FlowVersion } from "../../contract/flow-records.ts";
import type { ApiDeps } from "../deps.ts";
import { checkDocument } from "../flow-checks.ts";
import { flowLocks, runtimeKnows } from "../flow-locks.ts";
import { ApiError } from "../http-errors.ts";
import { defineRoute, type Route } from "../route.ts";
import { FlowBundleSchema, FlowRecordSchema } from "../schemas.ts";

export function bundleRoutes({ flows, catalog, runtime }: ApiDeps): Route[] {
  const serially = flowLocks(runtime);
  return [
    defineRoute({
      method: "get",
      path: "/api/flows/:id/export",
      operationId: "flow.export",
      tag: "import/export",
      summary: "The flow with all its versions as one JSON file",
      access: "viewer",
      responses: { 200: { description: "A bundle for POST /api/flows/import (sent as an attachment).", schema: FlowBundleSchema } },
      handler: (ctx) => {
        const id = ctx.param("id");
        const bundle = flows.exportFlow(id);
        if (!bundle) throw new ApiError("FLOW_NOT_FOUND", `no flow "${id}"`, { flowId: id });
        return { body: bundle, headers: { "Content-Disposition": `attachment; filename="${id}.flow-bundle.json"` } };
      },
    }),

    defineRoute({
      method: "post",
      path: "/api/flows/import",
      operationId: "flow.import",
      tag: "import/export",
      summary: "Add a flow with its versions from an exported bundle",
      description:
        "Versions must be numbered 1, 2, 3 ... and belong to the bundle's flow; the latest must pass validation. An existing flow is replaced only with ?replace=true and only while it is not deployed.",
      access: "editor",
      query: Type.Object({ replace: Type.Optional(Type.Boolean({ description: "Overwrite a stored flow of the same id." })) }, { additionalProperties: false }),
      body: FlowBundleSchema,
      responses: { 201: { description: "Imported.", schema: Type.Object({ flow: FlowRecordSchema }) } },
      errors: {
        409: "A flow with this id exists and replace was not asked (FLOW_EXISTS), or it is deployed (FLOW_DEPLOYED).",
        422: "The latest version has problems (FLOW_INVALID).",
      },
      handler: async (ctx) => {
        const { flow } = ctx.body;
        const versions = ctx.body.versions.map((version, index): FlowVersion => {
          const path = `versions[${index}]`;
          if (version.version !== index + 1) throw importInvalid(`${path}.version`, `must be ${index + 1}: versions are numbered 1, 2, 3 ... in order`);
          if (version.flowId !== flow.id) throw importInvalid(`${path}.flowId`, `must be the bundle's flow id "${flow.id}"`);
          return { ...version, document: wellFormed(version.document, `${path}.document`, flow.id) };
        });
        // Older versions may use node types that have since left the catalog, but each must still be
        // a sound graph: unique ids, edges between nodes that exist.
        const structural = versions.flatMap((version, index) => structuralProblems(catalog, version.document, `versions[${index}].document`));
        if (structural.length > 0) {
          const first = structural[0]!;
          throw new ApiError("IMPORT_INVALID", `${first.path}: ${first.message}${structural.length > 1 ? ` (and ${structural.length - 1} more)` : ""}`, {
            path: first.path,
            problems: structural,
          });
        }
        const latest = versions.length - 1;
        checkDocument(catalog, versions[latest]!.document, ctx.rawBody, `versions[${latest}].document`);
        const replace = ctx.query.replace ?? false;
        // In the flow's queue, as deploy and delete: a deploy in flight is seen before replacing.
        return serially(flow.id, async () => {
          const existing = flows.getFlow(flow.id);
          if (existing && !replace) throw new ApiError("FLOW_EXISTS", `a flow "${flow.id}" exists; import with ?replace=true to overwrite it`, { path: "flow.id" });
          // Any state counts: a stopped or failed flow still has its slot in the runtime.
          if (existing && (existing.deployedVersion !== undefined || runtimeKnows(runtime, flow.id))) {
            throw new ApiError("FLOW_DEPLOYED", `flow "${flow.id}" is deployed; stop it before replacing it`);
          }
          const before = existing ? flows.getVersion(existing.id, existing.latestVersion)?.hash : undefined;
          const record = await flows.importFlow({ format: ctx.body.format, flow, versions }, { replace });
          // The versions keep their authors and times (their history); the audit names who imported them.
          const authors = [...new Set(versions.map((v) => v.author))].slice(0, 20);
          await ctx.audit({
            target: `flow:${record.id}`,
            before,
            after: versions[latest]!.hash,
            detail: { versions: versions.length, replace, importedBy: ctx.principal.username, authors },
          });
          return { status: 201, body: { flow: record } };
        });
      },
    }),
  ];
}

function importInvalid(path: string, message: string): ApiError {
  return new ApiError("IMPORT_INVALID", `${path}: ${message}`, { path });
}

/** An old version's document in the flow format (its node types may since have left the catalog). */
function wellFormed(document: unknown, path: string, flowId: string): FlowDocument {
  const filled = applyDefaults(FlowDocumentSchema, Value.Clone(document));
  if (!Value.Check(FlowDocumentSchema, filled)) {
    const problem = schemaProblems(FlowDocumentSchema, filled, path)[0];
    throw importInvalid(problem?.path ?? path, problem?.message ?? "is not a flow document");
  }
  if (filled.id !== flowId) throw importInvalid(`${path}.id`, `must be the bundle's flow id "${flowId}"`);
  return filled;
}

/** Problems that do not depend on the catalog of today: the structure of the graph itself. */
const STRUCTURAL = new Set(["FLOW_FORMAT_INVALID", "FLOW_DUPLICATE_ID", "FLOW_EDGE_UNKNOWN_NODE"]);

function structuralProblems(catalog: Catalog, document: FlowDocument, prefix: string): Array<{ code: string; path: string; message: string }> {
  const result = validateFlow(document, catalog);
  if (result.ok) return [];
  return result.errors
    .filter((error) => STRUCTURAL.has(error.code))
    .map((error) => {
      const at = typeof error.details.path === "string" && error.details.path !== "$" ? `${prefix}.${error.details.path}` : prefix;
      return { code: error.code, path: at, message: error.message };
    });
}
