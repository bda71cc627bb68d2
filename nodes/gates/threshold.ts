import { AiotError, Config, defineNode, isRecord, Type } from "../../runtime/sdk/index.ts";

/** Per key: is the alarm raised? An object so it can be updated in place; plain JSON. */
interface Gate {
  active: boolean;
}

export default defineNode({
  type: "threshold",
  version: 1,
  family: "gates",
  title: "Threshold",
  summary: "Raises an alarm when a value crosses a limit and clears it only past a second limit (hysteresis), per device.",
  docs: `
Watches one numeric payload field per \`key\` (device) with hysteresis, so a value hovering around the
limit does not make the alarm flap.

- **high** mode: raised when the value goes above \`raise\`, cleared when it falls below \`clear\`
  (\`clear\` <= \`raise\`).
- **low** mode: raised when the value goes below \`raise\`, cleared when it climbs above \`clear\`
  (\`clear\` >= \`raise\`).

Every message goes on, to \`alarm\` while its device's alarm is raised, else to \`normal\`; the message
that raises goes to \`alarm\`, the one that clears to \`normal\`. Each change is also sent to \`events\`:
\`{ topic, key, ts, payload: { state: "raised" | "cleared", field, value, raise, clear }, meta }\`
(topic, key, ts and meta of the message that caused it). A message without the field, or with a value
that is not a finite number, is refused with MESSAGE_SHAPE_INVALID.

Example: \`{ "field": "vibration_rms", "raise": 7.1, "clear": 6.5 }\` raises when the RMS vibration
passes 7.1 mm/s (ISO 10816 zone C) and clears once it is back below 6.5.`,
  config: Config({
    field: Type.String({ minLength: 1, widget: "field", description: "Numeric payload field to watch." }),
    mode: Type.Enum(["high", "low"], { default: "high", description: "high: alarm above the limit; low: alarm below it." }),
    raise: Type.Number({ description: "The alarm is raised past this value." }),
    clear: Type.Number({ description: "A raised alarm clears past this value, back on the normal side." }),
  }),
  inputs: { in: { kind: "any", description: "Messages with a numeric payload field." } },
  outputs: {
    alarm: { kind: "any", description: "Messages while their device's alarm is raised." },
    normal: { kind: "any", description: "Messages while their device's alarm is not raised." },
    events: { kind: "event", description: "One event each time an alarm is raised or cleared." },
  },
  examples: [
    { title: "High vibration", config: { field: "vibration_rms", mode: "high", raise: 7.1, clear: 6.5 } },
    { title: "Low tank level", description: "Alarm below 10 %, cleared above 15 %.", config: { field: "level", mode: "low", raise: 10, clear: 15 } },
  ],
  check(config) {
    if (config.mode === "high" && config.clear > config.raise) {
      return [{ path: "clear", message: `must be <= raise (${config.raise}) in high mode: the alarm rises above raise and clears below clear` }];
    }
    if (config.mode === "low" && config.clear < config.raise) {
      return [{ path: "clear", message: `must be >= raise (${config.raise}) in low mode: the alarm rises below raise and clears above clear` }];
    }
    return [];
  },
  fieldsOut: (_config, inputFields) => ({ alarm: inputFields, normal: inputFields, events: ["state", "field", "value", "raise", "clear"] }),
  create(config, ctx) {
    const { field, raise, clear } = config;
    const high = config.mode === "high";
    const path = `payload.${field}`;
    const gates = ctx.keyed<Gate>(() => ({ active: false }));
    return {
      onMessage(msg) {
        const payload = msg.payload;
        const value = isRecord(payload) ? payload[field] : undefined;
        if (typeof value !== "number" || !Number.isFinite(value)) {
          const got = value === undefined ? "missing" : `not a finite number: ${typeof value === "string" ? JSON.stringify(value) : String(value)}`;
          throw new AiotError("MESSAGE_SHAPE_INVALID", `${path} is ${got}`, { path });
        }
        const gate = gates.get(msg.key ?? "");
        const changes = gate.active ? (high ? value < clear : value > clear) : high ? value > raise : value < raise;
        if (changes) {
          gate.active = !gate.active;
          const state = gate.active ? "raised" : "cleared";
          ctx.emit("events", { ...msg, payload: { state, field, value, raise, clear } });
        }
        ctx.emit(gate.active ? "alarm" : "normal", msg);
      },
    };
  },
});
