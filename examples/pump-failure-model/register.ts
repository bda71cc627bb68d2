/**
 * Registers the example model in a data directory and promotes it to production:
 *   node --import tsx examples/pump-failure-model/register.ts [data-dir]
 * then: npx aiotflow run examples/pump-failure-model/flow.json --data-dir <data-dir>
 */
import { ModelRegistry } from "../../runtime/ml/model-registry.ts";
import { JsonlAuditLog } from "../../runtime/store/audit-log.ts";
import { buildPumpFailureModel } from "./model.ts";

const dataDir = process.argv[2] ?? "data";
const model = buildPumpFailureModel();
const registry = await ModelRegistry.open(dataDir, { audit: await JsonlAuditLog.open(dataDir) });
const info = await registry.register({ name: "pump-failure", bytes: model.bytes, reference: model.reference, metrics: model.metrics, card: model.card, actor: "example" });
await registry.promote(info.name, info.version, "production", "example");
await registry.close();
process.stdout.write(`pump-failure@${info.version} registered in ${dataDir} and promoted to production (hold-out accuracy ${String(model.metrics["accuracy"])})\n`);
