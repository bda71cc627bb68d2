/**
 * Small node definitions for engine tests: a source driven by the test, a sink that records, a node
 * that fails on demand, an async node and a loop-safe node. Built per test so nothing is global.
 */
import { Config, defineNode, Type, type AnyNodeDefinition, type Message } from "../../runtime/sdk/index.ts";
import type { FlowDocument } from "../../runtime/contract/flow-format.ts";

export interface Probe {
  /** Messages each sink id received, in order. */
  readonly received: Map<string, Message[]>;
  /** Emit functions of started sources, by node id. */
  readonly sources: Map<string, (msg: Message) => boolean>;
  readonly started: string[];
  readonly stopped: string[];
  readonly closed: string[];
  readonly definitions: AnyNodeDefinition[];
}

export function probeNodes(): Probe {
  const received = new Map<string, Message[]>();
  const sources = new Map<string, (msg: Message) => boolean>();
  const started: string[] = [];
  const stopped: string[] = [];
  const closed: string[] = [];

  const source = defineNode({
    type: "test-source",
    version: 1,
    family: "sources",
    title: "Test source",
    summary: "Emits what the test hands it.",
    config: Config({ failStart: Type.Boolean({ default: false, description: "Throw from start()." }) }),
    inputs: {},
    outputs: { out: { kind: "reading", description: "Messages from the test." } },
    examples: [{ title: "plain", config: {} }],
    create: (config, ctx) => ({
      start() {
        if (config.failStart) throw new Error("device unreachable");
        started.push(ctx.nodeId);
        sources.set(ctx.nodeId, (msg) => ctx.emit("out", msg));
      },
      stop() {
        stopped.push(ctx.nodeId);
        sources.delete(ctx.nodeId);
      },
      close: () => void closed.push(ctx.nodeId),
    }),
  });

  const sink = defineNode({
    type: "test-sink",
    version: 1,
    family: "sinks",
    title: "Test sink",
    summary: "Records what it receives.",
    config: Config({}),
    inputs: { in: { kind: "any", description: "Anything." } },
    outputs: {},
    examples: [{ title: "plain", config: {} }],
    create: (_config, ctx) => {
      const list: Message[] = received.get(ctx.nodeId) ?? [];
      received.set(ctx.nodeId, list);
      return { onMessage: (msg) => void list.push(msg), close: () => void closed.push(ctx.nodeId) };
    },
  });

  const step = defineNode({
    type: "test-step",
    version: 1,
    family: "util",
    title: "Test step",
    summary: "Adds `add` to payload.value, counts per key, throws when the value equals `failOn`.",
    config: Config({
      add: Type.Number({ default: 1, description: "Added to the value." }),
      failOn: Type.Optional(Type.Number({ description: "Throw on this value." })),
    }),
    inputs: { in: { kind: "reading", description: "{ value }" } },
    outputs: { out: { kind: "reading", description: "{ value, seen }" } },
    examples: [{ title: "plain", config: {} }],
    create: (config, ctx) => {
      const seen = ctx.keyed(() => ({ count: 0 }));
      return {
        onMessage(msg) {
          const value = (msg.payload as { value: number }).value;
          if (value === config.failOn) throw new Error(`cannot handle ${value}`);
          const state = seen.get(msg.key ?? "");
          state.count++;
          ctx.emit("out", { ...msg, payload: { value: value + config.add, seen: state.count } });
        },
      };
    },
  });

  const slow = defineNode({
    type: "test-async",
    version: 1,
    family: "sinks",
    title: "Test async",
    summary: "Resolves after `delayMs` of real time; rejects on value -1.",
    config: Config({ delayMs: Type.Number({ default: 1, description: "Delay." }) }),
    inputs: { in: { kind: "any", description: "Anything." } },
    outputs: { out: { kind: "any", description: "The same message." } },
    examples: [{ title: "plain", config: {} }],
    concurrency: 2,
    create: (config, ctx) => {
      let inflight = 0;
      return {
        async onMessage(msg) {
          inflight++;
          ctx.metrics.count("max_inflight", 0);
          if (inflight > 2) throw new Error(`concurrency exceeded: ${inflight}`);
          await new Promise((resolve) => setTimeout(resolve, config.delayMs));
          inflight--;
          if ((msg.payload as { value?: number }).value === -1) throw new Error("remote refused");
          ctx.emit("out", msg);
        },
      };
    },
  });

  const delay = defineNode({
    type: "test-delay",
    version: 1,
    family: "util",
    title: "Test delay",
    summary: "Loop-safe: drops after `hops` passes.",
    config: Config({ hops: Type.Integer({ default: 3, minimum: 1, description: "Passes before dropping." }) }),
    inputs: { in: { kind: "reading", description: "{ value, hops? }" } },
    outputs: { out: { kind: "reading", description: "Same, hops + 1" } },
    examples: [{ title: "plain", config: {} }],
    loopSafe: true,
    create: (config, ctx) => ({
      onMessage(msg) {
        const hops = ((msg.payload as { hops?: number }).hops ?? 0) + 1;
        if (hops <= config.hops) ctx.emit("out", { ...msg, payload: { ...(msg.payload as object), hops } });
      },
    }),
  });

  return { received, sources, started, stopped, closed, definitions: [source, sink, step, slow, delay] };
}

/** A flow from a compact description: `nodes` as [id, type, config], `edges` as "a.out->b.in". */
export function flowOf(nodes: Array<[string, string, Record<string, unknown>?]>, edges: string[], id = "test-flow"): FlowDocument {
  return {
    format: "aiotflow/flow@1",
    id,
    name: id,
    nodes: nodes.map(([nodeId, type, config], i) => ({ id: nodeId, type, config: config ?? {}, position: { x: i * 200, y: 0 } })),
    edges: edges.map((e, i) => {
      const [from, to] = e.split("->") as [string, string];
      const [fromNode, fromPort] = from.split(".") as [string, string];
      const [toNode, toPort] = to.split(".") as [string, string];
      return { id: `e${i}`, from: { node: fromNode, port: fromPort }, to: { node: toNode, port: toPort } };
    }),
    connections: {},
  };
}

export function reading(value: number, key = "pump-1", ts = 0): Message {
  return { topic: `sensors/${key}`, key, ts, payload: { value } };
}
