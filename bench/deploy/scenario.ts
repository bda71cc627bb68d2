// The deploy scenario's knobs, read the same way by the aiotflow and the Node-RED harness.
import { parseArgs } from "node:util";

/** Parses the shared options plus `variant` (aiotflow: --via runtime|http; Node-RED: --type nodes|full). */
export function scenarioOptions<V extends string>(variant: { readonly flag: string; readonly values: readonly [V, ...V[]] }) {
  const { values } = parseArgs({
    options: {
      [variant.flag]: { type: "string", default: variant.values[0] },
      rate: { type: "string", default: "500" },
      deploys: { type: "string", default: "5" },
      "warm-ms": { type: "string", default: "1500" },
      "gap-ms": { type: "string", default: "300" },
      "effect-timeout-ms": { type: "string", default: "5000" },
    },
  });
  const chosen = values[variant.flag];
  return {
    variant: (variant.values.find((v) => v === chosen) ?? variant.values[0]) as V,
    rate: Number(values["rate"]),
    deploys: Number(values["deploys"]),
    warmMs: Number(values["warm-ms"]),
    gapMs: Number(values["gap-ms"]),
    effectTimeoutMs: Number(values["effect-timeout-ms"]),
  };
}
