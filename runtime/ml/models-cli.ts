import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { lockDataDir } from "../store/data-dir-lock.ts";
import { AiotError, errorMessage, isAiotError } from "../sdk/errors.ts";
import { MODEL_STAGES, type ModelStage, type ModelVersionInfo } from "../sdk/models.ts";
import { JsonlAuditLog } from "../store/audit-log.ts";
import { ModelRegistry, type ModelSummary } from "./model-registry.ts";
import { promotionWarnings } from "./promotion-warnings.ts";

export interface ModelsCliOptions {
  readonly dataDir: string;
  readonly name?: string;
  readonly features?: string;
  readonly stage?: string;
  readonly card?: string;
  readonly json?: boolean;
}

type Result = { code: number; text: string };

/**
 * `aiotflow models list | show <name> | register <file> --name n [--features a,b] | promote <name> <version> --stage s`.
 * Reads need no lock; register and promote take the data-dir lock (a running server refuses them
 * with STORE_LOCKED: use the admin API then) and are audited as actor "cli".
 */
export async function modelsCommand(positionals: readonly string[], options: ModelsCliOptions): Promise<Result> {
  const [action, ...args] = positionals;
  try {
    switch (action) {
      case "list":
        return await withRegistry(options, false, (r) => ok(options.json ? JSON.stringify(r.list(), null, 2) : listText(r.list())));
      case "show":
        if (!args[0]) return { code: 2, text: "missing the model name" };
        return await withRegistry(options, false, (r) => ok(options.json ? JSON.stringify(r.get(args[0]!), null, 2) : showText(r.get(args[0]!))));
      case "register":
        return await register(args[0], options);
      case "promote":
        return await promote(args[0], args[1], options);
      default:
        return { code: 2, text: action ? `unknown models command "${action}"` : "missing list, show, register or promote" };
    }
  } catch (error) {
    return { code: 1, text: isAiotError(error) ? `${error.toString()}\n  what to do: ${error.hint}` : errorMessage(error) };
  }
}

async function register(file: string | undefined, options: ModelsCliOptions): Promise<Result> {
  if (!file) return { code: 2, text: "missing the model file" };
  if (!options.name) return { code: 2, text: "missing --name" };
  const bytes = await readFile(file).catch((error: unknown) => {
    throw new AiotError("MODEL_FILE_UNREADABLE", `cannot read the model file: ${errorMessage(error)}`, { file }, { cause: error });
  });
  const featureNames = options.features?.split(",").map((f) => f.trim()).filter(Boolean);
  return withRegistry(options, true, async (r) => {
    const info = await r.register({ name: options.name!, bytes, ...(featureNames ? { featureNames } : {}), ...(options.card ? { card: options.card } : {}), actor: "cli" });
    return ok(`registered ${info.name}@${info.version} (candidate), sha256 ${info.sha256.slice(0, 12)}…, ${info.size} bytes, features ${info.featureNames.join(", ")}`);
  });
}

async function promote(name: string | undefined, version: string | undefined, options: ModelsCliOptions): Promise<Result> {
  if (!name || !version || !/^[1-9]\d*$/.test(version)) return { code: 2, text: "give the model name and a version number" };
  const stage = options.stage ?? "production";
  if (!isStage(stage)) return { code: 2, text: `--stage must be one of ${MODEL_STAGES.join(", ")}` };
  return withRegistry(options, true, async (r) => {
    const info = await r.promote(name, Number(version), stage, "cli");
    const warnings = promotionWarnings(info, stage).map((w) => `\nwarning: ${w}`);
    return ok(`${info.name}@${info.version} is now ${info.stage}${warnings.join("")}`);
  });
}

async function withRegistry(options: ModelsCliOptions, writes: boolean, work: (registry: ModelRegistry) => Result | Promise<Result>): Promise<Result> {
  if (!existsSync(options.dataDir) && !writes) return { code: 1, text: `no data directory at ${options.dataDir}: pass the one the server uses with --data-dir` };
  const lock = writes ? lockDataDir(options.dataDir) : undefined;
  const registry = await ModelRegistry.open(options.dataDir, writes ? { audit: await JsonlAuditLog.open(options.dataDir) } : {});
  try {
    return await work(registry);
  } finally {
    await registry.close();
    lock?.release();
  }
}

const ok = (text: string): Result => ({ code: 0, text });
const isStage = (stage: string): stage is ModelStage => (MODEL_STAGES as readonly string[]).includes(stage);

function listText(models: readonly ModelSummary[]): string {
  if (models.length === 0) return "no models registered (aiotflow models register <file.onnx> --name <name>)";
  return models
    .map((m) => `${m.name.padEnd(24)} production ${m.production !== undefined ? `v${m.production}` : "-"}  candidate ${m.candidate !== undefined ? `v${m.candidate}` : "-"}  ${m.versions.length} version(s)`)
    .join("\n");
}

function showText(model: ModelSummary): string {
  const line = (v: ModelVersionInfo) => {
    const evaluation = v.metrics.evaluation ? ` evaluation ${v.metrics.evaluation.passed ? "passed" : "FAILED"}` : "";
    const io = `${v.inputs.map((i) => `${i.name} ${i.type}[${i.shape.join(",")}]`).join(" ")} -> ${v.outputs.map((o) => `${o.name} ${o.type}[${o.shape.join(",")}]`).join(" ")}`;
    return `  v${v.version} ${v.stage.padEnd(10)} ${v.sha256.slice(0, 12)} ${v.size} B  ${io}  by ${v.registeredBy} ${v.registeredAt}${evaluation}\n     features: ${v.featureNames.join(", ")}${v.card ? `\n     ${v.card}` : ""}`;
  };
  return [`${model.name}`, ...model.versions.map(line)].join("\n");
}
