/**
 * The asset/signal model nodes read: assets (a pump, a line, a meter) and their signals, each with a
 * unit and a valid range. The runtime keeps the registry (admin API: /api/assets) and provides it as
 * a service; a node reads it with `ctx.use(ASSETS)` in `create` and looks assets up per message,
 * so an edit through the API applies to running flows at once.
 *
 * @example
 * const assets = ctx.use(ASSETS);
 * const signal = assets.signal("pump-7", "temperature"); // { name, unit: "C", min: -20, max: 120 }
 */
import { serviceKey } from "./services.ts";

export interface SignalSpec {
  /** Payload field name of the signal (`temperature`). */
  readonly name: string;
  /** Unit of the values as the device sends them (a convert-units symbol: `C`, `bar`, `mm/s`). */
  readonly unit?: string;
  /** Lowest physically valid value, in `unit`. */
  readonly min?: number;
  /** Highest physically valid value, in `unit`. */
  readonly max?: number;
  readonly description?: string;
}

export interface Asset {
  /** Matches the message key of the asset's readings (`pump-7`). */
  readonly id: string;
  readonly name?: string;
  /** What kind of thing it is (`centrifugal-pump`), free text. */
  readonly kind?: string;
  readonly location?: string;
  readonly signals: readonly SignalSpec[];
  readonly updatedAt: string;
}

/** The read side of the registry, as nodes see it. */
export interface AssetDirectory {
  get(id: string): Asset | undefined;
  /** The signal `name` of asset `id`, or undefined when either is unknown. */
  signal(id: string, name: string): SignalSpec | undefined;
  list(): readonly Asset[];
}

export const ASSETS = serviceKey<AssetDirectory>("assets");
