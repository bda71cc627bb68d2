/**
 * The removed side of a diff: nodes the compared version had, ghosted where they stood, and its
 * removed wires. Drawn in React Flow's viewport beside the real nodes (not among them), so nothing
 * that reads or copies the graph — selection, export, layout, save — ever sees a ghost.
 */
import { useStore, ViewportPortal, type ReactFlowState } from "@xyflow/react";
import { memo, useCallback, useContext } from "react";
import { CatalogContext, familyColour } from "../context.ts";
import type { GhostNode, GhostWire } from "../graph/diff.ts";
import { portHandles } from "../graph/mapping.ts";

/** The ghost's own box: the same rows as AiotNodeView, at a fixed width so its ports are known. */
const WIDTH = 190;
const TOP = 44;
const ROW = 22;
const PORT_MIDDLE = 10;

type Point = readonly [number, number];

function ghostPort(ghost: GhostNode, ports: { inputs: { name: string }[]; outputs: { name: string }[] }, port: string, side: "in" | "out"): Point {
  const list = side === "in" ? ports.inputs : ports.outputs;
  const index = Math.max(0, list.findIndex((p) => p.name === port));
  return [ghost.position.x + (side === "in" ? 0 : WIDTH), ghost.position.y + TOP + index * ROW + PORT_MIDDLE];
}

function path([sx, sy]: Point, [tx, ty]: Point): string {
  const bend = Math.max(40, Math.abs(tx - sx) / 2);
  return `M ${sx} ${sy} C ${sx + bend} ${sy}, ${tx - bend} ${ty}, ${tx} ${ty}`;
}

function DiffGhostsImpl({ nodes, wires }: { nodes: readonly GhostNode[]; wires: readonly GhostWire[] }) {
  const catalog = useContext(CatalogContext);
  // Where the live ends of ghost wires are now, as text so the ghosts redraw only when one moves.
  const liveEnds = useStore(
    useCallback(
      (state: ReactFlowState) => {
        const ends: Record<string, Point> = {};
        for (const wire of wires) {
          for (const [end, side] of [[wire.from, "source"], [wire.to, "target"]] as const) {
            if (end.ghost) continue;
            const node = state.nodeLookup.get(end.node);
            const handle = node?.internals.handleBounds?.[side]?.find((h) => h.id === end.port);
            if (node && handle) ends[`${end.node}.${end.port}`] = [node.internals.positionAbsolute.x + handle.x + handle.width / 2, node.internals.positionAbsolute.y + handle.y + handle.height / 2];
          }
        }
        return JSON.stringify(ends);
      },
      [wires],
    ),
  );
  const live = JSON.parse(liveEnds) as Record<string, Point>;
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const portsOf = (ghost: GhostNode) => portHandles(catalog.get(ghost.nodeType));
  const point = (end: GhostWire["from"], side: "in" | "out"): Point | undefined => {
    const ghost = end.ghost ? byId.get(end.node) : undefined;
    return ghost ? ghostPort(ghost, portsOf(ghost), end.port, side) : live[`${end.node}.${end.port}`];
  };

  return (
    <ViewportPortal>
      <svg className="diff-ghost-wires" style={{ position: "absolute", left: 0, top: 0, overflow: "visible", pointerEvents: "none" }} width={1} height={1}>
        {wires.map((wire) => {
          const from = point(wire.from, "out");
          const to = point(wire.to, "in");
          return from && to ? <path key={wire.id} className="diff-ghost-wire diff-removed" data-testid={`ghost-wire-${wire.id}`} d={path(from, to)} /> : null;
        })}
      </svg>
      {nodes.map((ghost) => {
        const entry = catalog.get(ghost.nodeType);
        const { inputs, outputs } = portsOf(ghost);
        const colour = familyColour(entry?.family ?? "unknown");
        return (
          <div
            key={ghost.id}
            className="diff-ghost diff-removed"
            data-testid={`ghost-${ghost.id}`}
            title={`${ghost.id} was removed since the compared version`}
            style={{ position: "absolute", transform: `translate(${ghost.position.x}px, ${ghost.position.y}px)`, width: WIDTH, pointerEvents: "none" }}
          >
            <div className="aiot-node" style={{ borderColor: colour, minHeight: TOP + Math.max(inputs.length, outputs.length, 1) * ROW }}>
              <div className="aiot-node-head" style={{ background: colour }}>
                <span className="aiot-node-title">{ghost.name || ghost.id}</span>
                <span className="badge">removed</span>
              </div>
              <div className="aiot-node-type">{entry ? entry.title : ghost.nodeType}</div>
              {inputs.map((p, i) => <div key={`in-${p.name}`} className="port port-in" style={{ top: TOP + i * ROW }}>{p.name}</div>)}
              {outputs.map((p, i) => <div key={`out-${p.name}`} className="port port-out" style={{ top: TOP + i * ROW }}>{p.name}</div>)}
            </div>
          </div>
        );
      })}
    </ViewportPortal>
  );
}

export const DiffGhosts = memo(DiffGhostsImpl);
