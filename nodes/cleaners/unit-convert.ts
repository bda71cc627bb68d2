import { AiotError, Config, defineNode, isAiotError, isRecord, Type, type ConfigProblem, type Message } from "../../runtime/sdk/index.ts";
import { ASSETS, type AssetDirectory } from "../../runtime/sdk/assets.ts";
import { unitConverter } from "../../runtime/sdk/units.ts";

const conversion = Type.Object(
  {
    field: Type.String({ minLength: 1, widget: "field", description: "Numeric payload field to convert." }),
    to: Type.String({ minLength: 1, description: "Unit to convert to (a convert-units symbol: C, F, K, bar, psi, kPa, rpm, Hz, mm/s, l/min ...)." }),
    from: Type.Optional(Type.String({ minLength: 1, description: "Unit the values arrive in; when omitted, the asset registry's unit for the signal, else meta.units.<field>." })),
  },
  { additionalProperties: false, description: "One field to convert." },
);

/** Where a message's unit for a field comes from, for error messages. */
type Origin = "config" | "asset registry" | "meta.units";

export default defineNode({
  type: "unit-convert",
  version: 1,
  family: "cleaners",
  title: "Unit convert",
  summary: "Converts payload fields between units (°C to °F, bar to psi, mm/s to in/s) and stamps unit and asset into each message.",
  docs: `
Converts numeric payload fields with the convert-units library (no hand-written factors) and records
the result in \`meta.units\` (\`{ temperature: "F" }\`), so downstream nodes and sinks know what a number means.

The unit a value **arrives in** is, in this order: the rule's \`from\`; with \`useAssets\`, the unit
the asset registry (admin API \`/api/assets\`) declares for the message's asset (its key) and signal (the
field); or \`meta.units.<field>\` set by the source. With \`useAssets\` each message also gets
\`meta.asset\` (the asset id), and a value outside the signal's registered valid range is flagged
\`meta.quality.<field>: "out_of_range"\` (the range is in the registered unit, checked before converting).

Bad input goes to the error port, counted, and the flow keeps running: an asset the registry does not
know (ASSET_NOT_FOUND, when \`onUnknownAsset\` is "error"), a field whose unit is known nowhere
(SIGNAL_NOT_FOUND), a unit the library does not know (UNIT_UNKNOWN, with the closest known unit), or
units of different measures (UNIT_INCOMPATIBLE, e.g. C to bar). A field that is absent or not a number
is left as it is. Units in the config are checked when the flow loads.

In: \`{ key: "pump-7", payload: { temperature: 20 }, meta: { units: { temperature: "C" } } }\`
Out: \`{ key: "pump-7", payload: { temperature: 68 }, meta: { units: { temperature: "F" }, asset: "pump-7" } }\`

Example: \`{ "conversions": [{ "field": "temperature", "to": "F" }], "useAssets": true }\``,
  config: Config({
    conversions: Type.Array(conversion, { minItems: 1, description: "Fields to convert." }),
    useAssets: Type.Boolean({ default: false, description: "Look up each message's asset (by key) in the asset registry for source units and valid ranges." }),
    onUnknownAsset: Type.Enum(["error", "pass"], {
      default: "error",
      description: "With useAssets, a message whose key is not a registered asset: an ASSET_NOT_FOUND error, or pass it on using the other unit sources.",
    }),
  }),
  inputs: { in: { kind: "reading", description: "Readings with numeric fields." } },
  outputs: { out: { kind: "reading", description: "Readings with converted fields, meta.units and (with useAssets) meta.asset." } },
  examples: [
    { title: "Celsius to Fahrenheit", config: { conversions: [{ field: "temperature", from: "C", to: "F" }] } },
    { title: "Registered assets to SI", description: "Source units come from the asset registry.", config: {
      conversions: [{ field: "pressure", to: "kPa" }, { field: "temperature", to: "K" }], useAssets: true,
    } },
  ],
  check(config) {
    const problems: ConfigProblem[] = [];
    config.conversions.forEach((rule, i) => {
      try {
        unitConverter(rule.from ?? rule.to, rule.to, `conversions[${i}].to`);
      } catch (error) {
        if (!isAiotError(error)) throw error;
        const wrong = error.code === "UNIT_UNKNOWN" && rule.from !== undefined && error.details["unit"] === rule.from ? "from" : "to";
        problems.push({ path: `conversions[${i}].${wrong}`, message: `${error.message} [${error.code}]` });
      }
    });
    return problems;
  },
  fieldsOut: (_config, inputFields) => ({ out: inputFields }),
  create(config, ctx) {
    const assets: AssetDirectory | undefined = config.useAssets ? ctx.use(ASSETS) : undefined;
    const converters = new Map<string, (value: number) => number>();
    function converter(from: string, to: string, field: string, origin: Origin): (value: number) => number {
      const pair = `${from}\u0000${to}`;
      let convert = converters.get(pair);
      if (!convert) {
        try {
          convert = unitConverter(from, to, `payload.${field}`);
        } catch (error) {
          if (!isAiotError(error)) throw error;
          throw new AiotError(error.code, `${field}: ${error.message} (unit from the ${origin})`, { ...error.details, field });
        }
        converters.set(pair, convert);
      }
      return convert;
    }

    return {
      onMessage(msg: Message) {
        const payload = msg.payload;
        if (!isRecord(payload)) throw new AiotError("MESSAGE_SHAPE_INVALID", "payload is not an object", { path: "payload" });
        const asset = assets && msg.key !== undefined ? assets.get(msg.key) : undefined;
        if (assets && !asset && config.onUnknownAsset === "error") {
          ctx.metrics.count("unknown_asset");
          throw new AiotError("ASSET_NOT_FOUND", `no asset "${msg.key ?? ""}" in the asset registry (the message key names the asset)`, { asset: msg.key ?? null });
        }
        const metaUnits = isRecord(msg.meta?.["units"]) ? msg.meta["units"] : {};
        const next: Record<string, unknown> = { ...payload };
        const units: Record<string, unknown> = { ...metaUnits };
        let quality: Record<string, string> | undefined;
        for (const rule of config.conversions) {
          const value = payload[rule.field];
          if (typeof value !== "number" || !Number.isFinite(value)) continue;
          const signal = asset?.signals.find((s) => s.name === rule.field);
          const fromMeta = metaUnits[rule.field];
          const [from, origin]: [string | undefined, Origin] =
            rule.from !== undefined ? [rule.from, "config"]
            : signal?.unit !== undefined ? [signal.unit, "asset registry"]
            : [typeof fromMeta === "string" ? fromMeta : undefined, "meta.units"];
          if (from === undefined) {
            const where = asset ? `asset "${asset.id}" declares no unit for it and ` : "";
            throw new AiotError("SIGNAL_NOT_FOUND", `${rule.field}: the unit it arrives in is unknown: ${where}the message has no meta.units.${rule.field}; set "from" in the rule`, { field: rule.field, asset: msg.key ?? null });
          }
          if (signal && ((signal.min !== undefined && value < signal.min) || (signal.max !== undefined && value > signal.max))) {
            (quality ??= {})[rule.field] = "out_of_range";
            ctx.metrics.count("out_of_range");
          }
          next[rule.field] = converter(from, rule.to, rule.field, origin)(value);
          units[rule.field] = rule.to;
        }
        const previousQuality = isRecord(msg.meta?.["quality"]) ? msg.meta["quality"] : undefined;
        const meta = {
          ...msg.meta,
          units,
          ...(asset ? { asset: asset.id } : {}),
          ...(quality ? { quality: { ...previousQuality, ...quality } } : {}),
        };
        ctx.emit("out", { ...msg, payload: next, meta });
      },
    };
  },
});
