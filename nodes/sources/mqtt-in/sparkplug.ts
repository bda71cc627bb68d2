import { createRequire } from "node:module";
import type sparkplugPayload from "sparkplug-payload";
import { AiotError, errorMessage } from "../../../runtime/sdk/index.ts";

type Codec = NonNullable<ReturnType<typeof sparkplugPayload.get>>;
let loaded: Codec | undefined;
/**
 * Loaded on first use: the library and its protobufjs cost ~10 MiB, which a gateway whose flows
 * never see Sparkplug should not pay for loading the catalog.
 */
function codec(): Codec {
  const library = createRequire(import.meta.url)("sparkplug-payload") as typeof sparkplugPayload;
  return (loaded ??= library.get("spBv1.0")!);
}

export type SparkplugMessageType = "NBIRTH" | "NDEATH" | "NDATA" | "NCMD" | "DBIRTH" | "DDEATH" | "DDATA" | "DCMD" | "STATE";

export interface SparkplugTopic {
  readonly group: string;
  readonly type: SparkplugMessageType;
  readonly node: string;
  readonly device?: string;
}

/** `spBv1.0/<group>/<type>/<edge node>[/<device>]`, or undefined for another topic. */
export function parseSparkplugTopic(topic: string): SparkplugTopic | undefined {
  const [namespace, group, type, node, device, ...rest] = topic.split("/");
  if (namespace !== "spBv1.0" || !group || !type || !node || rest.length > 0) return undefined;
  if (!/^(N|D)(BIRTH|DEATH|DATA|CMD)$/.test(type)) return undefined;
  if (type.startsWith("D") !== (device !== undefined)) return undefined;
  return { group, type: type as SparkplugMessageType, node, ...(device !== undefined ? { device } : {}) };
}

/** protobufjs decodes 64-bit fields as Long objects ({ low, high, unsigned }); JSON needs numbers. */
export function plainNumber(value: unknown): unknown {
  if (value && typeof value === "object" && "low" in value && "high" in value) {
    const { low, high, unsigned } = value as { low: number; high: number; unsigned?: boolean };
    return (unsigned ? high >>> 0 : high) * 4_294_967_296 + (low >>> 0);
  }
  return value;
}

export interface SparkplugReading {
  /** Metric name -> value (numbers, booleans, strings). */
  readonly values: Record<string, number | boolean | string | null>;
  readonly timestamp: number | undefined;
  readonly seq: number | undefined;
  /** Aliases a DATA message used that no BIRTH defined. */
  readonly unknownAliases: number[];
  /** Metrics of types that do not fit a reading (DataSet, Template, Bytes, File). */
  readonly skipped: number;
}

/** Alias tables learnt from BIRTH certificates, per edge node and per device. */
export class SparkplugState {
  private readonly aliases = new Map<string, Map<number, string>>();

  /** Decodes `payload`; throws SPARKPLUG_DECODE_FAILED for bytes that are no Sparkplug B protobuf. */
  decode(topic: SparkplugTopic, payload: Uint8Array): SparkplugReading {
    let decoded: ReturnType<Codec["decodePayload"]>;
    try {
      decoded = codec().decodePayload(payload);
    } catch (error) {
      throw new AiotError("SPARKPLUG_DECODE_FAILED", `${topic.type} from ${topic.node}${topic.device ? `/${topic.device}` : ""}: ${errorMessage(error)}`);
    }
    const scope = scopeOf(topic);
    const birth = topic.type === "NBIRTH" || topic.type === "DBIRTH";
    if (birth) this.aliases.set(scope, new Map());
    // A node rebirth invalidates its devices' aliases too: they are born again after it.
    if (topic.type === "NBIRTH") for (const key of this.aliases.keys()) if (key.startsWith(`${scope}/`)) this.aliases.delete(key);
    const table = this.aliases.get(scope);
    const values: Record<string, number | boolean | string | null> = {};
    const unknownAliases: number[] = [];
    let skipped = 0;
    for (const metric of decoded.metrics ?? []) {
      const alias = metric.alias === undefined || metric.alias === null ? undefined : Number(plainNumber(metric.alias));
      let name = metric.name ?? undefined;
      if (birth && name && alias !== undefined) table!.set(alias, name);
      if (!name && alias !== undefined) name = table?.get(alias);
      if (!name) {
        if (alias !== undefined) unknownAliases.push(alias);
        continue;
      }
      const value = plainNumber(metric.isNull ? null : metric.value);
      if (value === null || typeof value === "number" || typeof value === "boolean" || typeof value === "string") values[name] = value;
      else skipped++;
    }
    const timestamp = decoded.timestamp === undefined || decoded.timestamp === null ? undefined : Number(plainNumber(decoded.timestamp));
    const seq = decoded.seq === undefined || decoded.seq === null ? undefined : Number(plainNumber(decoded.seq));
    return { values, timestamp, seq, unknownAliases, skipped };
  }

  /** A death certificate: forget the aliases (a new BIRTH must come before DATA is understood). */
  died(topic: SparkplugTopic): void {
    const scope = scopeOf(topic);
    for (const key of [...this.aliases.keys()]) if (key === scope || key.startsWith(`${scope}/`)) this.aliases.delete(key);
  }
}

function scopeOf(topic: SparkplugTopic): string {
  return `${topic.group}/${topic.node}${topic.device !== undefined ? `/${topic.device}` : ""}`;
}

/** Encodes a payload (tests, simulators). */
export function encodeSparkplug(payload: Parameters<Codec["encodePayload"]>[0]): Uint8Array {
  return codec().encodePayload(payload);
}
