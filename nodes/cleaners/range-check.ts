import { AiotError, Config, defineNode, isRecord, Type, type Message } from "../../runtime/sdk/index.ts";

type Reason = "out_of_range" | "stuck" | "missing";

/** Per key and rule: the last value seen and how many times in a row it has come. Plain JSON. */
interface Runs {
  last: number[];
  length: number[];
}

const rule = Type.Object(
  {
    field: Type.String({ minLength: 1, widget: "field", description: "Payload field to check." }),
    min: Type.Optional(Type.Number({ description: "Lowest valid value (inclusive); no lower bound when omitted." })),
    max: Type.Optional(Type.Number({ description: "Highest valid value (inclusive); no upper bound when omitted." })),
    action: Type.Enum(["drop", "clamp", "flag"], {
      default: "drop",
      description: "What to do with an invalid value: drop the reading (to `rejected`), clamp it to the range, or flag it in meta.quality.",
    }),
  },
  { additionalProperties: false, description: "A valid range for one field." },
);

export default defineNode({
  type: "range-check",
  version: 1,
  family: "cleaners",
  title: "Range check",
  summary: "Drops, clamps or flags readings whose values are outside the sensor's range, missing, or stuck.",
  docs: `
Checks fields of each reading against rules. A value is invalid when it is outside \`[min, max]\`,
or, with \`stuckAfter\` set (2 or more; 0 turns it off), when the same device sent exactly the same value
\`stuckAfter\` times in a row (the \`stuckAfter\`-th and later repeats are invalid). The rule's \`action\` decides:

- **drop**: the reading goes to \`rejected\` with \`meta.rejected: { field, reason, value }\`;
- **clamp**: the value is replaced by the nearest bound (a stuck value cannot be clamped: dropped);
- **flag**: the reading passes with \`meta.quality: { <field>: "out_of_range" | "stuck" }\`.

A field that is absent or not a finite number (NaN, ±Infinity, null, text) sends the reading to \`rejected\`
(reason "missing") when \`onMissing\` is "reject"; with "pass" it passes, flagged "missing" by a flag rule.
Nothing is lost silently: rejected readings are counted (metric \`rejected\`), and so are readings sent
on with at least one value clamped (\`clamped\`; a reading another rule rejects is not counted as clamped).
A reading that passes every rule is forwarded unchanged.

In: \`{ payload: { temperature: 412.5, ... } }\`. Out: the same reading, clamped or flagged where needed.

Example: \`{ "rules": [{ "field": "temperature", "min": -40, "max": 150 }, { "field": "vibration", "min": 0, "max": 50, "action": "flag" }], "stuckAfter": 20 }\``,
  config: Config({
    rules: Type.Array(rule, { minItems: 1, description: "One range per checked field." }),
    onMissing: Type.Enum(["reject", "pass"], {
      default: "reject",
      description: "What to do when a rule's field is absent or not a finite number.",
    }),
    stuckAfter: Type.Integer({
      minimum: 0,
      default: 0,
      description: "Identical values in a row that count as a stuck sensor: 0 turns this off, otherwise at least 2 (with 1, every reading would be stuck).",
    }),
  }),
  inputs: { in: { kind: "reading", description: "Readings to check." } },
  outputs: {
    out: { kind: "reading", description: "Valid readings (clamped or flagged where the rule says so)." },
    rejected: { kind: "reading", description: "Dropped readings, with meta.rejected saying why." },
  },
  examples: [
    { title: "Plausible temperature", config: { rules: [{ field: "temperature", min: -40, max: 150, action: "drop" }] } },
    {
      title: "Clamp current, flag a stuck vibration sensor",
      config: {
        rules: [{ field: "current", min: 0, max: 63, action: "clamp" }, { field: "vibration", min: 0, action: "flag" }],
        onMissing: "pass",
        stuckAfter: 10,
      },
    },
  ],
  check(config) {
    const problems = config.rules.flatMap((r, i) =>
      r.min !== undefined && r.max !== undefined && r.min > r.max ? [{ path: `rules[${i}].max`, message: `must be >= min (${r.min})` }] : [],
    );
    if (config.stuckAfter === 1) {
      problems.push({ path: "stuckAfter", message: "must be 0 (off) or at least 2: every value is a run of 1, so every reading would count as stuck" });
    }
    return problems;
  },
  // Clamping and flagging keep the payload's fields (meta says what happened), and rejected readings go
  // out unchanged: both ports carry the input's fields whatever the rules, even before any rule is set.
  fieldsOut: (_config, inputFields) => ({ out: inputFields, rejected: inputFields }),
  create(config, ctx) {
    const fields = config.rules.map((r) => r.field);
    const mins = config.rules.map((r) => r.min ?? -Infinity);
    const maxs = config.rules.map((r) => r.max ?? Infinity);
    const actions = config.rules.map((r) => r.action);
    const passMissing = config.onMissing === "pass";
    const stuckAfter = config.stuckAfter;
    const runs = stuckAfter > 0 ? ctx.keyed<Runs>(() => ({ last: fields.map(() => 0), length: fields.map(() => 0) })) : undefined;

    /** Tracks the run of equal values of rule i; true once the value counts as stuck. */
    function stuck(r: Runs, i: number, value: number | undefined): boolean {
      if (value === undefined) {
        r.length[i] = 0;
        return false;
      }
      if (r.length[i]! > 0 && r.last[i] === value) {
        r.length[i]!++;
      } else {
        r.last[i] = value;
        r.length[i] = 1;
      }
      return r.length[i]! >= stuckAfter;
    }

    function reject(msg: Message, field: string, reason: Reason, value: unknown): void {
      ctx.metrics.count("rejected");
      ctx.emit("rejected", { ...msg, meta: { ...msg.meta, rejected: { field, reason, value: value ?? null } } });
    }

    return {
      onMessage(msg) {
        const payload = msg.payload;
        if (!isRecord(payload)) throw new AiotError("MESSAGE_SHAPE_INVALID", "payload is not an object", { path: "payload" });
        const r = runs?.get(msg.key ?? "");
        let clamped: Record<string, unknown> | undefined;
        let quality: Record<string, Reason> | undefined;
        let rejectedAt = -1;
        let rejectedFor: Reason | undefined;
        for (let i = 0; i < fields.length; i++) {
          const field = fields[i]!;
          const raw = payload[field];
          const value = typeof raw === "number" && Number.isFinite(raw) ? raw : undefined;
          // Runs are tracked for every rule, even after a rejection, so they stay true to the sensor.
          const isStuck = r !== undefined && stuck(r, i, value);
          if (rejectedAt >= 0) continue;
          const action = actions[i];
          if (value === undefined) {
            if (!passMissing) {
              rejectedAt = i;
              rejectedFor = "missing";
            } else if (action === "flag") {
              (quality ??= {})[field] = "missing";
            }
            continue;
          }
          const reason: Reason | undefined = isStuck ? "stuck" : value < mins[i]! || value > maxs[i]! ? "out_of_range" : undefined;
          if (reason === undefined) continue;
          if (action === "flag") {
            (quality ??= {})[field] = reason;
          } else if (action === "clamp" && reason === "out_of_range") {
            (clamped ??= { ...payload })[field] = value < mins[i]! ? mins[i]! : maxs[i]!;
          } else {
            rejectedAt = i;
            rejectedFor = reason;
          }
        }
        if (rejectedFor !== undefined) return reject(msg, fields[rejectedAt]!, rejectedFor, payload[fields[rejectedAt]!]);
        // Counted only now: a later rule may still have rejected the reading a clamp rule fixed.
        if (clamped !== undefined) ctx.metrics.count("clamped");
        if (quality !== undefined) {
          const previous = msg.meta?.["quality"];
          const merged = isRecord(previous) ? { ...previous, ...quality } : quality;
          ctx.emit("out", { ...msg, payload: clamped ?? payload, meta: { ...msg.meta, quality: merged } });
        } else {
          // The fast path: a reading that passed every rule goes on as the same object.
          ctx.emit("out", clamped === undefined ? msg : { ...msg, payload: clamped });
        }
      },
    };
  },
});
