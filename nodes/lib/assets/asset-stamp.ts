import { Type, type Message, type NodeContext } from "../../../runtime/sdk/index.ts";
import { ASSETS } from "../../../runtime/sdk/assets.ts";

/** The config field sources share: look each message's key up in the asset registry. */
export const AssetsOption = Type.Boolean({
  default: false,
  description: "Stamp meta.asset and meta.units from the asset registry (/api/assets): the message key is the asset id, payload fields are its signals.",
});

export const ASSETS_DOCS = `**Assets**: with \`assets\` on, each message whose key is a registered asset (admin API \`/api/assets\`)
gets \`meta.asset\` (the asset id) and \`meta.units\` (each payload field's unit from the asset's signals), so
windows, models and sinks know what a number means without a unit-convert node. An unregistered key passes
unstamped and is counted (\`asset_unknown\`).`;

/**
 * The stamping function of a source with `assets` on (undefined when off). It reads the registry per
 * message, so an asset registered or edited through the API applies to a running flow at once.
 */
export function assetStamper(ctx: NodeContext<string>, enabled: boolean): ((msg: Message) => Message) | undefined {
  if (!enabled) return undefined;
  const assets = ctx.use(ASSETS);
  return (msg) => {
    const asset = msg.key === undefined ? undefined : assets.get(msg.key);
    if (!asset) {
      ctx.metrics.count("asset_unknown");
      return msg;
    }
    const units: Record<string, string> = { ...(msg.meta?.["units"] as Record<string, string> | undefined) };
    const payload = msg.payload;
    if (payload !== null && typeof payload === "object") {
      for (const signal of asset.signals) if (signal.unit !== undefined && Object.hasOwn(payload, signal.name)) units[signal.name] = signal.unit;
    }
    return { ...msg, meta: { ...msg.meta, asset: asset.id, units } };
  };
}
