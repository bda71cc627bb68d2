import type { Static, TObject } from "typebox";
import type { Clock } from "./clock.ts";
import type { Message } from "./message.ts";
import { ERROR_PORT, isPortKind, PORT_KINDS, type PortSpec } from "../contract/ports.ts";
import { AiotError } from "./errors.ts";
import type { ServiceKey } from "./services.ts";

export const FAMILIES = ["sources", "cleaners", "windows", "inference", "gates", "kpi", "sinks", "util"] as const;
export type Family = (typeof FAMILIES)[number];

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Node-specific counters, exported next to the engine's own per-node metrics (in, out, errors...). */
export interface NodeMetrics {
  count(name: string, by?: number): void;
}

/**
 * Per-key state owned by one node. Survives a hot redeploy of the same, unchanged node id and is
 * snapshotted to the data directory, so values must be plain JSON (numbers, strings, arrays, objects).
 */
export interface KeyedState<S> {
  /** The state for `key`, created by the node's `init` the first time the key is seen. */
  get(key: string): S;
  peek(key: string): S | undefined;
  delete(key: string): void;
  keys(): IterableIterator<string>;
  readonly size: number;
}

export type NodeStatusState = "running" | "idle" | "waiting" | "reconnecting" | "disconnected" | "error";
export interface NodeStatus {
  readonly state: NodeStatusState;
  readonly text?: string;
}

/** Everything a node may touch. Nodes never import `runtime/core`. */
export interface NodeContext<Out extends string> {
  readonly nodeId: string;
  readonly flowId: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: NodeMetrics;
  /**
   * Sends `msg` out of `port`. Returns false while the flow is saturated (queues past their high-water
   * mark); a source should then stop and `await ctx.writable()` before emitting more.
   */
  emit(port: Out, msg: Message): boolean;
  /** Resolves when the flow can take more messages (for sources honouring backpressure). */
  writable(): Promise<void>;
  /**
   * Sources: says this source has finished and will emit nothing more (a replayed file ended, a
   * bounded query returned its last row). Once every source of a flow has finished and its queues are
   * idle, the flow has run to its end: `aiotflow run` then drains, prints its summary and exits. A
   * source that runs until stopped (a subscription) never calls it. The runtime and the test harness
   * always provide it; it is optional only so that contexts built by hand need not.
   *
   * @example
   * for await (const row of rows) if (!ctx.emit("out", toMessage(row))) await ctx.writable();
   * ctx.done?.();
   */
  done?(): void;
  /** Typed keyed state; `init` builds the state of a key seen for the first time. */
  keyed<S>(init: (key: string) => S): KeyedState<S>;
  /** Shown in the editor next to the node and exported as a metric label. */
  status(status: NodeStatus): void;
  /** Hands a message to the runtime's debug listeners (CLI output, editor sidebar). */
  debug(msg: Message, label?: string): void;
  /**
   * Resolves a `{ "$secret": name }` config field from the runtime's encrypted secret store. Call it
   * in `create`: a missing secret then fails the deploy with SECRET_MISSING naming the node.
   */
  secret(ref: { readonly $secret: string }): string;
  /**
   * A runtime service (model registry, shared connection, HTTP ingress) by its typed key. Call it in
   * `create`: a service this runtime does not provide fails the deploy with SERVICE_UNAVAILABLE.
   */
  use<T>(key: ServiceKey<T>): T;
}

/** What `create` returns. Every member is optional; sources implement start/stop, handlers onMessage (or onBatch). */
export interface NodeInstance<In extends string> {
  /** Handle one message. Sync nodes return nothing; nodes declaring `concurrency` may return a promise. */
  onMessage?(msg: Message, port: In): void | Promise<void>;
  /**
   * Handle the messages queued for this node in one go, when handling them together is cheaper (one
   * model run for many rows). Used instead of `onMessage` when present. `msgs` all arrived on `port`,
   * oldest first; a batch holds what was queued when the engine got to the node, at most `concurrency`
   * messages in flight for a node declaring it (each message of an unfinished batch counts).
   * Emit in `msgs` order. A bad message: call `fail(msg, error)` (an AiotError keeps its code) and go on
   * with the others; it goes to the error port as if `onMessage` had thrown on it. A throw or rejection
   * fails every message of the batch not already passed to `fail`, so throw only when the batch as a
   * whole failed and nothing of it was emitted.
   *
   * @example
   * onBatch(msgs, _port, fail) {
   *   for (const msg of msgs) {
   *     if (typeof msg.payload !== "number") fail(msg, new AiotError("NODE_FAILED", "not a number", {}));
   *     else ctx.emit("out", { ...msg, payload: msg.payload * 2 });
   *   }
   * },
   */
  onBatch?(msgs: readonly Message[], port: In, fail: (msg: Message, error: unknown) => void): void | Promise<void>;
  /** Sources: begin producing. The engine calls it after every node is created and wired. */
  start?(): void | Promise<void>;
  /** Sources: stop producing; resolves when no more messages will be emitted. */
  stop?(): void | Promise<void>;
  /** Free resources. Called once, after the flow has drained. */
  close?(): void | Promise<void>;
}

/** Examples spell out only what differs from the defaults, at any depth. */
export type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

export interface NodeExample<C> {
  readonly title: string;
  readonly description?: string;
  readonly config: DeepPartial<C>;
}

/** A semantic problem in a config that the schema cannot express (a bad expression, max < min). */
export interface ConfigProblem {
  /** Path inside the config, e.g. `set.alarm` or `max`. */
  readonly path: string;
  readonly message: string;
}

/** Payload field names per output port, or one list for every output (see `NodeDefinition.fieldsOut`). */
export type FieldsOut<Out extends string = string> = readonly string[] | { readonly [K in Out]?: readonly string[] };

export interface NodeDefinition<C extends TObject = TObject, In extends string = string, Out extends string = string> {
  /** Unique type name; equals the file name (`nodes/windows/sliding-window.ts` -> `sliding-window`). */
  readonly type: string;
  readonly version: number;
  readonly family: Family;
  readonly title: string;
  /** One sentence for the palette tooltip. */
  readonly summary: string;
  /** Longer help (markdown) for the editor's docs panel. */
  readonly docs?: string;
  readonly config: C;
  readonly inputs: { readonly [K in In]: PortSpec };
  readonly outputs: { readonly [K in Out]: PortSpec };
  readonly examples: readonly NodeExample<Static<C>>[];
  /** Async nodes: how many messages may be in flight at once. Omit for synchronous nodes. */
  readonly concurrency?: number;
  /**
   * Keyed concurrency: `"key"` keeps the messages of each key (device, asset) in arrival order while
   * the node runs several calls at once. Calls for different keys run in parallel, up to `concurrency`;
   * a key has one call in flight at a time; messages without a key share one lane. Declare it where
   * the order per device matters downstream (a setpoint overtaken by an older one, events out of
   * sequence). A node with `onBatch` keeps one batch in flight at a time instead.
   *
   * @example
   * concurrency: 8, orderBy: "key",
   */
  readonly orderBy?: "key";
  /** A node that may sit on a cycle without looping forever (it delays or drops). */
  readonly loopSafe?: boolean;
  /** Cross-field checks run at load time after the schema passed. */
  check?(config: Static<C>): ConfigProblem[];
  /**
   * The payload fields this node's outputs carry, given its config and the fields arriving at its
   * inputs, so the editor can offer them in field pickers downstream (`widget: "field"` strings).
   * An array applies to every output; an object names ports (an output it leaves out has no known fields).
   *
   * @example
   * fieldsOut: (config, inputFields) => ({ out: [...inputFields, config.target], rejected: inputFields }),
   */
  fieldsOut?(config: Static<C>, inputFields: readonly string[]): FieldsOut<Out>;
  /** Builds the node. Does no I/O: connecting happens in `start`. */
  create(config: Static<C>, ctx: NodeContext<Out>): NodeInstance<In>;
}

/** A definition with its type parameters erased, as the engine and catalog hold it. */
export type AnyNodeDefinition = Omit<NodeDefinition<TObject, string, string>, "examples"> & {
  readonly examples: readonly NodeExample<unknown>[];
};

/**
 * Declares a node. One file, one `defineNode`, its test beside it.
 *
 * @example
 * export default defineNode({
 *   type: "scale", version: 1, family: "util", title: "Scale", summary: "Multiplies a field.",
 *   config: Type.Object({ factor: Type.Number({ default: 1, description: "Multiplier." }) }),
 *   inputs: { in: { kind: "reading", description: "Readings." } },
 *   outputs: { out: { kind: "reading", description: "Scaled readings." } },
 *   examples: [{ title: "Double", config: { factor: 2 } }],
 *   create: (config, ctx) => ({
 *     onMessage: (msg) => void ctx.emit("out", { ...msg, payload: Number(msg.payload) * config.factor }),
 *   }),
 * });
 */
export function defineNode<C extends TObject, In extends string = never, Out extends string = never>(
  definition: NodeDefinition<C, In, Out>,
): NodeDefinition<C, In, Out> {
  const nodeType = definition.type;
  for (const side of ["inputs", "outputs"] as const) {
    for (const [name, port] of Object.entries<PortSpec>(definition[side])) {
      if (isPortKind(port.kind)) continue;
      const kinds = Object.keys(PORT_KINDS).join(", ");
      throw new AiotError("NODE_DEFINITION_INVALID", `node ${nodeType}: port "${name}" has the unknown kind "${port.kind}" (kinds: ${kinds})`, { nodeType, path: `${side}.${name}.kind` });
    }
  }
  if (definition.orderBy !== undefined && (definition.orderBy as string) !== "key") {
    throw new AiotError("NODE_DEFINITION_INVALID", `node ${nodeType}: orderBy must be "key", not ${JSON.stringify(definition.orderBy)}`, { nodeType, path: "orderBy" });
  }
  if (Object.hasOwn(definition.outputs, ERROR_PORT)) {
    throw new AiotError("NODE_DEFINITION_INVALID", `node ${nodeType}: the "${ERROR_PORT}" output is implicit; do not declare it`, { nodeType, path: `outputs.${ERROR_PORT}` });
  }
  return Object.freeze(definition);
}

/** True for a node with no inputs: it produces messages from `start()`. */
export function isSource(definition: AnyNodeDefinition): boolean {
  return Object.keys(definition.inputs).length === 0;
}
