/**
 * The hop limit that makes loops safe to run. A loop (a cycle of wires) must pass through a loop-safe
 * node (validate.ts), but a loop-safe node that passes everything on would still keep a message going
 * round for ever, and stop() would never drain. So a message counts the loop wires it crosses in
 * `meta.hops`; past the flow's `settings.maxHops` (64 by default) it is dropped, counted
 * (`dropped_hop_limit`) and reported to the flow's error handler as FLOW_HOP_LIMIT. The count is taken
 * off again when the message leaves the loop.
 *
 * Only wires that lie on a loop count (cycles.ts loopEdges), so a flow without loops never pays for
 * it. A node on a loop that builds a new message without its input's meta would start the count
 * again; for synchronous handlers the scheduler carries the count of the input being handled over to
 * what the node sends (`enter`/`leave`), asynchronous nodes on a loop must keep `meta`.
 */
import { DEFAULT_MAX_HOPS } from "../contract/flow-format.ts";
import { AiotError } from "../sdk/errors.ts";
import type { Message } from "../sdk/message.ts";
import type { RuntimeNode, Target } from "./runtime-node.ts";

/** The loop wires `msg` has crossed (0 for a message that never went round a loop). */
export function hopsOf(msg: Message): number {
  const hops = msg.meta?.["hops"];
  return typeof hops === "number" ? hops : 0;
}

export class LoopGuard {
  /** The flow's settings.maxHops. */
  maxHops = DEFAULT_MAX_HOPS;
  /** The node on a loop whose synchronous handler runs now, and the hops of the message it handles. */
  private holder: RuntimeNode | undefined;
  private held = 0;

  /** A node on a loop starts handling `msg` synchronously: what it sends carries at least its hops. */
  enter(node: RuntimeNode, msg: Message): void {
    this.holder = node;
    this.held = hopsOf(msg);
  }

  leave(): void {
    this.holder = undefined;
  }

  /** `msg` as sent by `from` over a loop wire, one hop further; undefined once that is past maxHops. */
  next(from: RuntimeNode, msg: Message): Message | undefined {
    const hops = Math.max(hopsOf(msg), from === this.holder ? this.held : 0) + 1;
    if (hops > this.maxHops) return undefined;
    return { ...msg, meta: { ...msg.meta, hops } };
  }

  /**
   * `msg` as it leaves a loop over a wire that is not on one: without `meta.hops`, which only means
   * something on the loop (a webhook or a database downstream must not see the engine's bookkeeping).
   */
  leaving(msg: Message): Message {
    const meta = msg.meta;
    if (meta === undefined || !("hops" in meta)) return msg;
    const { hops: _hops, ...rest } = meta;
    const { meta: _meta, ...envelope } = msg;
    return Object.keys(rest).length > 0 ? { ...envelope, meta: rest } : envelope;
  }

  /** The error the flow's handler gets for a message dropped on its way from `from` to `to`. */
  error(from: RuntimeNode, to: Target): AiotError {
    return new AiotError(
      "FLOW_HOP_LIMIT",
      `a message crossed the wires of a loop ${this.maxHops} times (settings.maxHops) and was dropped on its way from "${from.id}" to "${to.node.id}"`,
      { node: to.node.id, from: from.id, path: `edges[${to.edge}]`, maxHops: this.maxHops },
    );
  }
}
