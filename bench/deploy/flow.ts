// The aiotflow side of the deploy benchmark: a 50-node flow (source, 4 parallel branches of 12 shipped
// nodes, one sink with an input per branch) in two versions. v2 changes 5 nodes' configs and adds one
// node; deploying v1 again undoes that (5 changed, 1 removed). Same shape as the Node-RED flow in
// node-red-flow.ts.
import { BRANCHES } from "./bench-nodes.ts";

/** Readings per rolling window (one sliding-window per branch, never changed by a deploy). */
export const WINDOW = 10;

type FlowNodeSpec = { id: string; type: string; config: Record<string, unknown>; position: { x: number; y: number } };
type EdgeSpec = { id: string; from: { node: string; port: string }; to: { node: string; port: string } };

/**
 * Version `version` (1 or 2) of the flow. Each branch: validate → scale → convert → clamp → hysteresis
 * on the scaled value → load → rolling stats (10) → level → hysteresis on the rolling mean → plausibility
 * flag → tag the branch → stamp the version. v2: every branch's `ver` stamps 2 instead of 1 (4 changes),
 * branch 0's first threshold raises at 0.72 instead of 0.7 (1 change), and branch 1 gets an extra
 * `map` between `tag` and `ver` (1 added).
 */
export function deployFlow(version: 1 | 2) {
  const nodes: FlowNodeSpec[] = [];
  const edges: EdgeSpec[] = [];
  const node = (id: string, type: string, config: Record<string, unknown>, x: number, y: number) =>
    nodes.push({ id, type, config, position: { x, y } });
  const edge = (from: string, fromPort: string, to: string, toPort = "in") =>
    edges.push({ id: `${from}.${fromPort}--${to}.${toPort}`, from: { node: from, port: fromPort }, to: { node: to, port: toPort } });

  node("source", "deploy-bench-source", { tickMs: 1 }, 0, 0);
  for (let b = 0; b < BRANCHES; b++) {
    const id = (name: string) => `b${b}.${name}`;
    const y = b * 150;
    node(id("check"), "range-check", { rules: [{ field: "vibration", min: 0, max: 100, action: "drop" }] }, 200, y);
    node(id("scale"), "map", { set: { scaled: "payload.vibration * 10 / 100" } }, 400, y);
    node(id("convert"), "map", { set: { temperature_f: "payload.temperature * 9 / 5 + 32" } }, 600, y);
    node(id("clamp"), "range-check", { rules: [{ field: "temperature", min: -40, max: 150, action: "clamp" }] }, 800, y);
    node(id("hi"), "threshold", { field: "scaled", mode: "high", raise: version === 2 && b === 0 ? 0.72 : 0.7, clear: 0.5 }, 1000, y);
    node(id("load"), "map", { set: { load: "payload.scaled * 100" } }, 1200, y);
    node(id("stats"), "sliding-window", { fields: ["scaled"], stats: ["mean", "std", "min", "max", "rms", "p2p"], window: { by: "count", count: WINDOW } }, 1400, y);
    node(id("level"), "map", { set: { level: "payload.scaled_mean * 100" } }, 1600, y);
    node(id("gate"), "threshold", { field: "scaled_mean", mode: "high", raise: 0.7, clear: 0.5 }, 1800, y);
    node(id("plausible"), "range-check", { rules: [{ field: "level", min: 0, max: 100, action: "flag" }] }, 2000, y);
    node(id("tag"), "map", { set: { branch: String(b) } }, 2200, y);
    node(id("ver"), "map", { set: { ver: String(version) } }, 2400, y);

    edge("source", "out", id("check"));
    edge(id("check"), "out", id("scale"));
    edge(id("check"), "rejected", id("scale"));
    edge(id("scale"), "out", id("convert"));
    edge(id("convert"), "out", id("clamp"));
    edge(id("clamp"), "out", id("hi"));
    edge(id("clamp"), "rejected", id("hi"));
    edge(id("hi"), "alarm", id("load"));
    edge(id("hi"), "normal", id("load"));
    edge(id("load"), "out", id("stats"));
    edge(id("stats"), "out", id("level"));
    edge(id("level"), "out", id("gate"));
    edge(id("gate"), "alarm", id("plausible"));
    edge(id("gate"), "normal", id("plausible"));
    edge(id("plausible"), "out", id("tag"));
    edge(id("plausible"), "rejected", id("tag"));
    if (version === 2 && b === 1) {
      node(id("extra"), "map", { set: { half_level: "payload.level / 2" } }, 2300, y + 60);
      edge(id("tag"), "out", id("extra"));
      edge(id("extra"), "out", id("ver"));
    } else {
      edge(id("tag"), "out", id("ver"));
    }
    edge(id("ver"), "out", "sink", `b${b}`);
  }
  node("sink", "deploy-bench-sink", {}, 2600, 0);
  return {
    format: "aiotflow/flow@1",
    id: "bench-deploy",
    name: `Bench: 50-node flow for hot deploys (v${version})`,
    description: "Same shape as the Node-RED flow in bench/deploy/node-red-flow.ts.",
    nodes,
    edges,
    connections: {},
  };
}

/** Node ids whose config differs between v1 and v2, and the one v2 adds. */
export const CHANGED = ["b0.hi", "b0.ver", "b1.ver", "b2.ver", "b3.ver"];
export const ADDED = ["b1.extra"];
