/** Checks shared by the flow, version, deploy and bundle routes. */
import { parseTree } from "jsonc-parser";
import type { FlowDocument } from "../contract/flow-format.ts";
import { validateFlow, type Catalog } from "../core/validate.ts";
import { locate } from "../core/flow-file.ts";
import type { AiotError } from "../sdk/errors.ts";
import type { FlowRecord, FlowVersion, SaveResult } from "../contract/flow-records.ts";
import type { FlowStore } from "../store/flow-store.ts";
import { ApiError } from "./http-errors.ts";
import { isSafeId } from "./route.ts";

export function requireFlow(flows: FlowStore, id: string): FlowRecord {
  const flow = flows.getFlow(id);
  if (!flow) throw new ApiError("FLOW_NOT_FOUND", `no flow "${id}"`, { flowId: id });
  return flow;
}

export function requireVersion(flows: FlowStore, id: string, version: number): FlowVersion {
  const found = flows.getVersion(id, version);
  if (!found) throw new ApiError("VERSION_NOT_FOUND", `flow "${id}" has no version ${version}`, { flowId: id, version });
  return found;
}

/** Each problem as JSON, with `body:line:column` when the request text is at hand. */
export function problemsJson(errors: readonly AiotError[], rawBody: string | undefined, prefix = ""): Array<Record<string, unknown>> {
  const tree = rawBody === undefined ? undefined : parseTree(rawBody);
  return errors.map((error) => {
    const path = error.details.path;
    const inBody = path === undefined || path === "$" ? prefix : prefix ? `${prefix}.${path}` : path;
    const location = rawBody === undefined ? undefined : locate("body", rawBody, tree, inBody || "$");
    return { ...error.toJSON(), ...(location && location !== "body" ? { location } : {}) };
  });
}

/**
 * The document with the flow format's defaults filled in, or 422 FLOW_INVALID listing every
 * problem (code, JSON path, message, hint, body line). `prefix` is where the document sits in the body.
 */
export function checkDocument(catalog: Catalog, document: unknown, rawBody: string | undefined, prefix: string): FlowDocument {
  const result = validateFlow(document, catalog);
  if (!result.ok) {
    const count = result.errors.length;
    throw new ApiError("FLOW_INVALID", `the flow has ${count} problem${count === 1 ? "" : "s"}`, {
      problems: problemsJson(result.errors, rawBody, prefix),
    });
  }
  const flow = result.value.flow;
  if (!isSafeId(flow.id)) throw new ApiError("ID_INVALID", `flow id "${flow.id}" may not be made of dots only`, { path: `${prefix}.id` });
  return flow;
}

/** The new version of a save, or 409 VERSION_CONFLICT carrying the diff from the caller's base to the latest. */
export function savedOrConflict(result: SaveResult): FlowVersion {
  if (result.ok) return result.version;
  const { base, latest, diff } = result.conflict;
  throw new ApiError(
    "VERSION_CONFLICT",
    `version ${base} is not the latest: ${latest.author} saved version ${latest.version} at ${latest.createdAt}`,
    { base, latest, diff },
  );
}

/** The version facts without the document. */
export function versionInfo(version: FlowVersion): Omit<FlowVersion, "document"> {
  const { document: _document, ...info } = version;
  return info;
}
