import { join } from "node:path";
import type { Asset, AssetDirectory, SignalSpec } from "../sdk/assets.ts";
import type { Clock } from "../sdk/clock.ts";
import { AiotError, isAiotError } from "../sdk/errors.ts";
import { Type } from "../sdk/schema.ts";
import { describeUnit } from "../sdk/units.ts";
import { StoreDocument, type StoreProblem } from "./store-file.ts";

const ID = /^[A-Za-z0-9_.:-]{1,128}$/;

export const SignalSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128, description: "Payload field name of the signal." }),
    unit: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: "Unit the device sends (convert-units symbol: C, bar, rpm, mm/s)." })),
    min: Type.Optional(Type.Number({ description: "Lowest valid value, in unit." })),
    max: Type.Optional(Type.Number({ description: "Highest valid value, in unit." })),
    description: Type.Optional(Type.String({ maxLength: 500, description: "What the signal is." })),
  },
  { additionalProperties: false },
);

/** An asset as a client sends it: everything but the id (from the URL) and updatedAt (ours). */
export const AssetBodySchema = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 200, description: "Display name." })),
    kind: Type.Optional(Type.String({ maxLength: 100, description: "Kind of asset, e.g. centrifugal-pump." })),
    location: Type.Optional(Type.String({ maxLength: 200, description: "Where it is." })),
    signals: Type.Array(SignalSchema, { default: [], maxItems: 1000, description: "Its signals." }),
  },
  { additionalProperties: false },
);

export const AssetSchema = Type.Object(
  {
    id: Type.String({ pattern: ID.source, description: "Asset id; equals the message key of its readings." }),
    name: Type.Optional(Type.String()),
    kind: Type.Optional(Type.String()),
    location: Type.Optional(Type.String()),
    signals: Type.Array(SignalSchema),
    updatedAt: Type.String({ description: "When it was last stored (ISO 8601)." }),
  },
  { additionalProperties: false },
);

const AssetsFileSchema = Type.Object({ format: Type.Literal("aiotflow/assets@1"), assets: Type.Array(AssetSchema) }, { additionalProperties: false });

interface AssetsFile {
  readonly format: "aiotflow/assets@1";
  readonly assets: readonly Asset[];
}

export type AssetInput = Omit<Asset, "id" | "updatedAt">;

/** Problems that make an asset unusable: a bad id, a duplicate signal, an unknown unit, min > max. */
export function assetProblems(id: string, asset: AssetInput, at = ""): StoreProblem[] {
  const problems: StoreProblem[] = [];
  if (!ID.test(id) || /^\.+$/.test(id)) problems.push({ path: `${at}id`, message: `"${id.slice(0, 64)}" is not 1-128 letters, digits, _ . : -` });
  const seen = new Set<string>();
  asset.signals.forEach((signal: SignalSpec, i) => {
    const path = `${at}signals[${i}]`;
    if (seen.has(signal.name)) problems.push({ path: `${path}.name`, message: `signal "${signal.name}" is declared twice` });
    seen.add(signal.name);
    if (signal.unit !== undefined) {
      try {
        describeUnit(signal.unit);
      } catch (error) {
        if (!isAiotError(error)) throw error;
        problems.push({ path: `${path}.unit`, message: error.message });
      }
    }
    if (signal.min !== undefined && signal.max !== undefined && signal.min > signal.max) {
      problems.push({ path: `${path}.max`, message: `must be >= min (${signal.min})` });
    }
  });
  return problems;
}

function invalid(problems: StoreProblem[]): AiotError {
  const first = problems[0]!;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : "";
  return new AiotError("ASSET_INVALID", `${first.path}: ${first.message}${more}`, { path: first.path, problems });
}

/**
 * The asset/signal registry in `<dataDir>/assets.json` (durable lowdb file, refused when damaged).
 * Reads are synchronous from memory, so nodes can look assets up per message.
 *
 * @example
 * const assets = await LowdbAssetStore.open("data");
 * await assets.put("pump-7", { signals: [{ name: "temperature", unit: "C", min: -20, max: 120 }] });
 */
export class LowdbAssetStore implements AssetStore {
  private byId = new Map<string, Asset>();

  private constructor(
    private readonly store: StoreDocument<AssetsFile>,
    private readonly clock: Pick<Clock, "now">,
  ) {
    this.index();
  }

  static async open(dataDir: string, options: { clock?: Pick<Clock, "now"> } = {}): Promise<LowdbAssetStore> {
    const store = await StoreDocument.open<AssetsFile>(
      {
        file: join(dataDir, "assets.json"),
        schema: AssetsFileSchema,
        check: (data) => data.assets.flatMap((a, i) => assetProblems(a.id, a, `assets[${i}].`)),
      },
      { format: "aiotflow/assets@1", assets: [] },
    );
    return new LowdbAssetStore(store, options.clock ?? { now: () => Date.now() });
  }

  list(): readonly Asset[] {
    return this.store.data.assets;
  }

  get(id: string): Asset | undefined {
    return this.byId.get(id);
  }

  signal(id: string, name: string): SignalSpec | undefined {
    return this.byId.get(id)?.signals.find((s) => s.name === name);
  }

  /** Creates or replaces an asset; ASSET_INVALID names the first bad field. */
  async put(id: string, input: AssetInput): Promise<{ asset: Asset; created: boolean }> {
    const problems = assetProblems(id, input);
    if (problems.length > 0) throw invalid(problems);
    const asset: Asset = { ...input, id, updatedAt: new Date(this.clock.now()).toISOString() };
    const created = await this.store.update((data) => {
      const existed = data.assets.some((a) => a.id === id);
      const assets = existed ? data.assets.map((a) => (a.id === id ? asset : a)) : [...data.assets, asset];
      return { next: { ...data, assets }, result: !existed };
    });
    this.index();
    return { asset, created };
  }

  async delete(id: string): Promise<boolean> {
    const deleted = await this.store.update((data) => {
      if (!data.assets.some((a) => a.id === id)) return { next: data, result: false };
      return { next: { ...data, assets: data.assets.filter((a) => a.id !== id) }, result: true };
    });
    this.index();
    return deleted;
  }

  private index(): void {
    this.byId = new Map(this.store.data.assets.map((a) => [a.id, a]));
  }
}

/** What the admin API needs of the registry: the directory plus writes. */
export interface AssetStore extends AssetDirectory {
  put(id: string, input: AssetInput): Promise<{ asset: Asset; created: boolean }>;
  delete(id: string): Promise<boolean>;
}
