/** The admin API as the editor uses it: same-origin fetch with the session token. */
import type { FlowDocument } from "../../runtime/contract/flow-format.ts";
import type { CatalogNode } from "./graph/catalog.ts";
import { describePath, describeText, problemNodeIds, refusedNodes, type NamedNode } from "./graph/problems.ts";

const TOKEN_KEY = "aiotflow.token";

export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (token: string) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export interface ApiProblem {
  readonly code?: string;
  readonly path?: string;
  readonly message: string;
}

/** A refused request, with the API's own words. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problems: readonly ApiProblem[] = [],
    /** The whole error body (`latest` and `diff` of a VERSION_CONFLICT, `running` of a DEPLOY_FAILED...). */
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
  /** The nodes of the document the request sent, so problems at `nodes[i]` can name the node. */
  documentNodes: readonly NamedNode[] = [];
}

/** Lets the failure of a request that sent `document` name its nodes (see describeFailure). */
function naming<T>(request: Promise<T>, document: FlowDocument): Promise<T> {
  return request.then(
    (result) => (refusedNodes.set([]), result),
    (error: unknown) => {
      if (error instanceof ApiFailure) {
        error.documentNodes = document.nodes.map((n) => ({ id: n.id, ...(n.name !== undefined ? { name: n.name } : {}) }));
        // The canvas marks the nodes the refusal points at until a save succeeds.
        refusedNodes.set(problemNodeIds(error.problems, error.documentNodes));
      }
      throw error;
    },
  );
}

export interface FlowRecord {
  readonly id: string;
  readonly name: string;
  readonly latestVersion: number;
  readonly deployedVersion?: number;
  readonly running?: boolean;
}

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  const token = session.token();
  if (token) headers["authorization"] = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const json = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string; problems?: ApiProblem[] } };
  if (!res.ok) {
    const error = json.error ?? {};
    throw new ApiFailure(res.status, error.code ?? `HTTP_${res.status}`, error.message ?? res.statusText, error.problems ?? [], error);
  }
  return json as T;
}

export const api = {
  login: (username: string, password: string) => call<{ token: string; user: { username: string; role: string } }>("POST", "/api/auth/login", { username, password }),
  catalog: () => call<{ nodes: CatalogNode[] }>("GET", "/api/catalog"),
  flows: () => call<{ flows: FlowRecord[] }>("GET", "/api/flows"),
  flow: (id: string) => call<{ flow: FlowRecord; version: { version: number; document: FlowDocument } }>("GET", `/api/flows/${encodeURIComponent(id)}`),
  create: (document: FlowDocument, message: string) => naming(call<{ flow: FlowRecord; version: { version: number } }>("POST", "/api/flows", { document, message }), document),
  save: (document: FlowDocument, baseVersion: number, message: string) =>
    naming(call<{ flow: FlowRecord; version: { version: number } }>("PUT", `/api/flows/${encodeURIComponent(document.id)}`, { document, baseVersion, message }), document),
  runtime: () => call<{ flows: Array<{ flowId: string; state: string; nodes: Array<{ node: string; status: { state: string; text?: string } }> }> }>("GET", "/api/runtime"),
  deploy: (id: string) => call<{ flow: FlowRecord; deployment: { version: number; outcome: string; durationMs: number } }>("POST", `/api/flows/${encodeURIComponent(id)}/deploy`, {}),
};

/** ws(s)://host/api/events?flow=...&token=... */
export function eventsUrl(flowId: string | undefined): string {
  const url = new URL("/api/events", location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  if (flowId) url.searchParams.set("flow", flowId);
  const token = session.token();
  if (token) url.searchParams.set("token", token);
  return url.toString();
}

/** A failure in the editor's words: problems at `nodes[i]` name the node (when the request sent a document). */
export function describeFailure(error: unknown, nodes?: readonly NamedNode[]): string {
  if (error instanceof ApiFailure) {
    const known = nodes ?? error.documentNodes;
    const problems = error.problems.map((p) => {
      const where = describePath(p.path, known);
      return `${where ? `${where}: ` : ""}${describeText(p.message, known)}`;
    });
    return [`${error.code}: ${describeText(error.message, known)}`, ...problems].join("\n");
  }
  return error instanceof Error ? error.message : String(error);
}
