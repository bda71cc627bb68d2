import type { AnyNodeDefinition, NodeInstance, NodeStatus } from "../sdk/define.ts";
import { isSource } from "../sdk/define.ts";
import type { Message } from "../sdk/message.ts";
import { KeyedLanes } from "./keyed-order.ts";
import { NodeStats } from "./metrics.ts";
import { TripleRing } from "./ring.ts";

export interface Target {
  readonly node: RuntimeNode;
  readonly port: string;
  /** The wire lies on a loop: messages crossing it count a hop (hop-limit.ts). */
  readonly loop: boolean;
  /** Index of the wire's edge in the flow document (for error paths). */
  readonly edge: number;
}

/** One built node of a running flow: its definition, instance, wiring, stats and keyed state. */
export class RuntimeNode {
  instance: NodeInstance<string> = {};
  /** The instance's onMessage, bound once. */
  handler: ((msg: Message, port: string) => void | Promise<void>) | undefined;
  /** The instance's onBatch, bound once; when set, the scheduler delivers batches, never single messages. */
  batchHandler: ((msgs: readonly Message[], port: string, fail: (msg: Message, error: unknown) => void) => void | Promise<void>) | undefined;
  /** Batch nodes: waiting in the scheduler's list of nodes to hand a batch to. */
  batchDue = false;
  /** Output port name -> wired targets; rebuilt on every (re)deploy. */
  outputs: Record<string, readonly Target[]> = Object.create(null);
  /** Some output wire lies on a loop (set with `outputs`). */
  onLoop = false;
  readonly isSource: boolean;
  /** 0 for synchronous nodes; otherwise the number of messages allowed in flight. */
  readonly concurrency: number;
  inflight = 0;
  /** Synchronous calls handed to this node while someone listens to onTimed: picks which are timed. */
  calls = 0;
  /** True once a message frozen for this node was routed to it (scheduler.route freezes its first one). */
  spotChecked = false;
  /** Async and batch nodes: messages waiting for a free slot or their batch (port, message, this node). */
  readonly inbox = new TripleRing<string, Message, RuntimeNode>(16);
  /** True while the scheduler is starting waiting messages (guards against re-entry). */
  pumping = false;
  /** Async nodes with `orderBy: "key"` and concurrency > 1: the per-key lanes (keyed-order.ts). */
  lanes: KeyedLanes<RuntimeNode> | undefined;
  status: NodeStatus = { state: "idle" };
  started = false;
  /** A source said it has finished (ctx.done()): it emits nothing more. */
  finished = false;
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
    this.batchHandler = instance.onBatch?.bind(instance);
    // One call at a time keeps order anyway; batch nodes keep theirs with one batch in flight (batch.ts).
    const keyed = this.definition.orderBy === "key" && this.concurrency > 1 && this.batchHandler === undefined;
    this.lanes = keyed ? new KeyedLanes() : undefined;
  }
}
