// The Node-RED 4.1 side of the deploy benchmark: the same 50-node flow as flow.ts, built from the nodes
// a Node-RED user would pick (switch, function, range, change), in two versions with the same changes:
// v2 stamps `ver` 2 instead of 1 in every branch (4 change nodes), raises branch 0's first hysteresis
// at 0.72 instead of 0.7 (1 function node), and adds a function node in branch 1 between `tag` and `ver`
// (so `tag`'s wires change too: Node-RED counts it as modified, aiotflow does not, its config is the same).
import { BRANCHES } from "./bench-nodes.ts";
import { WINDOW } from "./flow.ts";

/** Emits every reading that is due (the harness ticks it every 1 ms), each carrying its sequence number. */
const SOURCE = `
const b = global.get('bench');
const from = b.emitted;
const end = b.claim();
for (let seq = from; seq < end; seq++) {
  node.send({ seq, topic: 'sensors/pump-1', payload: { vibration: (seq % 100) / 10, temperature: 20 + (seq % 50) } }, false);
}
return null;`;

const SCALE = `msg.payload.scaled = msg.payload.vibration * 10 / 100;
return msg;`;
const CONVERT = `msg.payload.temperature_f = msg.payload.temperature * 9 / 5 + 32;
return msg;`;
const LOAD = `msg.payload.load = msg.payload.scaled * 100;
return msg;`;
const LEVEL = `msg.payload.level = msg.payload.scaled_mean * 100;
return msg;`;
const EXTRA = `msg.payload.half_level = msg.payload.level / 2;
return msg;`;

/** Hysteresis on one field, state in node context; output 1 = alarm, 2 = normal (both wired on). */
const hysteresis = (field: string, raise: number, clear: number) => `
let alarm = context.get('alarm') || false;
const v = msg.payload.${field};
if (!alarm && v > ${raise}) alarm = true;
else if (alarm && v < ${clear}) alarm = false;
context.set('alarm', alarm);
return alarm ? [msg, null] : [null, msg];`;

/** Rolling statistics of the last WINDOW scaled values (ring buffer in node context); like aiotflow's count window, nothing until it is full. */
const ROLLING_STATS = `
const size = ${WINDOW};
let ring = context.get('ring');
if (!ring) ring = { values: [], next: 0 };
ring.values[ring.next % size] = msg.payload.scaled;
ring.next++;
context.set('ring', ring);
if (ring.next < size) return null;
const vals = ring.values, n = size;
let sum = 0, sumSq = 0, min = Infinity, max = -Infinity;
for (let k = 0; k < n; k++) {
  const v = vals[k];
  sum += v; sumSq += v * v;
  if (v < min) min = v;
  if (v > max) max = v;
}
const mean = sum / n;
let dev = 0;
for (let k = 0; k < n; k++) dev += (vals[k] - mean) * (vals[k] - mean);
msg.payload = {
  scaled_mean: mean, scaled_std: Math.sqrt(dev / n), scaled_min: min, scaled_max: max,
  scaled_rms: Math.sqrt(sumSq / n), scaled_p2p: max - min, count: n,
};
return msg;`;

const SINK = `
global.get('bench').arrive(msg.payload.branch, msg.seq, msg.payload.ver);
return null;`;

type NodeRedNode = Record<string, unknown> & { id: string; type: string };

export function nodeRedFlow(version: 1 | 2): NodeRedNode[] {
  const flow: NodeRedNode[] = [{ id: "flow", type: "tab", label: "bench deploy", disabled: false, info: "" }];
  const fn = (id: string, name: string, func: string, wires: string[][], outputs = 1) =>
    flow.push({ id, type: "function", z: "flow", name, func, outputs, timeout: 0, noerr: 0, initialize: "", finalize: "", libs: [], x: 0, y: 0, wires });
  const between = (id: string, name: string, property: string, min: number, max: number, next: string) =>
    flow.push({
      id, type: "switch", z: "flow", name, property, propertyType: "msg",
      rules: [{ t: "btwn", v: String(min), vt: "num", v2: String(max), v2t: "num" }, { t: "else" }],
      checkall: "false", repair: false, outputs: 2, x: 0, y: 0, wires: [[next], [next]],
    });
  const set = (id: string, name: string, property: string, value: number, next: string) =>
    flow.push({
      id, type: "change", z: "flow", name,
      rules: [{ t: "set", p: property, pt: "msg", to: String(value), tot: "num" }],
      action: "", property: "", from: "", to: "", reg: false, x: 0, y: 0, wires: [[next]],
    });

  const heads: string[] = [];
  for (let b = 0; b < BRANCHES; b++) {
    const id = (name: string) => `b${b}.${name}`;
    heads.push(id("check"));
    between(id("check"), "valid?", "payload.vibration", 0, 100, id("scale"));
    fn(id("scale"), "scale", SCALE, [[id("convert")]]);
    fn(id("convert"), "to °F", CONVERT, [[id("clamp")]]);
    flow.push({
      id: id("clamp"), type: "range", z: "flow", name: "clamp temperature", minin: "-40", maxin: "150", minout: "-40", maxout: "150",
      action: "clamp", round: false, property: "payload.temperature", x: 0, y: 0, wires: [[id("hi")]],
    });
    fn(id("hi"), "high?", hysteresis("scaled", version === 2 && b === 0 ? 0.72 : 0.7, 0.5), [[id("load")], [id("load")]], 2);
    fn(id("load"), "load", LOAD, [[id("stats")]]);
    fn(id("stats"), `rolling stats(${WINDOW})`, ROLLING_STATS, [[id("level")]]);
    fn(id("level"), "level", LEVEL, [[id("gate")]]);
    fn(id("gate"), "gate", hysteresis("scaled_mean", 0.7, 0.5), [[id("plausible")], [id("plausible")]], 2);
    between(id("plausible"), "plausible?", "payload.level", 0, 100, id("tag"));
    if (version === 2 && b === 1) {
      set(id("tag"), "tag branch", "payload.branch", b, id("extra"));
      fn(id("extra"), "half level", EXTRA, [[id("ver")]]);
    } else {
      set(id("tag"), "tag branch", "payload.branch", b, id("ver"));
    }
    set(id("ver"), "stamp version", "payload.ver", version, "sink");
  }
  fn("src", "source", SOURCE, [heads]);
  fn("sink", "sink", SINK, []);
  return flow;
}
