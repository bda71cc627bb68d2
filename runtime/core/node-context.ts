/** Building one node of a flow: its RuntimeNode and the NodeContext its `create` gets. */
import type { Clock } from "../sdk/clock.ts";
import type { Logger, NodeContext, NodeStatus } from "../sdk/define.ts";
import { AiotError, errorMessage, isAiotError } from "../sdk/errors.ts";
import { lookup, type Services } from "../sdk/services.ts";
import { keyedView } from "../sdk/state.ts";
import { hashOf } from "./graph.ts";
import type { HookList } from "./hooks.ts";
import { NodeStats } from "./metrics.ts";
import { RuntimeNode } from "./runtime-node.ts";
import type { Scheduler } from "./scheduler.ts";
import type { ValidNode } from "./validate.ts";

/** What a node's context reaches in the engine. */
export interface NodeHost {
  readonly flowId: string;
  readonly scheduler: Scheduler;
  readonly hooks: HookList<RuntimeNode>;
  readonly clock: Clock;
  readonly log: Logger;
  /** Per-node queue limit. */
  readonly capacity: number;
  readonly secrets: ((name: string) => string | undefined) | undefined;
  readonly services: Services | undefined;
  /** The node reported a new status (already stored on it). */
  status(node: RuntimeNode, status: NodeStatus): void;
  /** A source said it has finished (already marked on it). */
  finished(node: RuntimeNode): void;
}

/**
 * Builds the node `entry` with `state` as its keyed state. A failing `create` becomes a coded error
 * naming the node and its place in the flow (`nodes[3]`), keeping a coded cause's own code.
 */
export function buildNode(host: NodeHost, entry: ValidNode, state: Map<string, unknown>): RuntimeNode {
  const { node, definition, config } = entry;
  const stats = new NodeStats();
  const runtimeNode = new RuntimeNode(node.id, node.name, definition, config, hashOf(entry), state, stats, host.capacity);
  const { scheduler, hooks } = host;
  const ctx: NodeContext<string> = {
    nodeId: node.id,
    flowId: host.flowId,
    clock: host.clock,
    log: nodeLogger(host.log, node.id, definition.type),
    metrics: { count: (name, by = 1) => stats.count(name, by) },
    emit: (port, msg) => scheduler.emit(runtimeNode, port, msg),
    writable: () => scheduler.writable(),
    done: () => {
      if (!runtimeNode.isSource || runtimeNode.finished || runtimeNode.closed) return;
      runtimeNode.finished = true;
      host.finished(runtimeNode);
    },
    keyed: (init) => keyedView(state, init),
    status: (status) => {
      runtimeNode.status = status;
      host.status(runtimeNode, status);
    },
    debug: (msg, label) => {
      const onDebug = hooks.onDebug;
      if (onDebug !== undefined) onDebug(runtimeNode, msg, label ?? node.name ?? node.id);
    },
    secret: (ref) => {
      const value = host.secrets?.(ref.$secret);
      if (value === undefined) throw new AiotError("SECRET_MISSING", `no secret named "${ref.$secret}" in the secret store`, { node: node.id });
      return value;
    },
    use: (key) => {
      const value = lookup(host.services, key);
      if (value === undefined) {
        throw new AiotError("SERVICE_UNAVAILABLE", `node "${node.id}" (${definition.type}) needs the "${key.name}" service, which this runtime does not provide`, { node: node.id });
      }
      return value;
    },
  };
  try {
    runtimeNode.bind(definition.create(config as never, ctx));
  } catch (error) {
    // Keep a coded cause's own code (MODEL_NOT_FOUND, SECRET_MISSING...): its hint says what to do.
    const code = isAiotError(error) ? error.code : "DEPLOY_FAILED";
    // A cause that already names the node (SERVICE_UNAVAILABLE from ctx.use) is not prefixed again.
    const cause = errorMessage(error);
    const named = cause.startsWith(`node "${node.id}" (${definition.type}) `);
    throw new AiotError(code, named ? cause : `node "${node.id}" (${definition.type}) could not be created: ${cause}`, {
      ...(isAiotError(error) ? error.details : {}),
      node: node.id,
      path: `nodes[${entry.index}]`,
    });
  }
  return runtimeNode;
}

/** The runtime's logger with the node's id and type on every line. */
function nodeLogger(log: Logger, node: string, type: string): Logger {
  const fields = { node, type };
  return {
    debug: (m, f) => log.debug(m, { ...fields, ...f }),
    info: (m, f) => log.info(m, { ...fields, ...f }),
    warn: (m, f) => log.warn(m, { ...fields, ...f }),
    error: (m, f) => log.error(m, { ...fields, ...f }),
  };
}
