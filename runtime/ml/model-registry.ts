/**
 * The model registry: named models with numbered versions, each an ONNX file stored once by its
 * sha256 under `<dataDir>/models/<sha256>.onnx`, and metadata in `<dataDir>/models.json`
 * (lowdb through the durable store file of runtime/store: fsync'd writes, a damaged file is
 * STORE_CORRUPT and never reset).
 *
 * API (stable; the retraining loop and the admin API call it):
 * - `register({ name, bytes, featureNames?, outputMeaning?, reference?, metrics?, card?, actor? })`
 *   → the new version (numbered from 1, stage "candidate"). Inputs/outputs, types and shapes are
 *   read from the file (MODEL_NOT_ONNX when it is not ONNX); feature names default to the
 *   `aiotflow.features` metadata that runtime/ml/onnx-export.ts writes.
 * - `promote(name, version, stage, actor)`: stage "production" moves the alias (the previous
 *   production version becomes "archived"); "candidate" and "archived" set the stage. Refused,
 *   and audited as refused, when `metrics.evaluation.passed === false` (MODEL_EVALUATION_FAILED)
 *   or the file no longer matches its hash (MODEL_HASH_MISMATCH). Every promotion is audited
 *   (action "model.promote", target "model:<name>@<version>").
 * - `resolve(name, "production" | "candidate" | version)`: "candidate" is the newest candidate.
 * - `list()`, `get(name)`, `open(name, version)` (hash-checked runner), `subscribe(listener)`
 *   (a ModelEvent after every registration and promotion: how nodes follow the production alias).
 * Field conventions (`reference`, `metrics.evaluation`) are documented in runtime/sdk/models.ts.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Clock } from "../sdk/clock.ts";
import { AiotError, errorMessage } from "../sdk/errors.ts";
import {
  MODEL_STAGES, type FeatureReference, type ModelEvent, type ModelMetrics, type ModelRef, type ModelResolver,
  type ModelRunner, type ModelStage, type ModelVersionInfo,
} from "../sdk/models.ts";
import { Type } from "../sdk/schema.ts";
import type { AuditLog } from "../store/audit-log.ts";
import { writeFileAtomic } from "../store/atomic-write.ts";
import { StoreDocument } from "../store/store-file.ts";
import { SessionPool } from "./model-sessions.ts";
import { featureNamesFromMetadata, featureWidth, inspectOnnx } from "./onnx-inspect.ts";
import { OUTPUT_METADATA_KEY } from "./onnx-export.ts";

const MODEL_NAME = /^(?!\.+$)[A-Za-z0-9_.:-]{1,128}$/;
const TensorSchema = Type.Object({ name: Type.String(), type: Type.String(), shape: Type.Array(Type.Union([Type.Number(), Type.String(), Type.Null()])) });
const VersionSchema = Type.Object({
  name: Type.String({ pattern: MODEL_NAME.source }),
  version: Type.Integer({ minimum: 1 }),
  stage: Type.Union(MODEL_STAGES.map((s) => Type.Literal(s))),
  sha256: Type.String({ pattern: "^[0-9a-f]{64}$" }),
  size: Type.Integer({ minimum: 0 }),
  featureNames: Type.Array(Type.String()),
  outputMeaning: Type.Array(Type.String()),
  inputs: Type.Array(TensorSchema),
  outputs: Type.Array(TensorSchema),
  reference: Type.Record(Type.String(), Type.Object({ mean: Type.Number(), std: Type.Number() })),
  metrics: Type.Record(Type.String(), Type.Unknown()),
  card: Type.String(),
  registeredAt: Type.String(),
  registeredBy: Type.String(),
});
const ModelsFileSchema = Type.Object({ format: Type.Literal("aiotflow/models@1"), versions: Type.Array(VersionSchema) });

interface ModelsFile {
  readonly format: "aiotflow/models@1";
  readonly versions: readonly ModelVersionInfo[];
}

export interface RegisterModelInput {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly featureNames?: readonly string[];
  readonly outputMeaning?: readonly string[];
  readonly reference?: Readonly<Record<string, FeatureReference>>;
  readonly metrics?: ModelMetrics;
  readonly card?: string;
  /** Who registers it (a username, "retrain:<flow>"); recorded in the audit log. */
  readonly actor?: string;
}

export interface ModelSummary {
  readonly name: string;
  readonly production?: number;
  readonly candidate?: number;
  readonly versions: readonly ModelVersionInfo[];
}

export interface ModelRegistryOptions {
  readonly audit?: Pick<AuditLog, "append">;
  readonly clock?: Pick<Clock, "now">;
}

export class ModelRegistry implements ModelResolver {
  private readonly listeners = new Set<(event: ModelEvent) => void>();
  private readonly sessions = new SessionPool();

  private constructor(
    private readonly doc: StoreDocument<ModelsFile>,
    readonly modelsDir: string,
    private readonly options: ModelRegistryOptions,
  ) {}

  static async open(dataDir: string, options: ModelRegistryOptions = {}): Promise<ModelRegistry> {
    const modelsDir = join(dataDir, "models");
    try {
      await mkdir(modelsDir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new AiotError("STORE_WRITE_FAILED", `cannot create the models directory: ${errorMessage(error)}`, { file: modelsDir }, { cause: error });
    }
    const doc = await StoreDocument.open<ModelsFile>({ file: join(dataDir, "models.json"), schema: ModelsFileSchema }, { format: "aiotflow/models@1", versions: [] });
    return new ModelRegistry(doc, modelsDir, options);
  }

  fileOf(info: Pick<ModelVersionInfo, "sha256">): string {
    return join(this.modelsDir, `${info.sha256}.onnx`);
  }

  async register(input: RegisterModelInput): Promise<ModelVersionInfo> {
    if (!MODEL_NAME.test(input.name)) throw new AiotError("MODEL_INVALID", `model name "${input.name}" is not 1-128 letters, digits, _ . : -`, { path: "name" });
    const signature = inspectOnnx(input.bytes, `model ${input.name}`);
    const featureNames = [...(input.featureNames ?? featureNamesFromMetadata(signature) ?? [])];
    checkFeatures(featureNames, signature.inputs[0] ? featureWidth(signature.inputs[0]) : undefined, signature.inputs.length);
    const outputMeaning = [...(input.outputMeaning ?? parseStringArray(signature.metadata[OUTPUT_METADATA_KEY]) ?? signature.outputs.map((o) => o.name))];
    const reference = input.reference ?? {};
    for (const [feature, stats] of Object.entries(reference)) {
      if (feature !== "$score" && !featureNames.includes(feature)) throw new AiotError("MODEL_INVALID", `reference names "${feature}", which is not a feature of the model`, { path: `reference.${feature}` });
      if (!Number.isFinite(stats.mean) || !Number.isFinite(stats.std)) throw new AiotError("MODEL_INVALID", `reference.${feature} needs finite mean and std`, { path: `reference.${feature}` });
    }
    const sha256 = createHash("sha256").update(input.bytes).digest("hex");
    await this.writeModelFile(sha256, input.bytes);
    const actor = input.actor ?? "aiotflow";
    const info = await this.doc.update((current) => {
      const version = Math.max(0, ...current.versions.filter((v) => v.name === input.name).map((v) => v.version)) + 1;
      const entry: ModelVersionInfo = {
        name: input.name, version, stage: "candidate", sha256, size: input.bytes.byteLength, featureNames, outputMeaning,
        inputs: signature.inputs, outputs: signature.outputs, reference, metrics: input.metrics ?? {}, card: input.card ?? "",
        registeredAt: new Date(this.now()).toISOString(), registeredBy: actor,
      };
      return { next: { ...current, versions: [...current.versions, entry] }, result: entry };
    });
    await this.audit(actor, "model.register", info, "ok", { sha256, size: info.size, features: featureNames.length });
    this.notify({ kind: "registered", name: info.name, version: info.version, stage: info.stage, actor });
    return info;
  }

  async promote(name: string, version: number, stage: ModelStage, actor: string): Promise<ModelVersionInfo> {
    if (!MODEL_STAGES.includes(stage)) throw new AiotError("MODEL_STAGE_INVALID", `unknown stage "${String(stage)}"`, { path: "stage" });
    const target = this.resolve(name, version);
    if (stage === "production") {
      const evaluation = target.metrics.evaluation;
      if (evaluation && evaluation.passed === false) {
        await this.audit(actor, "model.promote", target, "refused", { stage, code: "MODEL_EVALUATION_FAILED" });
        throw new AiotError("MODEL_EVALUATION_FAILED", `model ${name}@${version} failed evaluation${evaluation.reason ? `: ${evaluation.reason}` : ""}; not promoted`, { model: `${name}@${version}` });
      }
      try {
        await this.readVerified(target);
      } catch (error) {
        await this.audit(actor, "model.promote", target, "refused", { stage, code: (error as AiotError).code });
        throw error;
      }
    }
    if (target.stage === stage) return target;
    const { updated, previous } = await this.doc.update((current) => {
      const previousProduction = stage === "production" ? current.versions.find((v) => v.name === name && v.stage === "production") : undefined;
      const versions = current.versions.map((v) => {
        if (v.name === name && v.version === version) return { ...v, stage };
        if (v === previousProduction) return { ...v, stage: "archived" as const };
        return v;
      });
      const result = { updated: versions.find((v) => v.name === name && v.version === version)!, previous: previousProduction?.version };
      return { next: { ...current, versions }, result };
    });
    await this.audit(actor, "model.promote", updated, "ok", { from: target.stage, stage, ...(previous !== undefined ? { archived: previous } : {}) });
    this.notify({ kind: "promoted", name, version, stage, actor, ...(previous !== undefined ? { previous } : {}) });
    return updated;
  }

  resolve(name: string, ref: ModelRef): ModelVersionInfo {
    const versions = this.doc.data.versions.filter((v) => v.name === name);
    const found = typeof ref === "number" ? versions.find((v) => v.version === ref) : versions.filter((v) => v.stage === ref).at(-1);
    if (!found) {
      const what = typeof ref === "number" ? `version ${ref}` : `a ${ref} version`;
      throw new AiotError("MODEL_NOT_FOUND", versions.length === 0 ? `no model named "${name}"` : `model "${name}" has no ${what}`, { model: name, ref });
    }
    return found;
  }

  list(): ModelSummary[] {
    const names = [...new Set(this.doc.data.versions.map((v) => v.name))].sort();
    return names.map((name) => this.summaryOf(name));
  }

  get(name: string): ModelSummary {
    this.resolve(name, 1); // throws MODEL_NOT_FOUND for an unknown name
    return this.summaryOf(name);
  }

  async open(name: string, version: number): Promise<ModelRunner> {
    const info = this.resolve(name, version);
    return this.sessions.acquire(info, await this.readVerified(info));
  }

  /** The model file's bytes, refused (MODEL_HASH_MISMATCH) when they no longer hash to the entry's sha256. */
  async readVerified(info: ModelVersionInfo): Promise<Uint8Array> {
    const file = this.fileOf(info);
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (error) {
      throw new AiotError("MODEL_HASH_MISMATCH", `model ${info.name}@${info.version}: its file is unreadable: ${errorMessage(error)}`, { file, model: `${info.name}@${info.version}` }, { cause: error });
    }
    const actual = createHash("sha256").update(bytes).digest("hex");
    if (actual !== info.sha256) {
      throw new AiotError("MODEL_HASH_MISMATCH", `model ${info.name}@${info.version}: file hash ${actual.slice(0, 12)}… does not match the registered ${info.sha256.slice(0, 12)}…`, { file, model: `${info.name}@${info.version}` });
    }
    return bytes;
  }

  subscribe(listener: (event: ModelEvent) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    await this.sessions.close();
  }

  private summaryOf(name: string): ModelSummary {
    const versions = this.doc.data.versions.filter((v) => v.name === name);
    const production = versions.find((v) => v.stage === "production")?.version;
    const candidate = versions.filter((v) => v.stage === "candidate").at(-1)?.version;
    return { name, ...(production !== undefined ? { production } : {}), ...(candidate !== undefined ? { candidate } : {}), versions };
  }

  private notify(event: ModelEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A listener's bug must not undo a committed promotion; the listener logs its own failures.
      }
    }
  }

  private now(): number {
    return this.options.clock?.now() ?? Date.now();
  }

  private async audit(actor: string, action: string, info: ModelVersionInfo, outcome: "ok" | "refused", detail: Record<string, unknown>): Promise<void> {
    await this.options.audit?.append({ actor, action, target: `model:${info.name}@${info.version}`, outcome, after: info.sha256, detail });
  }

  /** Stores the file once per hash, atomically (a crash leaves no half model). */
  private async writeModelFile(sha256: string, bytes: Uint8Array): Promise<void> {
    const file = this.fileOf({ sha256 });
    const existing = await readFile(file).catch(() => undefined);
    if (existing && createHash("sha256").update(existing).digest("hex") === sha256) return;
    await writeFileAtomic(file, bytes, { failure: "cannot store the model file" });
  }
}

function checkFeatures(featureNames: string[], width: number | undefined, inputCount: number): void {
  if (featureNames.length === 0) throw new AiotError("MODEL_INVALID", "featureNames is empty and the model carries no aiotflow.features metadata: name the input columns", { path: "featureNames" });
  const duplicate = featureNames.find((n, i) => featureNames.indexOf(n) !== i);
  if (duplicate !== undefined) throw new AiotError("MODEL_INVALID", `feature "${duplicate}" is listed twice`, { path: "featureNames" });
  if (featureNames.some((n) => n.length === 0 || n.length > 128)) throw new AiotError("MODEL_INVALID", "feature names must be 1-128 characters", { path: "featureNames" });
  if (inputCount === 1 && width !== undefined && width !== featureNames.length) {
    throw new AiotError("MODEL_INVALID", `${featureNames.length} feature names given but the model's input takes ${width} columns`, { path: "featureNames" });
  }
}

function parseStringArray(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) && parsed.every((s) => typeof s === "string") ? parsed : undefined;
  } catch {
    return undefined;
  }
}
