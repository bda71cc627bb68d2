/**
 * In-memory stand-ins for the store interfaces of runtime/store/ and the local runtime, so API
 * tests run without files or engines. The flow store, audit log and secret store pass the same
 * contract suites as the real ones (test/support/store-contract.ts, run by
 * test/store-contract.test.ts). Each test builds its own: nothing global.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { FlowDocument } from "../../runtime/contract/flow-format.ts";
import type { NodeMetricsSnapshot } from "../../runtime/core/metrics.ts";
import { AiotError } from "../../runtime/sdk/errors.ts";
import { contentHash } from "../../runtime/store/canonical.ts";
import { diffFlows } from "../../runtime/contract/diff.ts";
import type { AuditLog } from "../../runtime/store/audit-log.ts";
import type { AuditRecord } from "../../runtime/contract/audit-record.ts";
import type { DeployOutcome, LocalRuntime, RunningFlowState, RuntimeEvent } from "../../runtime/local/local-runtime.ts";
import type { DeploymentRecord, FlowBundle, FlowRecord, FlowVersion, FlowVersionInfo, SaveResult } from "../../runtime/contract/flow-records.ts";
import { checkFlowId } from "../../runtime/store/flow-records.ts";
import { checkedBundle, checkedDocument, type FlowStore } from "../../runtime/store/flow-store.ts";
import type { Principal, Role, TokenInfo, UserRecord } from "../../runtime/contract/access.ts";
import type { SecretStore } from "../../runtime/store/secrets.ts";
import type { UserStore } from "../../runtime/store/users.ts";

const now = () => new Date().toISOString();

export class MemoryFlowStore implements FlowStore {
  private readonly flows = new Map<string, FlowRecord>();
  private readonly versions = new Map<string, FlowVersion[]>();
  private deployments: DeploymentRecord[] = [];

  listFlows = () => [...this.flows.values()];
  getFlow = (id: string) => this.flows.get(checkFlowId(id));
  listVersions = (flowId: string) => this.versionsOf(flowId).map(infoOf);
  getVersion = (flowId: string, version: number) => structuredClone(this.versionsOf(flowId)[version - 1]);
  listDeployments = (flowId: string) => this.deployments.filter((d) => d.flowId === checkFlowId(flowId));

  async saveVersion(input: { document: FlowDocument; author: string; message: string; baseVersion?: number }): Promise<SaveResult> {
    const id = checkFlowId(input.document?.id);
    const document = checkedDocument(input.document);
    const flow = this.flows.get(id);
    const list = this.versionsOf(id);
    const latest = flow?.latestVersion ?? 0;
    const { baseVersion } = input;
    if (baseVersion !== undefined && baseVersion !== latest) {
      if (!flow) throw new AiotError("FLOW_NOT_FOUND", `flow "${id}" no longer exists`, { flowId: id });
      const base = baseVersion === 0 ? emptyFlow(id) : list[baseVersion - 1]?.document;
      if (!base) throw new AiotError("VERSION_NOT_FOUND", `flow "${id}" has no version ${baseVersion}`, { flowId: id, version: baseVersion });
      const head = list[latest - 1]!;
      return { ok: false, conflict: { base: baseVersion, latest: infoOf(head), diff: diffFlows(base, head.document) } };
    }
    const version: FlowVersion = { flowId: id, version: latest + 1, author: input.author, createdAt: now(), hash: contentHash(document), message: input.message, document };
    this.versions.set(id, [...list, version]);
    this.flows.set(id, { ...(flow ?? { id, createdAt: version.createdAt }), name: document.name, updatedAt: version.createdAt, latestVersion: version.version });
    return { ok: true, version: structuredClone(version), created: !flow };
  }

  async deleteFlow(id: string): Promise<boolean> {
    checkFlowId(id);
    this.versions.delete(id);
    this.deployments = this.deployments.filter((d) => d.flowId !== id);
    return this.flows.delete(id);
  }

  async recordDeployment(record: Omit<DeploymentRecord, "id">): Promise<DeploymentRecord> {
    this.requireVersion(record.flowId, record.version);
    const deployment = { ...record, id: randomUUID() };
    this.deployments.push(deployment);
    return deployment;
  }

  async setDeployed(flowId: string, version: number | undefined, good: boolean): Promise<void> {
    const flow = version === undefined ? this.requireFlow(flowId) : this.requireVersion(flowId, version);
    const { deployedVersion: _d, lastGoodVersion, ...rest } = flow;
    const goodVersion = good && version !== undefined ? version : lastGoodVersion;
    this.flows.set(flowId, {
      ...rest,
      ...(version !== undefined && { deployedVersion: version }),
      ...(goodVersion !== undefined && { lastGoodVersion: goodVersion }),
    });
  }

  exportFlow(id: string): FlowBundle | undefined {
    const flow = this.getFlow(id);
    return flow && structuredClone({ format: "aiotflow/flow-bundle@1", flow, versions: this.versionsOf(id) });
  }

  /** As the real store: the bundle is checked whole, replaced only when asked and not deployed, imported as not deployed. */
  async importFlow(bundle: FlowBundle, options: { replace?: boolean } = {}): Promise<FlowRecord> {
    const checked = checkedBundle(bundle);
    const id = checked.flow.id;
    const existing = this.flows.get(id);
    if (existing && !options.replace) throw new AiotError("FLOW_EXISTS", `flow "${id}" already exists`, { flowId: id });
    if (existing?.deployedVersion !== undefined) throw new AiotError("FLOW_DEPLOYED", `flow "${id}" runs version ${existing.deployedVersion}`, { flowId: id });
    const latest = checked.versions.at(-1)!;
    const record: FlowRecord = { id, name: latest.document.name, createdAt: checked.flow.createdAt, updatedAt: checked.flow.updatedAt, latestVersion: latest.version };
    // Delete first, so a replaced flow moves to the end of the list as in flows.json.
    this.flows.delete(id);
    this.flows.set(id, record);
    this.versions.set(id, structuredClone(checked.versions));
    this.deployments = this.deployments.filter((d) => d.flowId !== id);
    return record;
  }

  private versionsOf(flowId: string): FlowVersion[] {
    return this.versions.get(checkFlowId(flowId)) ?? [];
  }

  private requireFlow(flowId: string): FlowRecord {
    const flow = this.getFlow(flowId);
    if (!flow) throw new AiotError("FLOW_NOT_FOUND", `no flow "${flowId}"`, { flowId });
    return flow;
  }

  private requireVersion(flowId: string, version: number): FlowRecord {
    const flow = this.requireFlow(flowId);
    if (!Number.isInteger(version) || version < 1 || version > flow.latestVersion) {
      throw new AiotError("VERSION_NOT_FOUND", `flow "${flowId}" has no version ${version}`, { flowId, version });
    }
    return flow;
  }
}

const infoOf = ({ document: _document, ...info }: FlowVersion): FlowVersionInfo => info;
const emptyFlow = (id: string): FlowDocument => ({ format: "aiotflow/flow@1", id, name: "", nodes: [], edges: [], connections: {} });
export class MemoryUserStore implements UserStore {
  private readonly users = new Map<string, { record: UserRecord; password: string }>();
  private readonly tokens = new Map<string, TokenInfo>();
  /** Added to the clock: tests move time forward to expire tokens. */
  skewMs = 0;

  async ensureAdmin(passwordFromEnv?: string): Promise<{ username: string; password?: string }> {
    if (this.users.size > 0) return { username: "admin" };
    const password = passwordFromEnv ?? randomBytes(12).toString("hex");
    await this.createUser("admin", "admin", password);
    return { username: "admin", password };
  }

  async createUser(username: string, role: Role, password: string): Promise<UserRecord> {
    if (this.users.has(username)) throw new AiotError("USER_EXISTS", `user "${username}" already exists`);
    const record: UserRecord = { username, role, createdAt: now() };
    this.users.set(username, { record, password });
    return record;
  }

  async setUserDisabled(username: string, disabled: boolean): Promise<UserRecord> {
    const user = this.users.get(username);
    if (!user) throw new AiotError("USER_NOT_FOUND", `no user "${username}"`);
    const { disabled: _d, ...rest } = user.record;
    user.record = disabled ? { ...rest, disabled } : rest;
    return user.record;
  }

  async setPassword(username: string, password: string): Promise<{ user: UserRecord; revokedSessions: number }> {
    const user = this.users.get(username);
    if (!user) throw new AiotError("USER_NOT_FOUND", `no user "${username}"`);
    if (password.length < 8 || password.length > 1024) throw new AiotError("USER_INVALID", "a password must be 8-1024 characters", { path: "password" });
    user.password = password;
    let revokedSessions = 0;
    for (const [token, info] of this.tokens) {
      if (info.username === username && info.kind === "session") {
        this.tokens.delete(token);
        revokedSessions++;
      }
    }
    return { user: user.record, revokedSessions };
  }

  listUsers = () => [...this.users.values()].map((u) => u.record);

  async checkPassword(username: string, password: string): Promise<UserRecord | undefined> {
    const user = this.users.get(username);
    return user && user.password === password ? user.record : undefined;
  }

  async issueToken(input: { username: string; name: string; role?: Role; kind: "session" | "api"; ttlMs?: number }): Promise<{ token: string; info: TokenInfo }> {
    const user = this.users.get(input.username);
    if (!user) throw new AiotError("USER_NOT_FOUND", `no user "${input.username}"`);
    const token = randomBytes(24).toString("base64url");
    const info: TokenInfo = {
      id: randomUUID(),
      name: input.name,
      username: input.username,
      role: input.role ?? user.record.role,
      createdAt: now(),
      kind: input.kind,
      ...(input.ttlMs !== undefined && { expiresAt: new Date(Date.now() + this.skewMs + input.ttlMs).toISOString() }),
    };
    this.tokens.set(token, info);
    return { token, info };
  }

  authenticate(token: string): { ok: true; principal: Principal } | { ok: false; reason: "unknown" | "expired" | "disabled" } {
    const info = this.tokens.get(token);
    if (!info) return { ok: false, reason: "unknown" };
    if (info.expiresAt && Date.parse(info.expiresAt) <= Date.now() + this.skewMs) return { ok: false, reason: "expired" };
    if (this.users.get(info.username)?.record.disabled) return { ok: false, reason: "disabled" };
    return { ok: true, principal: { username: info.username, role: info.role, tokenId: info.id } };
  }

  listTokens = (username?: string) => [...this.tokens.values()].filter((t) => username === undefined || t.username === username);

  async revokeToken(id: string): Promise<boolean> {
    for (const [token, info] of this.tokens) if (info.id === id) return this.tokens.delete(token);
    return false;
  }
}

export class MemoryAuditLog implements AuditLog {
  readonly records: AuditRecord[] = [];

  async append(entry: Omit<AuditRecord, "seq" | "at" | "prev" | "hash">): Promise<AuditRecord> {
    // Through JSON as the real log writes it: a field given as undefined is left out.
    const unsealed = JSON.parse(JSON.stringify({ ...entry, seq: this.records.length + 1, at: now(), prev: this.records.at(-1)?.hash ?? "" })) as Omit<AuditRecord, "hash">;
    const record: AuditRecord = { ...unsealed, hash: contentHash(unsealed) };
    this.records.push(record);
    return record;
  }

  /** As the JSONL log: after `since`, the first `limit`; without `since`, the last `limit`. Oldest first. */
  list(options: { since?: number; limit?: number } = {}): AuditRecord[] {
    const { since } = options;
    const limit = Math.max(0, options.limit ?? Infinity);
    if (since !== undefined) return this.records.filter((r) => r.seq > since).slice(0, limit);
    return this.records.slice(Math.max(0, this.records.length - limit));
  }

  verify(): { ok: true; records: number } {
    return { ok: true, records: this.records.length };
  }
}

const SECRET_NAME = /^[A-Za-z0-9_.:-]{1,128}$/;

export class MemorySecretStore implements SecretStore {
  private readonly values = new Map<string, { value: string; updatedAt: string }>();
  async set(name: string, value: string): Promise<void> {
    if (!SECRET_NAME.test(name)) throw new AiotError("SECRET_NAME_INVALID", `invalid secret name ${JSON.stringify(name.slice(0, 64))}`, { path: "name" });
    // Delete first: a secret set again moves to the end of the list, as in secrets.json.
    this.values.delete(name);
    this.values.set(name, { value, updatedAt: now() });
  }
  get = (name: string) => this.values.get(name)?.value;
  has = (name: string) => this.values.has(name);
  list = () => [...this.values].map(([name, { updatedAt }]) => ({ name, updatedAt }));
  delete = async (name: string) => this.values.delete(name);
}

/** A runtime that runs nothing: deploys succeed (or fail as told), events are emitted by the test. */
export class FakeRuntime implements LocalRuntime {
  readonly states = new Map<string, RunningFlowState>();
  readonly nodeMetrics = new Map<string, NodeMetricsSnapshot[]>();
  readonly deploys: Array<{ flowId: string; version: number }> = [];
  private readonly listeners = new Set<(event: RuntimeEvent) => void>();
  private failure: { code: string; message: string; problems?: unknown[] } | undefined;

  /** The next deploy fails with this error (what runs keeps running). */
  failNextDeploy(error: { code: string; message: string; problems?: unknown[] }): void {
    this.failure = error;
  }

  async deploy(flowId: string, version: number, document: FlowDocument): Promise<DeployOutcome> {
    this.deploys.push({ flowId, version });
    const failure = this.failure;
    this.failure = undefined;
    if (failure) return { ok: false, error: failure, durationMs: 1 };
    const nodes = document.nodes.map((n) => ({ node: n.id, status: { state: "running" as const } }));
    this.states.set(flowId, { flowId, version, state: "running", since: now(), nodes });
    this.emit({ type: "deploy", flowId, version, phase: "running", at: Date.now() });
    return { ok: true, report: { flowId, added: document.nodes.map((n) => n.id), changed: [], removed: [], kept: [] }, durationMs: 1 };
  }

  async stop(flowId: string): Promise<boolean> {
    return this.states.delete(flowId);
  }

  flows = () => [...this.states.values()];
  metrics = (flowId?: string) =>
    [...this.nodeMetrics].filter(([id]) => flowId === undefined || id === flowId).map(([id, nodes]) => ({ flowId: id, nodes }));

  subscribe(listener: (event: RuntimeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: RuntimeEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  listenerCount = () => this.listeners.size;
  close = async () => undefined;
}

