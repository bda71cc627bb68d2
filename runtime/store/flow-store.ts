import { randomUUID } from "node:crypto";
import { join } from "node:path";
import Compile from "typebox/compile";
import { FlowDocumentSchema, type FlowDocument } from "../contract/flow-format.ts";
import type { Clock } from "../sdk/clock.ts";
import { applyDefaults, schemaProblems } from "../sdk/config.ts";
import { AiotError } from "../sdk/errors.ts";
import { contentHash } from "./canonical.ts";
import { diffFlows } from "../contract/diff.ts";
import { checkFlowId, EMPTY_FLOWS_FILE, FlowBundleSchema, flowsFileProblems, FlowsFileSchema, versionProblems, type FlowsFile } from "./flow-records.ts";
import { StoreDocument } from "./store-file.ts";
import type { DeploymentRecord, FlowBundle, FlowRecord, FlowVersion, FlowVersionInfo, SaveResult } from "../contract/flow-records.ts";

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

export interface FlowStoreOptions {
  /** Where timestamps come from (tests pass a VirtualClock). */
  readonly clock?: Pick<Clock, "now">;
}

const documentValidator = Compile(FlowDocumentSchema);
const bundleValidator = Compile(FlowBundleSchema);

/**
 * Flows, their immutable versions and deployments in `<dataDir>/flows.json`, through lowdb.
 * Every method that takes a flow id refuses an unusable one with FLOW_ID_INVALID (ids reach file
 * names and URLs). Documents handed out are copies: changing them changes nothing stored.
 *
 * @example
 * const flows = await LowdbFlowStore.open("data");
 * const saved = await flows.saveVersion({ document, author: "ana", message: "wider window", baseVersion: 3 });
 * if (!saved.ok) console.log(saved.conflict.diff); // someone saved version 4 meanwhile
 */
export class LowdbFlowStore implements FlowStore {
  private constructor(
    private readonly store: StoreDocument<FlowsFile>,
    private readonly clock: Pick<Clock, "now">,
  ) {}

  /** Opens `<dataDir>/flows.json` (missing = empty); a damaged file throws STORE_CORRUPT naming it. */
  static async open(dataDir: string, options: FlowStoreOptions = {}): Promise<LowdbFlowStore> {
    const spec = { file: join(dataDir, "flows.json"), schema: FlowsFileSchema, check: flowsFileProblems };
    return new LowdbFlowStore(await StoreDocument.open(spec, EMPTY_FLOWS_FILE), options.clock ?? { now: () => Date.now() });
  }

  listFlows(): FlowRecord[] {
    return [...this.store.data.flows];
  }

  getFlow(id: string): FlowRecord | undefined {
    checkFlowId(id);
    return this.store.data.flows.find((flow) => flow.id === id);
  }

  /**
   * Saves `document` as the next version of the flow `document.id`, creating the flow on its first
   * save (`created: true`). With `baseVersion` (the version the editor started from), a save on top
   * of anything but the latest is refused with the diff base -> latest and nothing is written;
   * `baseVersion: 0` means "create only": it conflicts when the flow already exists.
   */
  async saveVersion(input: { document: FlowDocument; author: string; message: string; baseVersion?: number }): Promise<SaveResult> {
    const flowId = checkFlowId(input.document?.id);
    const document = checkedDocument(input.document);
    return this.store.update<SaveResult>((data) => {
      const flow = data.flows.find((f) => f.id === flowId);
      const latest = flow?.latestVersion ?? 0;
      const { baseVersion } = input;
      if (baseVersion !== undefined && baseVersion !== latest) {
        if (!flow) throw new AiotError("FLOW_NOT_FOUND", `flow "${flowId}" no longer exists (it was deleted after version ${baseVersion} was loaded)`, { flowId });
        const base = baseVersion === 0 ? emptyFlow(flowId) : versionsOf(data, flowId).find((v) => v.version === baseVersion)?.document;
        if (!base) throw new AiotError("VERSION_NOT_FOUND", `flow "${flowId}" has no version ${baseVersion} (latest is ${latest})`, { flowId, version: baseVersion });
        const head = versionsOf(data, flowId)[latest - 1]!;
        return { next: data, result: { ok: false, conflict: { base: baseVersion, latest: infoOf(head), diff: diffFlows(base, head.document) } } };
      }
      const at = this.timestamp();
      const version: FlowVersion = { flowId, version: latest + 1, author: input.author, createdAt: at, hash: contentHash(document), message: input.message, document };
      const record: FlowRecord = flow
        ? { ...flow, name: document.name, updatedAt: at, latestVersion: version.version }
        : { id: flowId, name: document.name, createdAt: at, updatedAt: at, latestVersion: 1 };
      const next = { ...data, flows: replaceFlow(data.flows, flowId, record), versions: [...data.versions, version] };
      return { next, result: { ok: true, version: structuredClone(version), created: !flow } };
    });
  }

  listVersions(flowId: string): FlowVersionInfo[] {
    checkFlowId(flowId);
    return versionsOf(this.store.data, flowId).map(infoOf);
  }

  getVersion(flowId: string, version: number): FlowVersion | undefined {
    checkFlowId(flowId);
    const found = versionsOf(this.store.data, flowId).find((v) => v.version === version);
    return found && structuredClone(found);
  }

  /** Deletes the flow with all its versions and deployment records; false when there was none. */
  async deleteFlow(id: string): Promise<boolean> {
    checkFlowId(id);
    return this.store.update((data) => {
      if (!data.flows.some((flow) => flow.id === id)) return { next: data, result: false };
      return { next: withoutFlow(data, id), result: true };
    });
  }

  async recordDeployment(record: Omit<DeploymentRecord, "id">): Promise<DeploymentRecord> {
    checkFlowId(record.flowId);
    return this.store.update((data) => {
      this.requireVersion(data, record.flowId, record.version);
      const deployment: DeploymentRecord = { ...record, id: randomUUID() };
      return { next: { ...data, deployments: [...data.deployments, deployment] }, result: deployment };
    });
  }

  /** The flow's deployments, oldest first. */
  listDeployments(flowId: string): DeploymentRecord[] {
    checkFlowId(flowId);
    return this.store.data.deployments.filter((deployment) => deployment.flowId === flowId);
  }

  async setDeployed(flowId: string, version: number | undefined, good: boolean): Promise<void> {
    checkFlowId(flowId);
    return this.store.update((data) => {
      const flow = version === undefined ? this.requireFlow(data, flowId) : this.requireVersion(data, flowId, version);
      const { deployedVersion: _deployed, lastGoodVersion, ...rest } = flow;
      const goodVersion = good && version !== undefined ? version : lastGoodVersion;
      const record: FlowRecord = {
        ...rest,
        ...(version !== undefined ? { deployedVersion: version } : {}),
        ...(goodVersion !== undefined ? { lastGoodVersion: goodVersion } : {}),
      };
      return { next: { ...data, flows: replaceFlow(data.flows, flowId, record) }, result: undefined };
    });
  }

  exportFlow(id: string): FlowBundle | undefined {
    const flow = this.getFlow(id);
    if (!flow) return undefined;
    return structuredClone({ format: "aiotflow/flow-bundle@1", flow, versions: versionsOf(this.store.data, id) });
  }

  /**
   * Imports a bundle as a flow with the bundle's versions. The bundle is checked whole first (shape,
   * numbering, every version's hash): a tampered one is refused with IMPORT_INVALID naming the
   * version. An existing flow is replaced only with `replace` and only when not deployed; its old
   * versions and deployment records go. The imported flow is not deployed here.
   */
  async importFlow(bundle: FlowBundle, options: { replace?: boolean } = {}): Promise<FlowRecord> {
    const checked = checkedBundle(bundle);
    const id = checked.flow.id;
    return this.store.update((data) => {
      const existing = data.flows.find((flow) => flow.id === id);
      if (existing && !options.replace) throw new AiotError("FLOW_EXISTS", `flow "${id}" already exists`, { flowId: id });
      if (existing?.deployedVersion !== undefined) {
        throw new AiotError("FLOW_DEPLOYED", `flow "${id}" runs version ${existing.deployedVersion}; stop it before replacing it`, { flowId: id });
      }
      const latest = checked.versions[checked.versions.length - 1]!;
      const record: FlowRecord = { id, name: latest.document.name, createdAt: checked.flow.createdAt, updatedAt: checked.flow.updatedAt, latestVersion: latest.version };
      const rest = withoutFlow(data, id);
      return { next: { ...rest, flows: [...rest.flows, record], versions: [...rest.versions, ...checked.versions] }, result: record };
    });
  }

  private requireFlow(data: FlowsFile, flowId: string): FlowRecord {
    const flow = data.flows.find((f) => f.id === flowId);
    if (!flow) throw new AiotError("FLOW_NOT_FOUND", `no flow "${flowId}"`, { flowId });
    return flow;
  }

  private requireVersion(data: FlowsFile, flowId: string, version: number): FlowRecord {
    const flow = this.requireFlow(data, flowId);
    if (!Number.isInteger(version) || version < 1 || version > flow.latestVersion) {
      throw new AiotError("VERSION_NOT_FOUND", `flow "${flowId}" has no version ${version} (latest is ${flow.latestVersion})`, { flowId, version });
    }
    return flow;
  }

  private timestamp(): string {
    return new Date(this.clock.now()).toISOString();
  }
}

/** A copy of the document with the format's defaults filled in, or FLOW_FORMAT_INVALID. The fake store (test/support) checks with this too. */
export function checkedDocument(document: FlowDocument): FlowDocument {
  const filled = applyDefaults(FlowDocumentSchema, structuredClone(document));
  if (documentValidator.Check(filled)) return filled;
  const problems = schemaProblems(FlowDocumentSchema, filled, "");
  const first = problems[0];
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : "";
  throw new AiotError("FLOW_FORMAT_INVALID", `${first?.message ?? "not a flow document"}${more}`, { path: first?.path || "$" });
}

/** The bundle, checked whole (schema, id, versions chained by hash, latestVersion), or IMPORT_INVALID. */
export function checkedBundle(bundle: unknown): FlowBundle {
  if (!bundleValidator.Check(bundle)) {
    const [first] = schemaProblems(FlowBundleSchema, bundle, "");
    throw new AiotError("IMPORT_INVALID", `not a flow bundle: ${first?.path || "$"}: ${first?.message ?? "invalid"}`, { path: first?.path || "$" });
  }
  const id = checkFlowId(bundle.flow.id);
  if (bundle.versions.length === 0) throw new AiotError("IMPORT_INVALID", "the bundle holds no versions", { path: "versions" });
  const [problem] = versionProblems(id, bundle.versions, (i) => `versions[${i}]`);
  if (problem) throw new AiotError("IMPORT_INVALID", `${problem.path}: ${problem.message}`, { path: problem.path });
  if (bundle.flow.latestVersion !== bundle.versions.length) {
    throw new AiotError("IMPORT_INVALID", `flow.latestVersion is ${bundle.flow.latestVersion} but the bundle holds ${bundle.versions.length} versions`, { path: "flow.latestVersion" });
  }
  return bundle;
}

function versionsOf(data: FlowsFile, flowId: string): FlowVersion[] {
  return data.versions.filter((version) => version.flowId === flowId);
}

function infoOf({ document: _document, ...info }: FlowVersion): FlowVersionInfo {
  return info;
}

function replaceFlow(flows: readonly FlowRecord[], id: string, record: FlowRecord): FlowRecord[] {
  return flows.some((flow) => flow.id === id) ? flows.map((flow) => (flow.id === id ? record : flow)) : [...flows, record];
}

function withoutFlow(data: FlowsFile, id: string): FlowsFile {
  return {
    ...data,
    flows: data.flows.filter((flow) => flow.id !== id),
    versions: data.versions.filter((version) => version.flowId !== id),
    deployments: data.deployments.filter((deployment) => deployment.flowId !== id),
  };
}

/** Version 0 of every flow: what `baseVersion: 0` (create only) is compared against. */
function emptyFlow(id: string): FlowDocument {
  return { format: "aiotflow/flow@1", id, name: "", nodes: [], edges: [], connections: {} };
}
