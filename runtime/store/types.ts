/**
 * The contract between storage (runtime/store), the local runtime (runtime/flow-runtime.ts) and the
 * admin API (runtime/api). Types only; each side implements or consumes them.
 */
import type { FlowDocument } from "../core/flow-format.ts";
import type { DeployReport } from "../core/engine.ts";
import type { NodeMetricsSnapshot } from "../core/metrics.ts";
import type { NodeStatus } from "../sdk/define.ts";
import type { ErrorCode } from "../sdk/errors.ts";

export type Role = "viewer" | "editor" | "operator" | "admin";
/** Each role may do everything the roles before it may. */
export const ROLES: readonly Role[] = ["viewer", "editor", "operator", "admin"];

// ---- flows and versions ------------------------------------------------------------------------

export interface FlowRecord {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly latestVersion: number;
  /** Version running on the local runtime, if any. */
  readonly deployedVersion?: number;
  /** Last version that deployed and started successfully (the rollback target). */
  readonly lastGoodVersion?: number;
}

export interface FlowVersionInfo {
  readonly flowId: string;
  /** 1, 2, 3 ... per flow. */
  readonly version: number;
  readonly author: string;
  readonly createdAt: string;
  /** sha256 (hex) of the canonical JSON of the document (keys sorted). */
  readonly hash: string;
  readonly message: string;
}

export interface FlowVersion extends FlowVersionInfo {
  readonly document: FlowDocument;
}

export interface FlowDiff {
  readonly nodes: {
    readonly added: string[];
    readonly removed: string[];
    /** Node ids whose type, name, config, position or disabled flag changed, with the changed JSON paths. */
    readonly changed: Array<{ readonly id: string; readonly paths: string[] }>;
  };
  readonly edges: { readonly added: string[]; readonly removed: string[]; readonly changed: string[] };
  readonly connections: { readonly added: string[]; readonly removed: string[]; readonly changed: string[] };
  /** Top-level fields (name, description) that changed. */
  readonly flow: string[];
}

export type SaveResult =
  | { readonly ok: true; readonly version: FlowVersion; readonly created: boolean }
  /** `baseVersion` was not the latest: someone saved in between. `diff` = base -> latest. */
  | { readonly ok: false; readonly conflict: { readonly base: number; readonly latest: FlowVersionInfo; readonly diff: FlowDiff } };

/** One file holding a flow and all its versions (export / import). */
export interface FlowBundle {
  readonly format: "aiotflow/flow-bundle@1";
  readonly flow: FlowRecord;
  readonly versions: FlowVersion[];
}

export interface DeploymentRecord {
  readonly id: string;
  readonly flowId: string;
  readonly version: number;
  readonly by: string;
  readonly at: string;
  readonly outcome: "running" | "failed" | "rolled-back";
  readonly durationMs: number;
  readonly error?: { readonly code: ErrorCode | string; readonly message: string };
}

export interface FlowStore {
  listFlows(): FlowRecord[];
  getFlow(id: string): FlowRecord | undefined;
  /** Saves a new immutable version (creating the flow on its first save). Refuses a stale `baseVersion`. */
  saveVersion(input: { document: FlowDocument; author: string; message: string; baseVersion?: number }): Promise<SaveResult>;
  listVersions(flowId: string): FlowVersionInfo[];
  getVersion(flowId: string, version: number): FlowVersion | undefined;
  deleteFlow(id: string): Promise<boolean>;
  recordDeployment(record: Omit<DeploymentRecord, "id">): Promise<DeploymentRecord>;
  listDeployments(flowId: string): DeploymentRecord[];
  /** Marks what runs now; `good` also moves lastGoodVersion. `undefined` version = stopped. */
  setDeployed(flowId: string, version: number | undefined, good: boolean): Promise<void>;
  exportFlow(id: string): FlowBundle | undefined;
  /** Imports a bundle as a new flow (refuses an id that exists unless `replace`). */
  importFlow(bundle: FlowBundle, options?: { replace?: boolean }): Promise<FlowRecord>;
}

// ---- users, tokens, audit, secrets -------------------------------------------------------------

export interface UserRecord {
  readonly username: string;
  readonly role: Role;
  readonly createdAt: string;
  readonly disabled?: boolean;
}

export interface TokenInfo {
  readonly id: string;
  readonly name: string;
  readonly username: string;
  readonly role: Role;
  readonly createdAt: string;
  readonly expiresAt?: string;
  /** "session" tokens come from a login; "api" tokens are made for systems (CI, MES). */
  readonly kind: "session" | "api";
}

export interface Principal {
  readonly username: string;
  readonly role: Role;
  readonly tokenId?: string;
}

export interface UserStore {
  /** Creates the first admin when there are no users; returns the one-time password it set (or undefined). */
  ensureAdmin(passwordFromEnv?: string): Promise<{ username: string; password?: string }>;
  createUser(username: string, role: Role, password: string): Promise<UserRecord>;
  /** Disables (or re-enables) a user: its tokens then authenticate as "disabled" and its password is refused. */
  setUserDisabled(username: string, disabled: boolean): Promise<UserRecord>;
  /**
   * Sets a new password (same rules as createUser: USER_INVALID when too short or long) and revokes
   * every session token of the user (API tokens stay). USER_NOT_FOUND for an unknown user.
   */
  setPassword(username: string, password: string): Promise<{ user: UserRecord; revokedSessions: number }>;
  listUsers(): UserRecord[];
  /** scrypt check; undefined on a wrong username or password (same answer for both). */
  checkPassword(username: string, password: string): Promise<UserRecord | undefined>;
  /** Returns the token value once (only its hash is stored). */
  issueToken(input: { username: string; name: string; role?: Role; kind: "session" | "api"; ttlMs?: number }): Promise<{ token: string; info: TokenInfo }>;
  /** Resolves a presented token; a reason when it is unknown, expired or its user disabled. */
  authenticate(token: string): { ok: true; principal: Principal } | { ok: false; reason: "unknown" | "expired" | "disabled" };
  listTokens(username?: string): TokenInfo[];
  revokeToken(id: string): Promise<boolean>;
}

export interface AuditRecord {
  readonly seq: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  readonly outcome: "ok" | "refused" | "failed";
  readonly before?: string;
  readonly after?: string;
  readonly detail?: Record<string, unknown>;
  /** Hash of the previous record ("" for the first): editing or deleting a line breaks the chain. */
  readonly prev: string;
  readonly hash: string;
}

export interface AuditLog {
  append(entry: Omit<AuditRecord, "seq" | "at" | "prev" | "hash">): Promise<AuditRecord>;
  list(options?: { since?: number; limit?: number }): AuditRecord[];
  verify(): { ok: true; records: number } | { ok: false; records: number; brokenAt: number; reason: string };
}

export interface SecretStore {
  set(name: string, value: string): Promise<void>;
  /** Clear text, for the runtime only: the API never returns it. */
  get(name: string): string | undefined;
  has(name: string): boolean;
  list(): Array<{ name: string; updatedAt: string }>;
  delete(name: string): Promise<boolean>;
}

// ---- the local runtime, as the API sees it --------------------------------------------------------

export interface RunningFlowState {
  readonly flowId: string;
  readonly version: number;
  readonly state: "running" | "stopped" | "failed";
  readonly since: string;
  readonly nodes: Array<{ readonly node: string; readonly status: NodeStatus }>;
}

export type RuntimeEvent =
  | { readonly type: "debug"; readonly flowId: string; readonly node: string; readonly label: string; readonly msg: unknown; readonly at: number }
  | { readonly type: "status"; readonly flowId: string; readonly node: string; readonly status: NodeStatus; readonly at: number }
  | { readonly type: "error"; readonly flowId: string; readonly node: string; readonly code: string; readonly message: string; readonly at: number }
  | {
      readonly type: "deploy";
      readonly flowId: string;
      readonly version: number;
      readonly phase: "validating" | "starting" | "running" | "failed";
      readonly detail?: string;
      readonly at: number;
    };

export type DeployOutcome =
  | { readonly ok: true; readonly report: DeployReport; readonly durationMs: number }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string; readonly problems?: unknown[] }; readonly durationMs: number };

export interface LocalRuntime {
  /** Deploys (or hot-redeploys) `document` as `version`; on failure the previous version keeps running. */
  deploy(flowId: string, version: number, document: FlowDocument): Promise<DeployOutcome>;
  stop(flowId: string): Promise<boolean>;
  flows(): RunningFlowState[];
  metrics(flowId?: string): Array<{ flowId: string; nodes: NodeMetricsSnapshot[] }>;
  /** Subscribe to live events; returns an unsubscribe function. */
  subscribe(listener: (event: RuntimeEvent) => void): () => void;
  close(): Promise<void>;
}
