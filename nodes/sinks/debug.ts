import { Config, defineNode, Type } from "../../runtime/sdk/index.ts";

const SECOND_MS = 1000;

export default defineNode({
  type: "debug",
  version: 1,
  family: "sinks",
  title: "Debug",
  summary: "Shows messages in the editor's debug sidebar and the CLI, at most a few per second.",
  docs: `
Hands each message to the runtime's debug listeners (the editor's debug sidebar, \`aiotflow run\`'s
output), labelled with \`label\`.

At most \`maxPerSecond\` messages are shown per second of the runtime clock (0: all of them), so a
stream of a million messages a second never floods a console. Messages over the budget are counted
(metric \`suppressed\`), and the next message shown carries how many were skipped before it in
\`meta.skipped\`. The label stays as configured, so listeners can filter on it.

In: any message. No outputs.

Example: \`{ "label": "raw readings", "maxPerSecond": 5 }\``,
  config: Config({
    label: Type.String({ default: "", description: "Shown next to each message; the node's name is a good choice." }),
    maxPerSecond: Type.Integer({ minimum: 0, default: 10, unit: "msg/s", description: "Most messages shown per second; 0 shows every message." }),
  }),
  inputs: { in: { kind: "any", description: "Messages to show." } },
  outputs: {},
  examples: [
    { title: "Peek at a stream", config: { label: "raw readings", maxPerSecond: 5 } },
    { title: "Every message (low-rate flows only)", config: { label: "alarms", maxPerSecond: 0 } },
  ],
  create(config, ctx) {
    const { label, maxPerSecond } = config;
    let secondStart = Number.NEGATIVE_INFINITY;
    let shownThisSecond = 0;
    let skipped = 0;
    return {
      onMessage(msg) {
        if (maxPerSecond > 0) {
          const now = ctx.clock.now();
          if (now - secondStart >= SECOND_MS) {
            secondStart = now;
            shownThisSecond = 0;
          }
          if (shownThisSecond >= maxPerSecond) {
            skipped++;
            ctx.metrics.count("suppressed");
            return;
          }
          shownThisSecond++;
        }
        ctx.debug(skipped === 0 ? msg : { ...msg, meta: { ...msg.meta, skipped } }, label || undefined);
        skipped = 0;
      },
    };
  },
});
