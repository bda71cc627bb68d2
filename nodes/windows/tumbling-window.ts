import { defineNode } from "../../runtime/sdk/index.ts";
import { eventTimeWindows } from "../lib/windows/event-time.ts";
import { countWindowSchema, timeWindowSchema, windowConfig, windowDocs, windowFieldsOut, windowInputs, windowOutputs } from "../lib/windows/window-config.ts";
import { accumulate, accumulator, WindowFeatures, type Accumulator } from "../lib/windows/window-stats.ts";

const countWindow = countWindowSchema("Emit every `count` readings of a key, then start over.");

const timeWindow = timeWindowSchema("Back-to-back event-time windows per key, aligned to multiples of sizeMs.", {});

interface CountState {
  /** Event time of the window's first reading. */
  start: number;
  acc: Accumulator;
}

export default defineNode({
  type: "tumbling-window",
  version: 1,
  family: "windows",
  title: "Tumbling window",
  summary: "Statistics (mean, std, min, max, rms, p2p) of numeric fields over back-to-back windows, per device.",
  docs: windowDocs(
    "non-overlapping",
    `
- **by count**: every \`count\` readings of a key emit one summary, then the window starts over.
  \`ts\`, \`topic\` and \`meta\` are those of the window's last reading; \`window_start\`/\`window_end\`
  are the event times of its first and last reading.
- **by time**: event-time windows \`[k*sizeMs, (k+1)*sizeMs)\` aligned to the epoch (a 60000 ms window
  starts on the minute). A window is emitted once, when the key's watermark (its newest \`ts\` minus
  \`allowedLatenessMs\`) reaches its end; \`ts\` is the window end. A reading whose window was emitted
  already goes to \`late\`. A key that stops sending keeps its last window open until it sends again.`,
    `
Example: \`{ "fields": ["current"], "stats": ["mean", "max"], "window": { "by": "time", "sizeMs": 60000 } }\`
emits each minute's mean and peak current of every device.`,
  ),
  config: windowConfig(countWindow, timeWindow),
  inputs: windowInputs,
  outputs: windowOutputs("Readings that arrived after their window was emitted."),
  examples: [
    { title: "Every 50 readings", config: { fields: ["vibration", "current"], window: { by: "count", count: 50 } } },
    { title: "Per minute", config: { fields: ["current"], stats: ["mean", "max"], window: { by: "time", sizeMs: 60_000, allowedLatenessMs: 5_000 } } },
  ],
  fieldsOut: windowFieldsOut,
  create(config, ctx) {
    const features = new WindowFeatures(config.fields, config.stats);
    const window = config.window;
    if (window.by === "time") {
      const spec = { sizeMs: window.sizeMs, slideMs: window.sizeMs, allowedLatenessMs: window.allowedLatenessMs };
      return { onMessage: eventTimeWindows(spec, features, ctx) };
    }

    const size = window.count;
    const fieldCount = config.fields.length;
    const state = ctx.keyed<CountState>(() => ({ start: 0, acc: accumulator(fieldCount) }));
    return {
      onMessage(msg) {
        const values = features.read(msg);
        const s = state.get(msg.key ?? "");
        if (s.acc.n === 0) s.start = msg.ts;
        accumulate(s.acc, values);
        if (s.acc.n < size) return;
        ctx.emit("out", { ...msg, payload: features.fromAccumulator(s.acc, s.start, msg.ts) });
        s.acc.n = 0;
      },
    };
  },
});
