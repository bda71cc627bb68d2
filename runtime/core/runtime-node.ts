import type { AnyNodeDefinition, NodeInstance, NodeStatus } from "../sdk/define.ts";
import { isSource } from "../sdk/define.ts";
import type { Message } from "../sdk/message.ts";
import { NodeStats } from "./metrics.ts";
import { TripleRing } from "./ring.ts";

export interface Target {
  readonly node: RuntimeNode;
  readonly port: string;
}

/** One built node of a running flow: its definition, instance, wiring, stats and keyed state. */
export class RuntimeNode {
  instance: NodeInstance<string> = {};
  /** The instance's onMessage, bound once. */
  handler: ((msg: Message, port: string) => void | Promise<void>) | undefined;
  /** Output port name -> wired targets; rebuilt on every (re)deploy. */
  outputs: Record<string, readonly Target[]> = Object.create(null);
  readonly isSource: boolean;
  /** 0 for synchronous nodes; otherwise the number of messages allowed in flight. */
  readonly concurrency: number;
  inflight = 0;
  /** Async nodes only: messages waiting for a free slot (port, message, this node). */
  readonly inbox = new TripleRing<string, Message, RuntimeNode>(16);
  /** True while the scheduler is starting waiting messages (guards against re-entry). */
  pumping = false;
  status: NodeStatus = { state: "idle" };
  started = false;
  closed = false;

  constructor(
    readonly id: string,
    readonly name: string | undefined,
    readonly definition: AnyNodeDefinition,
    readonly config: unknown,
    /** Identity of type + version + config: equal hashes mean "unchanged" on redeploy. */
    readonly configHash: string,
    readonly state: Map<string, unknown>,
    readonly stats: NodeStats,
    readonly capacity: number,
  ) {
    this.isSource = isSource(definition);
    this.concurrency = Math.max(0, definition.concurrency ?? 0);
  }

  bind(instance: NodeInstance<string>): void {
    this.instance = instance;
    this.handler = instance.onMessage?.bind(instance);
  }
}
