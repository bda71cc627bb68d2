import { defineNode, Type } from "../../runtime/sdk/index.ts";
import { eventTimeWindows } from "../lib/windows/event-time.ts";
import { countWindowSchema, timeWindowSchema, windowConfig, windowDocs, windowFieldsOut, windowInputs, windowOutputs } from "../lib/windows/window-config.ts";
import { rollingPush, rollingWindow, WindowFeatures, type RollingWindow } from "../lib/windows/window-stats.ts";

const countWindow = countWindowSchema("Rolling window over the last `count` readings of each key.");

const timeWindow = timeWindowSchema("Hopping event-time windows per key.", {
  slideMs: Type.Integer({ minimum: 1, default: 5_000, unit: "ms", description: "Distance between window starts (<= sizeMs)." }),
});

export default defineNode({
  type: "sliding-window",
  version: 1,
  family: "windows",
  title: "Sliding window",
  summary: "Statistics (mean, std, min, max, rms, p2p) of numeric fields over overlapping windows, per device.",
  docs: windowDocs(
    "overlapping",
    `
- **by count**: on every reading, once a key has \`count\` readings, emits the statistics of its last
  \`count\` readings (a rolling window). \`ts\`, \`topic\` and \`meta\` are the reading's own;
  \`window_start\`/\`window_end\` are the event times of the oldest and newest reading in the window.
- **by time**: hopping event-time windows \`[k*slideMs, k*slideMs + sizeMs)\`. A window is emitted
  once, when the key's watermark (its newest \`ts\` minus \`allowedLatenessMs\`) reaches its end;
  \`ts\` is the window end. A reading that only belongs to windows already emitted goes to \`late\`.
  A key that stops sending keeps its last windows open until it sends again.`,
    `
Example: \`{ "fields": ["vibration"], "stats": ["mean", "rms"], "window": { "by": "time", "sizeMs": 60000, "slideMs": 10000 } }\`
emits every 10 s of event time the mean and RMS vibration of the last minute.`,
  ),
  config: windowConfig(countWindow, timeWindow),
  inputs: windowInputs,
  outputs: windowOutputs("Readings that arrived after all their windows were emitted."),
  examples: [
    { title: "Rolling vibration over 10 readings", config: { fields: ["vibration"], window: { by: "count", count: 10 } } },
    {
      title: "One-minute windows every 10 s",
      config: { fields: ["vibration", "temperature"], stats: ["mean", "std", "max"], window: { by: "time", sizeMs: 60_000, slideMs: 10_000, allowedLatenessMs: 2_000 } },
    },
  ],
  check(config) {
    const w = config.window;
    if (w.by === "time" && w.slideMs > w.sizeMs) {
      return [{ path: "window.slideMs", message: `must be <= sizeMs (${w.sizeMs}); a larger slide would skip readings between windows` }];
    }
    return [];
  },
  fieldsOut: windowFieldsOut,
  create(config, ctx) {
    const features = new WindowFeatures(config.fields, config.stats);
    const window = config.window;
    if (window.by === "time") return { onMessage: eventTimeWindows(window, features, ctx) };

    const size = window.count;
    const fieldCount = config.fields.length;
    const state = ctx.keyed<RollingWindow>(() => rollingWindow(size, fieldCount));
    return {
      onMessage(msg) {
        const values = features.read(msg);
        const w = state.get(msg.key ?? "");
        rollingPush(w, msg.ts, values);
        if (w.next >= size) ctx.emit("out", { ...msg, payload: features.fromRolling(w) });
      },
    };
  },
});
