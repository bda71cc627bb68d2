/**
 * Registers the example model in a data directory and promotes it to production:
 *   node --import tsx examples/pump-failure-model/register.ts [data-dir]
 * then: npx aiotflow run examples/pump-failure-model/flow.json --data-dir <data-dir>
 *
 * It writes the registry and the audit log directly, so it takes the data directory's lock like
 * `aiotflow models register`: a server running on the same directory would not see the model,
 * later overwrite the registry and fork the audit chain.
 */
import { lockDataDir } from "../../runtime/store/data-dir-lock.ts";
import { ModelRegistry } from "../../runtime/ml/model-registry.ts";
import { isAiotError } from "../../runtime/sdk/errors.ts";
import { JsonlAuditLog } from "../../runtime/store/audit-log.ts";
import { buildPumpFailureModel } from "./model.ts";

const dataDir = process.argv[2] ?? "data";
let lock: { release(): void };
try {
  lock = lockDataDir(dataDir);
} catch (error) {
  if (!isAiotError(error) || error.code !== "STORE_LOCKED") throw error;
  process.stderr.write(
    `register.ts: ${error.toString()}\n  what to do: ${error.hint}\n` +
      `  A server is running on ${dataDir}: stop it and run this again, or register the model through the running ` +
      `server's API (POST /api/models/pump-failure/versions), or with \`npx aiotflow models register <file> --name pump-failure --data-dir ${dataDir}\` after stopping the server.\n`,
  );
  process.exit(1);
}
try {
  const model = buildPumpFailureModel();
  const registry = await ModelRegistry.open(dataDir, { audit: await JsonlAuditLog.open(dataDir) });
  try {
    const info = await registry.register({ name: "pump-failure", bytes: model.bytes, reference: model.reference, metrics: model.metrics, card: model.card, actor: "example" });
    await registry.promote(info.name, info.version, "production", "example");
    process.stdout.write(`pump-failure@${info.version} registered in ${dataDir} and promoted to production (hold-out accuracy ${String(model.metrics["accuracy"])})\n`);
  } finally {
    await registry.close();
  }
} finally {
  lock.release();
}
