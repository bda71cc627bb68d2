/** A node's live numbers: msgs/s in and out and errors on the node, the full metrics in a tooltip on hover. */
import { NodeToolbar, Position } from "@xyflow/react";
import { memo, useCallback, useContext, useSyncExternalStore } from "react";
import { LiveContext } from "../context.ts";
import { formatMs, formatRate } from "../graph/live.ts";

function LiveMetricsImpl({ id, hover }: { id: string; hover: boolean }) {
  const store = useContext(LiveContext);
  // Subscribed by id: a metrics tick re-renders this row of the nodes that changed, nothing else.
  const subscribe = useCallback((listener: () => void) => store.subscribe(id, listener), [store, id]);
  const live = useSyncExternalStore(subscribe, () => store.get(id));
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
