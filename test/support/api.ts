/**
 * `startApi` serves the API on a free loopback port over the in-memory stores of test-stores.ts,
 * with one user and API token per role (users are named after their role), plus request helpers.
 */
import { createServer, request as httpRequest, type Server } from "node:http";
import type { FlowDocument } from "../../runtime/contract/flow-format.ts";
import { ROLES, type Role } from "../../runtime/contract/access.ts";
import { type AuditRecord } from "../../runtime/contract/audit-record.ts";
import { flowOf, probeNodes } from "./test-nodes.ts";
import { createApi, type Api, type ApiDeps, type ApiLimits } from "../../runtime/api/app.ts";
import { FakeRuntime, MemoryAuditLog, MemoryFlowStore, MemorySecretStore, MemoryUserStore } from "./api-stores.ts";

/** A valid two-node flow (test-source -> test-sink) of the probe catalog. */
export function sampleFlow(id = "line-1", name = id): FlowDocument {
  return { ...flowOf([["src", "test-source"], ["out", "test-sink"]], ["src.out->out.in"], id), name };
}

export const PASSWORD = "correct horse battery";

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** Parsed JSON; `any` because tests read whichever fields a route answers with. */
  readonly body: any;
}

export interface RequestOptions {
  /** Whose API token to send (default admin); "nobody" sends none; a string sends that token. */
  readonly as?: Role | "nobody" | { token: string };
  readonly body?: unknown;
  /** Sent as is (with Content-Type application/json unless headers say otherwise). */
  readonly raw?: string | Uint8Array;
  readonly headers?: Record<string, string>;
}

export interface TestApi {
  readonly url: string;
  readonly server: Server;
  readonly api: Api;
  readonly deps: ApiDeps;
  readonly flows: MemoryFlowStore;
  readonly users: MemoryUserStore;
  readonly audit: MemoryAuditLog;
  readonly secrets: MemorySecretStore;
  readonly runtime: FakeRuntime;
  /** An API token per role; the users are named after their role. */
  readonly tokens: Readonly<Record<Role, string>>;
  request(method: string, path: string, options?: RequestOptions): Promise<Reply>;
  /** A request whose path is sent byte for byte (fetch would normalise `..` and `%2e%2e`). */
  rawRequest(method: string, path: string, headers?: Record<string, string>): Promise<{ status: number; body: string }>;
  close(): Promise<void>;
}

export async function startApi(options: { auth?: boolean; limits?: ApiLimits; publicMetrics?: boolean } = {}): Promise<TestApi> {
  const flows = new MemoryFlowStore();
  const users = new MemoryUserStore();
  const audit = new MemoryAuditLog();
  const secrets = new MemorySecretStore();
  const runtime = new FakeRuntime();
  const catalog = new Map(probeNodes().definitions.map((d) => [d.type, d]));
  const tokens: Partial<Record<Role, string>> = {};
  for (const role of ROLES) {
    await users.createUser(role, role, PASSWORD);
    tokens[role] = (await users.issueToken({ username: role, name: "test", kind: "api" })).token;
  }
  const deps: ApiDeps = {
    catalog,
    flows,
    users,
    audit,
    secrets,
    runtime,
    auth: options.auth ?? true,
    limits: { loginFailureDelayMs: 50, ...options.limits },
    ...(options.publicMetrics !== undefined && { publicMetrics: options.publicMetrics }),
  };
  const api = createApi(deps);
  const server = createServer(api.app);
  api.attachWebSocket(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the test server has no TCP address");
  const { port } = address;
  const url = `http://127.0.0.1:${port}`;
  const allTokens = { viewer: tokens.viewer!, editor: tokens.editor!, operator: tokens.operator!, admin: tokens.admin! };

  return {
    url,
    server,
    api,
    deps,
    flows,
    users,
    audit,
    secrets,
    runtime,
    tokens: allTokens,
    async request(method, path, { as = "admin", body, raw, headers = {} } = {}) {
      const token = as === "nobody" ? undefined : typeof as === "string" ? allTokens[as] : as.token;
      const sent = raw ?? (body === undefined ? undefined : JSON.stringify(body));
      const response = await fetch(`${url}${path}`, {
        method,
        headers: {
          ...(token !== undefined && { authorization: `Bearer ${token}` }),
          ...(sent !== undefined && { "content-type": "application/json" }),
          ...headers,
        },
        ...(sent !== undefined && { body: sent }),
      });
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      return { status: response.status, headers: response.headers, text, body: parsed };
    },
    rawRequest(method, path, headers = {}) {
      return new Promise((resolve, reject) => {
        const req = httpRequest({ host: "127.0.0.1", port, path, method, headers: { authorization: `Bearer ${allTokens.admin}`, ...headers } }, (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => (body += chunk));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on("error", reject);
        req.end();
      });
    },
    async close() {
      api.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Audit records with this outcome, newest last. */
export function auditOf(audit: MemoryAuditLog, outcome: AuditRecord["outcome"]): AuditRecord[] {
  return audit.records.filter((r) => r.outcome === outcome);
}
