import type { ConnectionTypes } from "./registry.ts";
import type { TestResult } from "./supervisor.ts";

/** What the admin API needs of the connection supervisor: the types and "test connection". */
export interface ConnectionTester {
  readonly types: ConnectionTypes;
  test(type: string, config: unknown): Promise<TestResult>;
}
