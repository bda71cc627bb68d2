/**
 * RuntimeNodes built directly, for tests of the scheduler and its parts without an engine: a
 * definition with the ports, concurrency and orderBy asked for, bound to the handlers given.
 */
import { HookList } from "../../runtime/core/hooks.ts";
import { silentLogger } from "../../runtime/core/logger.ts";
import { metricsHooks, NodeStats } from "../../runtime/core/metrics.ts";
import { RuntimeNode, type Target } from "../../runtime/core/runtime-node.ts";
import { Config, defineNode, type AnyNodeDefinition, type NodeInstance } from "../../runtime/sdk/index.ts";

export interface NodeShape {
  /** No inputs: a source. */
  readonly source?: boolean;
  readonly concurrency?: number;
  readonly orderBy?: "key";
  readonly capacity?: number;
  readonly instance?: NodeInstance<string>;
}

export function definitionOf(type: string, shape: NodeShape = {}): AnyNodeDefinition {
  return defineNode({
    type,
    version: 1,
    family: "util",
    title: type,
    summary: "A node built by a test.",
    config: Config({}),
    inputs: shape.source ? {} : { in: { kind: "any", description: "x" } },
    outputs: { out: { kind: "any", description: "x" } },
    examples: [],
    ...(shape.concurrency !== undefined ? { concurrency: shape.concurrency } : {}),
    ...(shape.orderBy !== undefined ? { orderBy: shape.orderBy } : {}),
    create: () => shape.instance ?? {},
  }) as AnyNodeDefinition;
}

/** A RuntimeNode of a fresh definition, bound to `shape.instance`. */
export function runtimeNode(id: string, shape: NodeShape = {}): RuntimeNode {
  const node = new RuntimeNode(id, undefined, definitionOf(`test-${id}`, shape), {}, `hash-${id}`, new Map(), new NodeStats(), shape.capacity ?? 100_000);
  node.bind(shape.instance ?? {});
  return node;
}

/** Wires `from.out` to each of `targets` (their `in`), none on a loop unless said. */
export function wireTo(from: RuntimeNode, targets: RuntimeNode[], loop = false): void {
  const list: Target[] = targets.map((node, edge) => ({ node, port: "in", loop, edge }));
  from.outputs = Object.assign(Object.create(null) as Record<string, readonly Target[]>, { out: list });
  from.onLoop = loop;
}

/** The engine's hook list: its metrics listener only. */
export function metricsOnly(): HookList<RuntimeNode> {
  return new HookList<RuntimeNode>(silentLogger, metricsHooks);
}
