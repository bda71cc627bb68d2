/**
 * One queue per flow, shared by every route that changes what runs or what is stored for a flow
 * (deploy, rollback, stop, delete, import with replace), so "is it running?" and the change that
 * follows cannot interleave with another request for the same flow. Shared per runtime: two APIs
 * over one runtime serialise together. A flow's queue is dropped once it is idle.
 */
import type { LocalRuntime } from "../local/local-runtime.ts";

export type FlowSerially = <T>(flowId: string, task: () => Promise<T> | T) => Promise<T>;

const byRuntime = new WeakMap<LocalRuntime, FlowSerially>();

export function flowLocks(runtime: LocalRuntime): FlowSerially {
  let serially = byRuntime.get(runtime);
  if (!serially) {
    const tails = new Map<string, { tail: Promise<unknown>; pending: number }>();
    serially = <T>(flowId: string, task: () => Promise<T> | T): Promise<T> => {
      let entry = tails.get(flowId);
      if (!entry) tails.set(flowId, (entry = { tail: Promise.resolve(), pending: 0 }));
      const slot = entry;
      slot.pending++;
      const result = slot.tail.then(task);
      slot.tail = result
        .catch(() => undefined)
        .finally(() => {
          if (--slot.pending === 0 && tails.get(flowId) === slot) tails.delete(flowId);
        });
      return result;
    };
    byRuntime.set(runtime, serially);
  }
  return serially;
}

/** True when the runtime knows the flow at all (running, stopped or failed): its slot still exists. */
export function runtimeKnows(runtime: LocalRuntime, flowId: string): { version: number; state: string } | undefined {
  const found = runtime.flows().find((f) => f.flowId === flowId);
  return found && { version: found.version, state: found.state };
}
