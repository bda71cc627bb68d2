/**
 * Live state of a running flow, framework-free: per-node rates from two metric snapshots
 * (GET /api/runtime/:id/metrics), a store each node component subscribes to by its own id (so a
 * tick re-renders only the nodes whose numbers changed, never the whole graph), and the debug list.
 */

/** One node of GET /api/runtime/:id/metrics (the fields the editor reads). */
export interface NodeMetrics {
  readonly node: string;
  readonly in: number;
  readonly out: number;
  readonly errors: number;
  readonly dropped: number;
  readonly queueDepth: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number };
}

export interface MetricsSample {
  /** When the snapshot was taken, in ms (performance.now() or Date.now()). */
  readonly at: number;
  readonly nodes: readonly NodeMetrics[];
}

export interface NodeLive extends NodeMetrics {
  /** Messages per second over the last interval; undefined for the first snapshot. */
  readonly inRate?: number;
  readonly outRate?: number;
  readonly errorRate?: number;
}

const rate = (now: number, before: number | undefined, seconds: number) =>
  // A counter that went down means the flow was redeployed: count from zero again.
  before === undefined || seconds <= 0 ? undefined : Math.max(0, now - (now >= before ? before : 0)) / seconds;

/** Per-node numbers and rates from the previous sample (if any) to the next one. */
export function liveNodes(previous: MetricsSample | undefined, next: MetricsSample): Map<string, NodeLive> {
  const before = new Map(previous?.nodes.map((n) => [n.node, n]));
  const seconds = previous ? (next.at - previous.at) / 1000 : 0;
  const result = new Map<string, NodeLive>();
  for (const n of next.nodes) {
    // A node new since the last sample (a redeploy added it) counts from zero.
    const b = before.get(n.node) ?? (previous ? { in: 0, out: 0, errors: 0 } : undefined);
    const inRate = rate(n.in, b?.in, seconds);
    const outRate = rate(n.out, b?.out, seconds);
    const errorRate = rate(n.errors, b?.errors, seconds);
    result.set(n.node, {
      ...n,
      ...(inRate !== undefined ? { inRate } : {}),
      ...(outRate !== undefined ? { outRate } : {}),
      ...(errorRate !== undefined ? { errorRate } : {}),
    });
  }
  return result;
}

/** "12/s", "0.5/s", "1.2k/s". */
export function formatRate(perSecond: number | undefined): string {
  if (perSecond === undefined) return "–";
  if (perSecond >= 1000) return `${(perSecond / 1000).toFixed(1)}k/s`;
  return `${perSecond >= 10 || perSecond === 0 ? Math.round(perSecond) : perSecond.toFixed(1)}/s`;
}

/** Latency bucket bounds are in ms; show µs below 1 ms. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "> 10 s";
  return ms < 1 ? `${Math.round(ms * 1000)} µs` : `${ms} ms`;
}

const sameLive = (a: NodeLive | undefined, b: NodeLive | undefined) =>
  a === b ||
  (!!a && !!b && a.in === b.in && a.out === b.out && a.errors === b.errors && a.dropped === b.dropped && a.queueDepth === b.queueDepth &&
    a.inRate === b.inRate && a.outRate === b.outRate && a.errorRate === b.errorRate && a.latencyMs.p50 === b.latencyMs.p50 && a.latencyMs.p99 === b.latencyMs.p99);

/** Node id -> live numbers; subscribers hear only about their own node, and only when it changed. */
export class LiveStore {
  private values: ReadonlyMap<string, NodeLive> = new Map();
  private readonly listeners = new Map<string, Set<() => void>>();

  get = (node: string): NodeLive | undefined => this.values.get(node);

  subscribe = (node: string, listener: () => void): (() => void) => {
    const set = this.listeners.get(node) ?? new Set();
    set.add(listener);
    this.listeners.set(node, set);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(node);
    };
  };

  /** Replaces every value; returns the ids whose listeners were called. */
  replace(next: ReadonlyMap<string, NodeLive>): string[] {
    const previous = this.values;
    const changed = [...new Set([...previous.keys(), ...next.keys()])].filter((id) => !sameLive(previous.get(id), next.get(id)));
    const isChanged = new Set(changed);
    // Unchanged nodes keep their old object, so a snapshot read by React stays identical.
    this.values = new Map([...next].map(([id, v]) => [id, isChanged.has(id) ? v : previous.get(id)!]));
    for (const id of changed) for (const listener of this.listeners.get(id) ?? []) listener();
    return changed;
  }
}

// ---- the debug list --------------------------------------------------------------------------------

export interface DebugEntry {
  readonly seq: number;
  readonly kind: "debug" | "error" | "deploy" | "note";
  /** The debug (or failing) node; "" for flow-wide entries. */
  readonly node: string;
  readonly label: string;
  /** When the runtime emitted it (epoch ms). */
  readonly at: number;
  readonly summary: string;
  /** The message as the debug node saw it (payload, key, topic, ts, meta); undefined for other kinds. */
  readonly msg?: unknown;
  /** Sent from the server's history on connecting: it happened before the editor was opened. */
  readonly replayed?: boolean;
  /** Deploy entries: the version, and its phases so far in the order they happened. */
  readonly version?: string;
  readonly phases?: readonly string[];
}

const text = (value: unknown) => (typeof value === "string" ? value : value === undefined ? "" : JSON.stringify(value));

/** A live event as a debug list entry; undefined for events the list does not show (status, hello). */
export function entryOf(event: Record<string, unknown>, seq: number): DebugEntry | undefined {
  const node = typeof event["node"] === "string" ? event["node"] : "";
  const at = typeof event["at"] === "number" ? event["at"] : Date.now();
  switch (event["type"]) {
    case "debug": {
      const msg = event["msg"];
      const envelope = msg !== null && typeof msg === "object" ? (msg as { payload?: unknown; key?: unknown }) : undefined;
      const payload = envelope ? envelope.payload : msg;
      // The device comes first: "pump-2 {...}" says which machine an alarm is about without opening it.
      const key = typeof envelope?.key === "string" && envelope.key !== "" ? `${envelope.key} ` : "";
      return { seq, kind: "debug", node, label: text(event["label"]) || node, at, summary: `${key}${text(payload)}`.slice(0, 300), msg, ...(event["replayed"] === true ? { replayed: true } : {}) };
    }
    case "error":
      return { seq, kind: "error", node, label: node, at, summary: `${text(event["code"])}: ${text(event["message"])}` };
    case "deploy": {
      const version = text(event["version"]);
      const phase = `${text(event["phase"])}${event["detail"] ? ` (${text(event["detail"])})` : ""}`;
      return { seq, kind: "deploy", node: "", label: "deploy", at, summary: `v${version}: ${phase}`, version, phases: [phase] };
    }
    case "debug-dropped":
    case "dropped":
      return { seq, kind: "note", node: "", label: "", at, summary: `${text(event["count"])} messages not shown (${event["type"] === "dropped" ? "slow connection" : "rate limit"})` };
    default:
      return undefined;
  }
}

const FINAL_PHASES = new Set(["running", "failed"]);

/**
 * Newest first, at most `max`: older entries fall off the end. `fresh` is in arrival order. A deploy
 * phase joins the newest deploy entry of the same version while that deploy is unfinished, so one
 * deploy reads as one line in order ("v2: validating → starting → running"), never upside down.
 */
export function prepend(list: readonly DebugEntry[], fresh: readonly DebugEntry[], max: number): DebugEntry[] {
  const result = [...list];
  for (let entry of fresh) {
    if (entry.kind === "deploy") {
      const at = result.findIndex((e) => e.kind === "deploy");
      const previous = result[at];
      const last = previous?.phases?.at(-1)?.split(" ")[0];
      if (previous?.phases && previous.version === entry.version && last !== undefined && !FINAL_PHASES.has(last)) {
        const phases = [...previous.phases, ...(entry.phases ?? [])];
        result.splice(at, 1);
        entry = { ...entry, phases, summary: `v${entry.version ?? ""}: ${phases.join(" → ")}` };
      }
    }
    result.unshift(entry);
  }
  return result.slice(0, max);
}

/** A node of the open graph, as the debug list needs it. */
export interface GraphNodeName {
  readonly id: string;
  readonly type: string;
  readonly name?: string | undefined;
}

/** What the list shows for a node: its name on the canvas, or its id when it has none (or is gone). */
export function nodeLabel(id: string, names: ReadonlyMap<string, string>): string {
  return names.get(id) || id;
}

/**
 * The filter's choices: every debug node of the open graph (whether it has sent anything yet or not)
 * and any other node an entry names (an error's node), sorted by what is shown.
 */
export function filterChoices(graph: readonly GraphNodeName[], entries: readonly DebugEntry[]): Array<{ id: string; label: string }> {
  const names = new Map(graph.map((n) => [n.id, n.name ?? ""]));
  const ids = new Set([...graph.filter((n) => n.type === "debug").map((n) => n.id), ...entries.map((e) => e.node).filter(Boolean)]);
  return [...ids].map((id) => ({ id, label: nodeLabel(id, names) })).sort((a, b) => a.label.localeCompare(b.label) || a.id.localeCompare(b.id));
}

/** The live status badge of a node, from its last status event and its live numbers. */
export interface Badge {
  readonly state: string;
  readonly text?: string | undefined;
}

/**
 * A node's badge. A node the runtime reports "idle" (its state until it says otherwise, which
 * processing nodes never do) but that passes messages now is shown running; the other states
 * (error, waiting, reconnecting, disconnected) are what the node said and are shown as they are.
 */
export function badgeOf(status: Badge | undefined, live: NodeLive | undefined): Badge | undefined {
  const rate = Math.max(live?.inRate ?? 0, live?.outRate ?? 0);
  const passing = rate > 0;
  if ((status === undefined || status.state === "idle") && passing) return { state: "running", text: `passing ${formatRate(rate)}` };
  return status;
}

/** Entries of one node (or all, for ""); flow-wide entries (deploys, notes) always show. */
export function filterEntries(list: readonly DebugEntry[], node: string): readonly DebugEntry[] {
  return node === "" ? list : list.filter((e) => e.node === node || e.node === "");
}
