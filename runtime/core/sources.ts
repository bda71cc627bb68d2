/** Starting and stopping a flow's sources, and closing its nodes: the engine's lifecycle steps. */
import type { Logger } from "../sdk/define.ts";
import { AiotError, errorMessage } from "../sdk/errors.ts";
import type { RuntimeNode } from "./runtime-node.ts";

/** Starts every source of `nodes` not started yet, in order; the first failure is returned, not thrown. */
export async function startSources(nodes: Iterable<RuntimeNode>): Promise<AiotError | undefined> {
  for (const node of nodes) {
    if (!node.isSource || node.started || !node.instance.start) continue;
    try {
      await node.instance.start();
      node.started = true;
    } catch (error) {
      return new AiotError("NODE_START_FAILED", `source "${node.id}" (${node.definition.type}) failed to start: ${errorMessage(error)}`, {
        node: node.id,
      });
    }
  }
  return undefined;
}

/** Stops every started source of `nodes`; one that fails to stop is logged and the others still stop. */
export async function stopSources(nodes: Iterable<RuntimeNode>, log: Logger): Promise<void> {
  for (const node of nodes) {
    if (!node.started) continue;
    node.started = false;
    try {
      await node.instance.stop?.();
    } catch (error) {
      log.warn(`source did not stop cleanly: ${errorMessage(error)}`, { node: node.id, code: "NODE_STOP_FAILED" });
    }
  }
}

/**
 * Closes `nodes`. All are marked closed first, so nothing they still send (a call abandoned by a
 * drain timeout finishing late, a flush in `close`) reaches a node that is closing.
 */
export async function closeAll(nodes: Iterable<RuntimeNode>, log: Logger): Promise<void> {
  const closing = [...nodes].filter((node) => !node.closed);
  for (const node of closing) node.closed = true;
  for (const node of closing) {
    try {
      await node.instance.close?.();
    } catch (error) {
      log.warn(`node did not close cleanly: ${errorMessage(error)}`, { node: node.id, code: "NODE_STOP_FAILED" });
    }
  }
}
