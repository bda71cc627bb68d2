import type { AnyNodeDefinition, Logger } from "../sdk/define.ts";
import { errorMessage, type AiotError } from "../sdk/errors.ts";
import type { Message } from "../sdk/message.ts";

/** What a hook is told about a node: its id, its name in the flow and its definition (type, version, ports). */
export interface HookNode {
  readonly id: string;
  readonly name: string | undefined;
  readonly definition: AnyNodeDefinition;
}

/**
 * Why a message was lost: the target's queue was full, the target was closed, the message had crossed
 * the flow's `settings.maxHops` wires of a loop, or it was still queued when stop gave up draining
 * (these on the target's input port); the sending node was already closed, or a source sent it during
 * a redeploy with the parking full (these on the sender's output port; a parked message still waiting
 * when stop gave up is dropped there too, as drain-timeout).
 */
export type DropReason = "queue-full" | "closed" | "hop-limit" | "drain-timeout" | "sender-closed" | "redeploy-full";

/**
 * The routing hooks: the fixed list of points where metrics, debug taps, tracing and lineage watch
 * messages move through a flow. Nodes never see them. Every hook is optional; a listener implements
 * the ones it needs.
 *
 * A listener runs inline in the run queue, so it must be quick, must not mutate the message (the same
 * object goes to every wired target) and must not throw. If it throws, the engine catches it, counts
 * it (`Hooks.failures`), logs the first failure of that listener (code HOOK_FAILED) and carries on:
 * the message is routed as if nothing happened and the other listeners are still called. (Messages
 * are frozen when emitted, so a listener that mutates one throws, and is caught the same way.)
 *
 * For one message the order is: onSend at the sender, then at each target onReceive, the handler's own
 * sends, onComplete, and (for a timed call) onTimed.
 */
export interface RoutingHooks<N extends HookNode = HookNode> {
  /**
   * `node` emitted `msg` on its output `port`, before it is queued to each wired input (also when no
   * wire leaves the port). Includes error messages on the `error` port: the node's own, and the one
   * the engine sends there for each failure of its handler (wired or not; unwired, the failure also
   * goes to the flow's error handler).
   */
  onSend?(node: N, port: string, msg: Message): void;
  /** `msg` is handed to `node`'s handler on input `port` (a batch: once per message, in order, before the call). */
  onReceive?(node: N, port: string, msg: Message): void;
  /**
   * `node`'s handler is done with `msg`: `error` is undefined when it succeeded (returned, or its
   * promise resolved), else the coded error it failed with (already sent as an error message, see
   * onSend). Fires after the messages the handler sent.
   */
  onComplete?(node: N, port: string, msg: Message, error: AiotError | undefined): void;
  /**
   * A timed handler call on `node` finished after `ms` milliseconds, handling `messages` messages
   * (more than one for a batch). Timed are one synchronous call in eight per node (timing every one
   * costs more than a hop), and every async and every batch call. Not timed while nobody listens.
   */
  onTimed?(node: N, port: string, ms: number, messages: number): void;
  /** `msg` was lost on `node`'s `port`; see DropReason for which node and port that is. */
  onDrop?(node: N, port: string, msg: Message, reason: DropReason): void;
  /** Source `node` emitted `msg` during a redeploy: it is parked and routed, without another onSend, once the swap is done. */
  onHold?(node: N, port: string, msg: Message): void;
  /** `node` handed `msg` to the debug taps (`ctx.debug`, e.g. a debug node), under `label`. */
  onDebug?(node: N, msg: Message, label: string): void;
}

export type HookName = keyof RoutingHooks;
/** Every hook, each compiled on change (`satisfies` makes a hook missing here a type error). */
const HOOK_NAMES = Object.keys({ onSend: 0, onReceive: 0, onComplete: 0, onTimed: 0, onDrop: 0, onHold: 0, onDebug: 0 } satisfies Record<HookName, 0>) as HookName[];

/** Registration, as the engine exposes it to plugins. */
export interface Hooks {
  /**
   * Starts calling `listener`'s hooks (its methods are read now; `this` is the listener). Returns a
   * function that stops them.
   * @example const stop = engine.hooks.add({ onSend: (node, port) => sent.set(node.id, (sent.get(node.id) ?? 0) + 1) });
   */
  add(listener: RoutingHooks): () => void;
  /** How many listener calls threw since the engine was built. */
  readonly failures: number;
}

type Compiled<N extends HookNode, K extends HookName> = NonNullable<RoutingHooks<N>[K]>;
type AnyHook = (this: unknown, a: unknown, b: unknown, c: unknown, d: unknown) => void;

interface Entry<N extends HookNode> {
  readonly listener: RoutingHooks<N>;
  failures: number;
}

/**
 * The registered listeners, compiled per hook into one function (or undefined when nobody listens)
 * each time the list changes, so the scheduler pays one field check per hook point and no allocation.
 * The engine's own listener (`builtIn`, its metrics) is called first and directly: it only adds to
 * counters, cannot throw, and a guard around it would cost on every message. Its methods get no `this`.
 */
export class HookList<N extends HookNode> implements Hooks {
  onSend: Compiled<N, "onSend"> | undefined = undefined;
  onReceive: Compiled<N, "onReceive"> | undefined = undefined;
  onComplete: Compiled<N, "onComplete"> | undefined = undefined;
  onTimed: Compiled<N, "onTimed"> | undefined = undefined;
  onDrop: Compiled<N, "onDrop"> | undefined = undefined;
  onHold: Compiled<N, "onHold"> | undefined = undefined;
  onDebug: Compiled<N, "onDebug"> | undefined = undefined;
  failures = 0;
  private entries: ReadonlyArray<Entry<N>> = [];

  constructor(
    private readonly log: Logger,
    private readonly builtIn: RoutingHooks<N> = {},
  ) {
    this.compile();
  }

  add(listener: RoutingHooks<N>): () => void {
    const entry: Entry<N> = { listener, failures: 0 };
    this.entries = [...this.entries, entry];
    this.compile();
    return () => {
      if (!this.entries.includes(entry)) return;
      this.entries = this.entries.filter((e) => e !== entry);
      this.compile();
    };
  }

  private compile(): void {
    for (const name of HOOK_NAMES) (this as Record<HookName, AnyHook | undefined>)[name] = this.compileHook(name);
  }

  private compileHook(name: HookName): AnyHook | undefined {
    const builtIn = this.builtIn[name] as AnyHook | undefined;
    const guarded = this.guarded(name);
    if (guarded === undefined || builtIn === undefined) return guarded ?? builtIn;
    return (a, b, c, d) => {
      builtIn(a, b, c, d);
      guarded(a, b, c, d);
    };
  }

  /** The added listeners' `name` hooks as one function, each call caught (see RoutingHooks). */
  private guarded(name: HookName): AnyHook | undefined {
    const entries = this.entries.filter((e) => e.listener[name] !== undefined);
    if (entries.length === 0) return undefined;
    const calls = entries.map((e) => e.listener[name] as AnyHook);
    const targets = entries.map((e) => e.listener);
    return (a, b, c, d) => {
      for (let i = 0; i < calls.length; i++) {
        try {
          calls[i]!.call(targets[i], a, b, c, d);
        } catch (error) {
          this.failed(entries[i]!, name, error);
        }
      }
    };
  }

  private failed(entry: Entry<N>, name: HookName, error: unknown): void {
    this.failures++;
    if (entry.failures++ > 0) return; // logged once per listener: a hook on the hot path may fail per message
    this.log.warn(`routing hook ${name} threw: ${errorMessage(error)}; the flow goes on, further failures of this listener are only counted`, {
      code: "HOOK_FAILED",
      hook: name,
    });
  }
}
