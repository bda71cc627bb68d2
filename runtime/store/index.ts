import { mkdir } from "node:fs/promises";
import type { Clock } from "../sdk/clock.ts";
import { AiotError, errorMessage } from "../sdk/errors.ts";
import { JsonlAuditLog } from "./audit-log.ts";
import { LowdbFlowStore } from "./flow-store.ts";
import { EncryptedSecretStore } from "./secrets.ts";
import type { AuditLog } from "./audit-log.ts";
import type { FlowStore } from "./flow-store.ts";
import type { SecretStore } from "./secrets.ts";
import type { UserStore } from "./users.ts";
import { LowdbUserStore } from "./users.ts";

export interface Stores {
  readonly flows: FlowStore;
  readonly users: UserStore;
  readonly audit: AuditLog;
  readonly secrets: SecretStore;
}

export interface OpenStoresOptions {
  readonly clock?: Pick<Clock, "now">;
  /** Where `AIOTFLOW_SECRET_KEY` is read from (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Opens every store in `dataDir`, creating the directory (mode 0700) when missing. A damaged
 * store file stops here with its coded error (STORE_CORRUPT naming the file and the place); a
 * broken audit chain does not: check `audit.verify()` after opening.
 *
 * @example
 * const { flows, users, audit, secrets } = await openStores("./data");
 */
export async function openStores(dataDir: string, options: OpenStoresOptions = {}): Promise<Stores> {
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new AiotError("STORE_WRITE_FAILED", `cannot create the data directory: ${errorMessage(error)}`, { file: dataDir }, { cause: error });
  }
  const clock = options.clock ? { clock: options.clock } : {};
  return {
    flows: await LowdbFlowStore.open(dataDir, clock),
    users: await LowdbUserStore.open(dataDir, clock),
    audit: await JsonlAuditLog.open(dataDir, clock),
    secrets: await EncryptedSecretStore.open(dataDir, { ...clock, ...(options.env ? { env: options.env } : {}) }),
  };
}
