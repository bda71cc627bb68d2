import type { Message } from "../sdk/message.ts";
import type { HookList } from "./hooks.ts";
import type { RuntimeNode } from "./runtime-node.ts";

/** What the async and batch call runners (async-calls.ts, batch.ts) need of the scheduler that owns them. */
export interface CallHost {
  readonly hooks: HookList<RuntimeNode>;
  /** `count` messages of `node` left the queues (taken into a call). */
  taken(node: RuntimeNode, count: number): void;
  /** `count` messages of `node` are in flight (negative: they finished). */
  inFlight(node: RuntimeNode, count: number): void;
  /** The node failed on `msg`: routed with a coded error (scheduler.fail). */
  fail(node: RuntimeNode, port: string, msg: Message, thrown: unknown): void;
  /** Re-checks the backpressure and idle waiters. */
  settle(): void;
}
