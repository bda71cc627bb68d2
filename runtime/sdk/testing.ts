import { lookup, type Services } from "./services.ts";
import type { Static, TObject } from "typebox";
import { VirtualClock } from "./clock.ts";
import { configOf } from "./config.ts";
import type { Logger, NodeContext, NodeDefinition, NodeInstance, NodeStatus } from "./define.ts";
import type { Message } from "./message.ts";
import { AiotError } from "./errors.ts";
import { deepFreeze, keyedView } from "./state.ts";

export interface Emitted {
  readonly port: string;
  readonly msg: Message;
}

/** A message a batch handler (`onBatch`) reported as bad with `fail`. */
export interface Failed {
  readonly msg: Message;
  readonly error: unknown;
}

export interface LogLine {
  readonly level: keyof Logger;
  readonly message: string;
  readonly fields?: Record<string, unknown>;
}

/**
 * Runs one node outside the engine: config in (parsed with the same defaults and validation as the
 * flow loader), messages in, emitted messages out, on a virtual clock. Every message going in or out
 * is deep-frozen, so a node that mutates a message fails its test. A node with `onBatch` is driven
 * through it: `send` hands it a batch of one (and throws or rejects with the error the node reported
 * for it, like `onMessage` would), `sendBatch` a whole batch, whose bad messages land in `failed`.
 *
 * @example
 * const h = harness(rangeCheck, { field: "temperature", min: 0, max: 120 });
 * h.send({ topic: "t", ts: 0, payload: { temperature: 500 } });
 * assert.equal(h.out("rejected").length, 1);
 */
export function harness<C extends TObject, In extends string, Out extends string>(
  definition: NodeDefinition<C, In, Out>,
  rawConfig: Partial<Static<C>> | Record<string, unknown>,
  options: { clock?: VirtualClock; saturated?: () => boolean; secrets?: Record<string, string>; services?: Services } = {},
) {
  const clock = options.clock ?? new VirtualClock();
  const emitted: Emitted[] = [];
  const debugged: Message[] = [];
  const debugLabels: Array<string | undefined> = [];
  const logs: LogLine[] = [];
  const statuses: NodeStatus[] = [];
  const counters = new Map<string, number>();
  const state = new Map<string, unknown>();
  let finished = false;
  const log = (level: keyof Logger) => (message: string, fields?: Record<string, unknown>) =>
    void logs.push(fields ? { level, message, fields } : { level, message });
  const ctx: NodeContext<Out> = {
    nodeId: "under-test",
    flowId: "test-flow",
    clock,
    log: { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") },
    metrics: { count: (name, by = 1) => void counters.set(name, (counters.get(name) ?? 0) + by) },
    emit(port, msg) {
      emitted.push({ port, msg: deepFreeze(msg) });
      return !(options.saturated?.() ?? false);
    },
    writable: () => Promise.resolve(),
    done: () => void (finished = true),
    keyed: (init) => keyedView(state, init),
    status: (s) => void statuses.push(s),
    debug: (msg, label) => {
      debugged.push(msg);
      debugLabels.push(label);
    },
    secret(ref) {
      const value = options.secrets?.[ref.$secret];
      if (value === undefined) throw new AiotError("SECRET_MISSING", `no secret named "${ref.$secret}"`, { secret: ref.$secret });
      return value;
    },
    use(key) {
      const value = lookup(options.services, key);
      if (value === undefined) throw new AiotError("SERVICE_UNAVAILABLE", `the test harness was given no "${key.name}" service`, { node: "under-test" });
      return value;
    },
  };
  const config = configOf(definition, rawConfig) as Static<C>;
  const node: NodeInstance<In> = definition.create(config, ctx);
  const inputs = Object.keys(definition.inputs) as In[];
  const failed: Failed[] = [];
  const batch = (msgs: readonly Message[], port: In | undefined): { reported: Failed[]; result: void | Promise<void> } => {
    // Plain Errors here and in send(): the harness runs only in a node author's tests, where a stack trace is the help wanted.
    if (port === undefined || !node.onBatch) throw new Error(`${definition.type} has no input`);
    const reported: Failed[] = [];
    const fail = (msg: Message, error: unknown) => {
      reported.push({ msg, error });
      failed.push({ msg, error });
    };
    return { reported, result: node.onBatch(msgs.map((msg) => deepFreeze(msg)), port, fail) };
  };
  return {
    node,
    config,
    clock,
    emitted,
    debugged,
    /** The label passed with each debugged message, in the same order. */
    debugLabels,
    logs,
    statuses,
    counters,
    state,
    /** Messages a batch node reported as bad (`fail`), in order. */
    failed,
    /** True once a source said it has finished (`ctx.done()`). */
    get finished(): boolean {
      return finished;
    },
    /** Delivers `msg` to `port` (default: the node's first input). */
    send(msg: Message, port: In | undefined = inputs[0]): void | Promise<void> {
      if (node.onBatch) {
        const { reported, result } = batch([msg], port);
        const rethrow = () => {
          if (reported.length > 0) throw reported[0]!.error;
        };
        if (result === undefined) return rethrow();
        return result.then(rethrow);
      }
      if (port === undefined || !node.onMessage) throw new Error(`${definition.type} has no input`);
      return node.onMessage(deepFreeze(msg), port);
    },
    /** Delivers `msgs` as one batch to a node with `onBatch`; bad ones are added to `failed`. */
    sendBatch(msgs: readonly Message[], port: In | undefined = inputs[0]): void | Promise<void> {
      return batch(msgs, port).result;
    },
    /** Messages emitted on `port`, in order. */
    out(port: Out): Message[] {
      return emitted.filter((e) => e.port === port).map((e) => e.msg);
    },
    /** Payloads emitted on `port`, in order. */
    payloads(port: Out): unknown[] {
      return emitted.filter((e) => e.port === port).map((e) => e.msg.payload);
    },
  };
}
