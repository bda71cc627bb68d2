// The same 300-node layout for both editors: 100 chains of source -> transform -> sink in two blocks
// of 50 rows (the Node-RED workspace is 5000 px square), 100 px apart.
import type { FlowDocument } from "../../runtime/contract/flow-format.ts";

export const CHAINS = 100;
const ROWS = 50;

function place(chain: number, step: number): { x: number; y: number } {
  const block = Math.floor(chain / ROWS);
  return { x: 40 + block * 800 + step * 250, y: 40 + (chain % ROWS) * 100 };
}

/** aiotflow: simulated-sensor -> range-check -> debug. */
export function aiotflowFlow(): FlowDocument {
  const nodes: FlowDocument["nodes"] = [];
  const edges: FlowDocument["edges"] = [];
  for (let i = 0; i < CHAINS; i++) {
    nodes.push({ id: `s${i}`, type: "simulated-sensor", name: `sensor ${i}`, config: { devices: [`pump-${i}`] }, position: place(i, 0) });
    nodes.push({ id: `c${i}`, type: "range-check", name: `clean ${i}`, config: { rules: [{ field: "vibration", min: 0, max: 100, action: "drop" }] }, position: place(i, 1) });
    nodes.push({ id: `d${i}`, type: "debug", name: `debug ${i}`, config: { label: `chain ${i}` }, position: place(i, 2) });
    edges.push({ id: `s${i}-c${i}`, from: { node: `s${i}`, port: "out" }, to: { node: `c${i}`, port: "in" } });
    edges.push({ id: `c${i}-d${i}`, from: { node: `c${i}`, port: "out" }, to: { node: `d${i}`, port: "in" } });
  }
  return { format: "aiotflow/flow@1", id: "bench-300", name: "300 nodes", nodes, edges, connections: {} };
}

/** Node-RED 4.1: inject -> function -> debug on one tab. */
export function nodeRedFlow(): Array<Record<string, unknown>> {
  const flow: Array<Record<string, unknown>> = [{ id: "tab", type: "tab", label: "300 nodes" }];
  for (let i = 0; i < CHAINS; i++) {
    const at = (step: number) => place(i, step);
    flow.push({ id: `s${i}`, type: "inject", z: "tab", name: `sensor ${i}`, props: [{ p: "payload" }], repeat: "", once: false, topic: "", payload: "", payloadType: "date", ...at(0), wires: [[`c${i}`]] });
    flow.push({ id: `c${i}`, type: "function", z: "tab", name: `clean ${i}`, func: "return msg;", outputs: 1, ...at(1), wires: [[`d${i}`]] });
    flow.push({ id: `d${i}`, type: "debug", z: "tab", name: `debug ${i}`, active: false, complete: "payload", ...at(2), wires: [] });
  }
  return flow;
}
