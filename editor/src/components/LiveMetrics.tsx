/** A node's live numbers: msgs/s in and out and errors on the node, the full metrics in a tooltip on hover. */
import { NodeToolbar, Position } from "@xyflow/react";
import { memo, useCallback, useContext, useSyncExternalStore } from "react";
import { DeployFailedContext, LiveContext, type LiveStatus } from "../context.ts";
import { badgeOf, formatMs, formatRate } from "../graph/live.ts";

/** This node's live numbers; subscribed by id, so a metrics tick re-renders only the nodes that changed. */
function useNodeLive(id: string) {
  const store = useContext(LiveContext);
  const subscribe = useCallback((listener: () => void) => store.subscribe(id, listener), [store, id]);
  return useSyncExternalStore(subscribe, () => store.get(id));
}

/** The node's status badge: its last status, shown running while an "idle" node passes messages. */
function StatusBadgeImpl({ id, status }: { id: string; status: LiveStatus | undefined }) {
  const badge = badgeOf(status, useNodeLive(id));
  if (!badge) return null;
  return <span className={`badge status-${badge.state}`} title={badge.text} data-testid={`status-${id}`}>{badge.state}</span>;
}

export const StatusBadge = memo(StatusBadgeImpl);

/** Whether the last deploy failed at this node (marked on the canvas while the failure is shown). */
export function useDeployFailed(id: string): boolean {
  const marks = useContext(DeployFailedContext);
  return useSyncExternalStore(marks.subscribe, () => marks.has(id));
}

function LiveMetricsImpl({ id, hover }: { id: string; hover: boolean }) {
  const live = useNodeLive(id);
  if (!live) return null;
  return (
    <>
      <div className="live-counts" data-testid={`live-${id}`}>
        <span title="messages in per second">▶ {formatRate(live.inRate)}</span>
        <span title="messages out per second">{formatRate(live.outRate)} ▶</span>
        <span className={live.errors > 0 ? "live-errors" : ""} title="errors since deploy">{live.errors} err</span>
      </div>
      {/* Mounted only on hover: a toolbar follows the viewport, and 300 of them would re-render on every pan. */}
      {hover && <NodeToolbar isVisible position={Position.Top}>
        <table className="metrics-tip" data-testid={`metrics-${id}`}>
          <tbody>
            <tr><th>in</th><td>{live.in}</td><td>{formatRate(live.inRate)}</td></tr>
            <tr><th>out</th><td>{live.out}</td><td>{formatRate(live.outRate)}</td></tr>
            <tr><th>errors</th><td>{live.errors}</td><td>{formatRate(live.errorRate)}</td></tr>
            <tr><th>dropped</th><td colSpan={2}>{live.dropped}</td></tr>
            <tr><th>queue depth</th><td colSpan={2}>{live.queueDepth}</td></tr>
            <tr><th>latency p50</th><td colSpan={2}>{formatMs(live.latencyMs.p50)}</td></tr>
            <tr><th>latency p99</th><td colSpan={2}>{formatMs(live.latencyMs.p99)}</td></tr>
          </tbody>
        </table>
      </NodeToolbar>}
    </>
  );
}

export const LiveMetrics = memo(LiveMetricsImpl);
