import { createRequire } from "node:module";
import type sparkplugPayload from "sparkplug-payload";
import { AiotError, errorMessage, type Message, type NodeContext } from "../../../runtime/sdk/index.ts";
import type { MqttClient } from "../../../runtime/sdk/mqtt.ts";
import { emitError } from "../../lib/sources/emit-error.ts";

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
    const decoded = decodeProtobuf(topic, payload);
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
    return { values, timestamp, seq: seqOf(decoded), unknownAliases, skipped };
  }

  /** A death certificate: forget the aliases (a new BIRTH must come before DATA is understood). */
  died(topic: SparkplugTopic): void {
    const scope = scopeOf(topic);
    for (const key of [...this.aliases.keys()]) if (key === scope || key.startsWith(`${scope}/`)) this.aliases.delete(key);
  }
}

type Decoded = ReturnType<Codec["decodePayload"]>;

function decodeProtobuf(topic: SparkplugTopic, payload: Uint8Array): Decoded {
  try {
    return codec().decodePayload(payload);
  } catch (error) {
    throw new AiotError("SPARKPLUG_DECODE_FAILED", `${topic.type} from ${topic.node}${topic.device ? `/${topic.device}` : ""}: ${errorMessage(error)}`);
  }
}

const seqOf = (decoded: Decoded) => (decoded.seq === undefined || decoded.seq === null ? undefined : Number(plainNumber(decoded.seq)));

function scopeOf(topic: SparkplugTopic): string {
  return `${topic.group}/${topic.node}${topic.device !== undefined ? `/${topic.device}` : ""}`;
}

/** Encodes a payload (tests, simulators). */
export function encodeSparkplug(payload: Parameters<Codec["encodePayload"]>[0]): Uint8Array {
  return codec().encodePayload(payload);
}

/** What one message means for its edge node's sequence. */
export interface SequenceVerdict {
  /** The message's seq is not the one after the edge node's last (a message lost, repeated or reordered). */
  readonly gap?: { readonly expected: number; readonly received: number };
  /** DATA (or a DBIRTH) from an edge node not born since this host saw it, or DDATA from a device not born since. */
  readonly beforeBirth: boolean;
  /** Ask the edge node for a rebirth now. */
  readonly rebirth: boolean;
}

interface EdgeSession {
  born: boolean;
  bdSeq?: number;
  lastSeq?: number;
  readonly devices: Set<string>;
  rebirthAskedAt?: number;
}

/**
 * Not to ask an edge node for a rebirth on every message while its BIRTH is on the way; a request
 * that got lost is repeated on the next problem after this long.
 */
export const REBIRTH_RETRY_MS = 5_000;

/**
 * A Sparkplug host's view of each edge node's `seq` (Sparkplug B 3.0, 0-255 wrapping): one counter
 * across the node's NBIRTH, NDATA and its devices' DBIRTH, DDATA and DDEATH. An NBIRTH starts a session
 * at its seq under its bdSeq; the NDEATH with the same bdSeq ends it (one with another bdSeq is the late
 * will of an earlier session). A gap, or DATA from a node or device not born, calls for a rebirth.
 */
export class SequenceTracker {
  private readonly sessions = new Map<string, EdgeSession>();

  constructor(private readonly retryMs = REBIRTH_RETRY_MS) {}

  /** Any message but an NDEATH (and the commands, which hosts send). */
  seen(topic: SparkplugTopic, seq: number | undefined, bdSeq: number | undefined, now: number): SequenceVerdict {
    const id = `${topic.group}/${topic.node}`;
    if (topic.type === "NBIRTH") {
      this.sessions.set(id, { born: true, ...(bdSeq !== undefined ? { bdSeq } : {}), ...(seq !== undefined ? { lastSeq: seq } : {}), devices: new Set() });
      return { beforeBirth: false, rebirth: false };
    }
    let session = this.sessions.get(id);
    if (!session) this.sessions.set(id, (session = { born: false, devices: new Set() }));
    const device = topic.device;
    const beforeBirth = topic.type !== "DDEATH" && (!session.born || (topic.type === "DDATA" && device !== undefined && !session.devices.has(device)));
    if (device !== undefined && topic.type === "DBIRTH") session.devices.add(device);
    if (device !== undefined && topic.type === "DDEATH") session.devices.delete(device);
    let gap: SequenceVerdict["gap"];
    if (seq !== undefined) {
      const expected = session.lastSeq === undefined ? seq : (session.lastSeq + 1) % 256;
      if (seq !== expected) gap = { expected, received: seq };
      session.lastSeq = seq;
    }
    const wanted = gap !== undefined || beforeBirth;
    const due = wanted && (session.rebirthAskedAt === undefined || now - session.rebirthAskedAt >= this.retryMs);
    if (due) session.rebirthAskedAt = now;
    return { ...(gap ? { gap } : {}), beforeBirth, rebirth: due };
  }

  /** An NDEATH: false when its bdSeq is not the current session's (a stale will, to be ignored). */
  nodeDied(topic: SparkplugTopic, bdSeq: number | undefined): boolean {
    const id = `${topic.group}/${topic.node}`;
    const session = this.sessions.get(id);
    if (session?.bdSeq !== undefined && bdSeq !== undefined && bdSeq !== session.bdSeq) return false;
    this.sessions.delete(id);
    return true;
  }
}

/** The NCMD a host sends to have an edge node publish its NBIRTH and DBIRTHs again. */
export function rebirthRequest(group: string, node: string, now: number): { topic: string; payload: Buffer } {
  const payload = codec().encodePayload({ timestamp: now, metrics: [{ name: "Node Control/Rebirth", type: "Boolean", value: true }] });
  return { topic: `spBv1.0/${group}/NCMD/${node}`, payload: Buffer.from(payload) };
}

const bdSeqOf = (decoded: Decoded) => {
  const metric = decoded.metrics?.find((m) => m.name === "bdSeq");
  const value = metric ? plainNumber(metric.value) : undefined;
  return typeof value === "number" ? value : undefined;
};

/**
 * mqtt-in's host duties: reports seq gaps on the error port (SPARKPLUG_SEQ_GAP, counted as
 * `sparkplug_seq_gap`), counts DATA before BIRTH, and, when `client` is given (the node may write),
 * publishes the rebirth request the spec calls for. Without it the node only reports.
 */
export class SequenceWatch {
  private readonly tracker = new SequenceTracker();

  constructor(
    private readonly ctx: NodeContext<string>,
    private readonly client: (() => MqttClient | undefined) | undefined,
  ) {}

  /** After `where`'s payload decoded into `reading`. */
  observe(where: SparkplugTopic, reading: SparkplugReading, at: Pick<Message, "topic" | "key" | "ts">): void {
    const bdSeq = where.type === "NBIRTH" && typeof reading.values["bdSeq"] === "number" ? reading.values["bdSeq"] : undefined;
    this.judge(where, this.tracker.seen(where, reading.seq, bdSeq, this.ctx.clock.now()), at);
  }

  /**
   * An NDEATH or DDEATH. False for an NDEATH whose bdSeq is not that of the NBIRTH in force: the will of
   * an earlier session, delivered late, which must not take the node offline. A death that does not
   * decode still applies (the topic says who died) and is reported.
   */
  death(where: SparkplugTopic, bytes: Uint8Array, at: Pick<Message, "topic" | "key" | "ts">): boolean {
    let decoded: Decoded | undefined;
    try {
      decoded = decodeProtobuf(where, bytes);
    } catch (error) {
      this.ctx.metrics.count("payload_invalid");
      emitError(this.ctx, error instanceof AiotError ? error : new AiotError("SPARKPLUG_DECODE_FAILED", errorMessage(error)), at, "sparkplug_invalid");
    }
    if (where.type === "DDEATH") {
      this.judge(where, this.tracker.seen(where, decoded ? seqOf(decoded) : undefined, undefined, this.ctx.clock.now()), at);
      return true;
    }
    if (this.tracker.nodeDied(where, decoded ? bdSeqOf(decoded) : undefined)) return true;
    this.ctx.metrics.count("sparkplug_deaths_stale");
    return false;
  }

  private judge(where: SparkplugTopic, verdict: SequenceVerdict, at: Pick<Message, "topic" | "key" | "ts">): void {
    if (verdict.beforeBirth) this.ctx.metrics.count("sparkplug_data_before_birth");
    const asked = verdict.rebirth && this.client !== undefined && this.askRebirth(where);
    if (!verdict.gap) return;
    const { expected, received } = verdict.gap;
    const edge = `${where.group}/${where.node}`;
    const message = `edge node ${edge}: ${where.type}${where.device ? ` of ${where.device}` : ""} carried seq ${received}, ${expected} was expected${asked ? "; asked it for a rebirth" : ""}`;
    emitError(this.ctx, new AiotError("SPARKPLUG_SEQ_GAP", message, { topic: at.topic, group: where.group, edgeNode: where.node, expected, received, rebirthRequested: asked }), at, "sparkplug_seq_gap");
  }

  private askRebirth(where: SparkplugTopic): boolean {
    const client = this.client?.();
    const { topic, payload } = rebirthRequest(where.group, where.node, this.ctx.clock.now());
    const failed = (reason: string) => {
      this.ctx.metrics.count("sparkplug_rebirth_failed");
      this.ctx.log.warn(`asking ${where.group}/${where.node} for a rebirth on ${topic}: ${reason}`, { code: "MQTT_PUBLISH_FAILED" });
    };
    if (!client) {
      failed("not connected");
      return false;
    }
    // QoS 0, not retained: what Sparkplug B requires of NCMD.
    client.publish(topic, payload, { qos: 0, retain: false }, (error) => error && failed(error.message));
    this.ctx.metrics.count("sparkplug_rebirth_requests");
    return true;
  }
}
