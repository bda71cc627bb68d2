/**
 * The config, ports and docs sliding-window and tumbling-window share. Not a node. Each window node
 * keeps what differs: how its count window behaves, whether its time windows slide, and the wording
 * of its windowing in the docs.
 */
import { Config, Type, type TObject, type TSchema } from "../../../runtime/sdk/index.ts";
import { featureFieldNames, fieldsSchema, statsSchema, type StatName } from "./window-stats.ts";

/** The `by: "count"` window; `description` says what a count window means in this node. */
export function countWindowSchema(description: string) {
  return Type.Object(
    {
      by: Type.Literal("count", { description }),
      count: Type.Integer({ minimum: 2, default: 10, description: "Readings per window." }),
    },
    { additionalProperties: false },
  );
}

/**
 * The `by: "time"` window; `description` says how the windows are laid out, `between` holds the
 * node's own fields, listed after `sizeMs` (a sliding window's `slideMs`).
 */
export function timeWindowSchema<P extends Record<string, TSchema>>(description: string, between: P) {
  return Type.Object(
    {
      by: Type.Literal("time", { description }),
      sizeMs: Type.Integer({ minimum: 1, default: 10_000, unit: "ms", description: "Window length." }),
      ...between,
      allowedLatenessMs: Type.Integer({
        minimum: 0,
        default: 0,
        unit: "ms",
        description: "How far behind the newest reading of a key a reading may arrive and still count.",
      }),
    },
    { additionalProperties: false },
  );
}

/** A window node's whole config: the fields and statistics to summarise, and one of its two windows. */
export function windowConfig<Count extends TObject, Time extends TObject>(countWindow: Count, timeWindow: Time) {
  return Config({
    fields: fieldsSchema,
    stats: statsSchema,
    window: Type.Union([countWindow, timeWindow], {
      default: { by: "count", count: 10 },
      description: "Window by reading count or by event time.",
    }),
  });
}

export const windowInputs = { in: { kind: "reading", description: "Readings with numeric fields." } } as const;

/** `late` says which readings this node's windows turn away. */
export function windowOutputs(late: string) {
  return {
    out: { kind: "features", description: "Window statistics per key." },
    late: { kind: "reading", description: late },
  } as const;
}

/** `out` carries `<field>_<stat>` plus the window's count and bounds; `late` passes readings on as they came. */
export function windowFieldsOut(config: { readonly fields: readonly string[]; readonly stats: readonly StatName[] }, inputFields: readonly string[]) {
  return { out: featureFieldNames(config.fields, config.stats), late: inputFields };
}

/**
 * A window node's help: `overlap` names its windows ("overlapping"), `windowing` is its bullet list
 * of what each window mode does, `example` a worked config. The input and output shapes are the same
 * for both nodes, so they are written once here.
 */
export function windowDocs(overlap: string, windowing: string, example: string): string {
  return `
Summarises numeric payload fields over ${overlap} windows, separately for every \`key\` (device).

${windowing.trim()}

In: \`{ payload: { vibration: 2.1, ... } }\`, every configured field a finite number, otherwise the
reading is refused with MESSAGE_SHAPE_INVALID naming \`payload.<field>\`.

Out: \`{ topic, key, ts, payload: { vibration_mean, vibration_std, ..., count, window_start, window_end }, meta }\`.

${example.trim()}`;
}
