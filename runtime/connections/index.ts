import { CONNECTIONS } from "../sdk/connections.ts";
import type { Logger } from "../sdk/define.ts";
import { OUTBOXES } from "../sdk/outbox.ts";
import { diskOutboxes } from "./outbox.ts";
import type { Services } from "../sdk/services.ts";
import { loadConnectionTypes } from "./registry.ts";
import { ConnectionSupervisor, type SupervisorOptions } from "./supervisor.ts";

export { ConnectionSupervisor, type TestResult } from "./supervisor.ts";
export { loadConnectionTypes, type ConnectionTypes } from "./registry.ts";

/** A supervisor over every connection type in runtime/connections/types (what serve and run use). */
export async function createConnections(options: Omit<SupervisorOptions, "types">): Promise<ConnectionSupervisor> {
  return new ConnectionSupervisor({ ...options, types: await loadConnectionTypes() });
}

/**
 * `services` plus CONNECTIONS backed by `supervisor` and OUTBOXES (store-and-forward buffers) under
 * `<dataDir>/outbox`, in memory when there is no data directory.
 */
export function withConnections(services: Services | undefined, supervisor: ConnectionSupervisor, dataDir?: string, log?: Logger): Services {
  return new Map([...(services ?? new Map<string, unknown>()), [CONNECTIONS.name, supervisor], [OUTBOXES.name, diskOutboxes(dataDir, log)]]);
}
