import { Config, defineNode, Type } from "../../runtime/sdk/index.ts";
import { eventTimeWindows } from "../lib/windows/event-time.ts";
import { accumulate, accumulator, featureFieldNames, fieldsSchema, statsSchema, WindowFeatures, type Accumulator } from "../lib/windows/window-stats.ts";

const countWindow = Type.Object(
  {
    by: Type.Literal("count", { description: "Emit every `count` readings of a key, then start over." }),
    count: Type.Integer({ minimum: 2, default: 10, description: "Readings per window." }),
  },
  { additionalProperties: false },
);

const timeWindow = Type.Object(
  {
    by: Type.Literal("time", { description: "Back-to-back event-time windows per key, aligned to multiples of sizeMs." }),
    sizeMs: Type.Integer({ minimum: 1, default: 10_000, unit: "ms", description: "Window length." }),
    allowedLatenessMs: Type.Integer({
      minimum: 0,
      default: 0,
      unit: "ms",
      description: "How far behind the newest reading of a key a reading may arrive and still count.",
    }),
  },
  { additionalProperties: false },
);

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
  docs: `
Summarises numeric payload fields over non-overlapping windows, separately for every \`key\` (device).

- **by count**: every \`count\` readings of a key emit one summary, then the window starts over.
  \`ts\`, \`topic\` and \`meta\` are those of the window's last reading; \`window_start\`/\`window_end\`
  are the event times of its first and last reading.
- **by time**: event-time windows \`[k*sizeMs, (k+1)*sizeMs)\` aligned to the epoch (a 60000 ms window
  starts on the minute). A window is emitted once, when the key's watermark (its newest \`ts\` minus
  \`allowedLatenessMs\`) reaches its end; \`ts\` is the window end. A reading whose window was emitted
  already goes to \`late\`. A key that stops sending keeps its last window open until it sends again.

In: \`{ payload: { vibration: 2.1, ... } }\`, every configured field a finite number, otherwise the
reading is refused with MESSAGE_SHAPE_INVALID naming \`payload.<field>\`.

Out: \`{ topic, key, ts, payload: { vibration_mean, vibration_std, ..., count, window_start, window_end }, meta }\`.

Example: \`{ "fields": ["current"], "stats": ["mean", "max"], "window": { "by": "time", "sizeMs": 60000 } }\`
emits each minute's mean and peak current of every device.`,
  config: Config({
    fields: fieldsSchema,
    stats: statsSchema,
    window: Type.Union([countWindow, timeWindow], {
      default: { by: "count", count: 10 },
      description: "Window by reading count or by event time.",
    }),
  }),
  inputs: { in: { kind: "reading", description: "Readings with numeric fields." } },
  outputs: {
    out: { kind: "features", description: "Window statistics per key." },
    late: { kind: "reading", description: "Readings that arrived after their window was emitted." },
  },
  examples: [
    { title: "Every 50 readings", config: { fields: ["vibration", "current"], window: { by: "count", count: 50 } } },
    { title: "Per minute", config: { fields: ["current"], stats: ["mean", "max"], window: { by: "time", sizeMs: 60_000, allowedLatenessMs: 5_000 } } },
  ],
  fieldsOut: (config, inputFields) => ({ out: featureFieldNames(config.fields, config.stats), late: inputFields }),
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
