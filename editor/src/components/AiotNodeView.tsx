/** The one node component: a handle per declared port with its label, family colour, status and missing-config marks. */
import { Handle, Position, type NodeProps } from "@xyflow/react";
import { memo, useContext, useMemo, useState, useSyncExternalStore } from "react";
import { CatalogContext, familyColour, StatusContext } from "../context.ts";
import { missingConfig } from "../graph/config-check.ts";
import { refusedNodes } from "../graph/problems.ts";
import { portHandles, type AiotNode } from "../graph/mapping.ts";
import { LiveMetrics, StatusBadge, useDeployFailed } from "./LiveMetrics.tsx";

const ROW = 22;
const TOP = 44;
/** Room at the bottom for the live counts, kept when there are none so nodes do not jump on deploy. */
const LIVE_ROW = 18;

function AiotNodeViewImpl({ id, data, selected }: NodeProps<AiotNode>) {
  const entry = useContext(CatalogContext).get(data.nodeType);
  const status = useContext(StatusContext).get(id);
  const { inputs, outputs } = useMemo(() => portHandles(entry), [entry]);
  const missing = useMemo(() => (entry ? missingConfig(entry.config, data.config) : []), [entry, data.config]);
  const rows = Math.max(inputs.length, outputs.length, 1);
  const colour = familyColour(entry?.family ?? "unknown");
  const [hover, setHover] = useState(false);
  const deployFailed = useDeployFailed(id);
  // Marked until a save succeeds: the last refused save named this node (graph/problems.ts).
  const refused = useSyncExternalStore(refusedNodes.subscribe, refusedNodes.snapshot).has(id);

  return (
    <div
      className={`aiot-node${selected ? " selected" : ""}${missing.length ? " incomplete" : ""}${data.disabled ? " disabled" : ""}${deployFailed ? " deploy-failed" : ""}${refused ? " save-refused" : ""}`}
      style={{ borderColor: colour, minHeight: TOP + rows * ROW + LIVE_ROW }}
      data-testid={`node-${id}`}
      title={missing.length ? `missing config: ${missing.join(", ")}` : entry?.summary}
      onMouseEnter={() => setHover(true)}
      onMouseLeave={() => setHover(false)}
    >
      <div className="aiot-node-head" style={{ background: colour }}>
        <span className="aiot-node-title">{data.name || id}</span>
        <StatusBadge id={id} status={status} />
      </div>
      <div className="aiot-node-type">
        {entry ? entry.title : `unknown type ${data.nodeType}`}
        {missing.length > 0 && <span className="badge missing" data-testid="missing-badge">missing {missing.length}</span>}
      </div>
      <LiveMetrics id={id} hover={hover} />
      {inputs.map((p, i) => (
        <div key={`in-${p.name}`} className="port port-in" style={{ top: TOP + i * ROW }} title={`${p.kind}: ${p.description}`}>
          <Handle type="target" position={Position.Left} id={p.name} />
          <span>{p.name}</span>
        </div>
      ))}
      {outputs.map((p, i) => (
        <div key={`out-${p.name}`} className={`port port-out${p.name === "error" ? " port-error" : ""}`} style={{ top: TOP + i * ROW }} title={`${p.kind}: ${p.description}`}>
          <span>{p.name}</span>
          <Handle type="source" position={Position.Right} id={p.name} />
        </div>
      ))}
    </div>
  );
}

export const AiotNodeView = memo(AiotNodeViewImpl);
