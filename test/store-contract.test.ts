/**
 * The store contracts of test/support/store-contract.ts, run against the stores `aiotflow serve`
 * uses (files in a fresh temporary directory each) and the in-memory fakes the API tests use.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { JsonlAuditLog } from "../runtime/store/audit-log.ts";
import { LowdbFlowStore } from "../runtime/store/flow-store.ts";
import { EncryptedSecretStore } from "../runtime/store/secrets.ts";
import { MemoryAuditLog, MemoryFlowStore, MemorySecretStore } from "./support/api-stores.ts";
import { auditLogContract, flowStoreContract, secretStoreContract } from "./support/store-contract.ts";

const dirs: string[] = [];
const tempDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), "aiotflow-contract-"));
  dirs.push(dir);
  return dir;
};
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

flowStoreContract("LowdbFlowStore (flows.json)", async () => LowdbFlowStore.open(await tempDir()));
flowStoreContract("MemoryFlowStore (fake)", async () => new MemoryFlowStore());

auditLogContract("JsonlAuditLog (audit.jsonl)", async () => JsonlAuditLog.open(await tempDir()));
auditLogContract("MemoryAuditLog (fake)", async () => new MemoryAuditLog());

// No key in the environment: the store makes <dataDir>/secret.key on the first set.
secretStoreContract("EncryptedSecretStore (secrets.json)", async () => EncryptedSecretStore.open(await tempDir(), { env: {} }));
secretStoreContract("MemorySecretStore (fake)", async () => new MemorySecretStore());
