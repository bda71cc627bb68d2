// The aiotflow side of the chain, as a flow document: the same job as the Node-RED flow in
// node-red.cjs (validate, scale to 0..1, rolling stats over 10, hysteresis gate), built from shipped
// nodes between the two bench-only nodes.

/** Readings per rolling window, in both systems. */
export const WINDOW = 10;

/** A mean of the last `window` scaled values ending at sequence number `lastSeq`, computed directly. */
export function referenceMean(lastSeq: number, window = WINDOW): number {
  let sum = 0;
  for (let seq = lastSeq - window + 1; seq <= lastSeq; seq++) sum += Math.min(Math.max(((seq % 100) / 10) * 10 / 100, 0), 1);
  return sum / window;
}

export function chainFlow(batch: number) {
  const node = (id: string, type: string, config: Record<string, unknown>, x: number) => ({ id, type, config, position: { x, y: 0 } });
  const edge = (from: string, fromPort: string, to: string) => ({
    id: `${from}.${fromPort}--${to}`,
    from: { node: from, port: fromPort },
    to: { node: to, port: "in" },
  });
  return {
    format: "aiotflow/flow@1",
    id: "bench-chain",
    name: "Bench: validate, scale, rolling stats, hysteresis gate",
    description: "Same job as the Node-RED chain in bench/chain/node-red.cjs.",
    nodes: [
      node("source", "bench-source", { batch }, 0),
      node("valid", "range-check", { rules: [{ field: "vibration", min: 0, max: 100, action: "drop" }] }, 200),
      node("scale", "map", { set: { scaled: "min(max(payload.vibration * 10 / 100, 0), 1)" } }, 400),
      node("stats", "sliding-window", {
        fields: ["scaled"],
        stats: ["mean", "std", "min", "max", "rms", "p2p"],
        window: { by: "count", count: WINDOW },
      }, 600),
      node("gate", "threshold", { field: "scaled_mean", mode: "high", raise: 0.7, clear: 0.5 }, 800),
      node("sink", "bench-sink", {}, 1000),
    ],
    edges: [
      edge("source", "out", "valid"),
      edge("valid", "out", "scale"),
      edge("valid", "rejected", "scale"),
      edge("scale", "out", "stats"),
      edge("stats", "out", "gate"),
      edge("gate", "alarm", "sink"),
      edge("gate", "normal", "sink"),
    ],
    connections: {},
  };
}
