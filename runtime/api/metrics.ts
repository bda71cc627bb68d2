/**
 * `/metrics` in the Prometheus text exposition format (0.0.4): per flow and node message counters,
 * queue depth and latency histograms, the live-event stream's drops, and process memory and CPU.
 * It answers without a token by default, because Prometheus scrapes it as is; `publicMetrics: false`
 * asks for a viewer token (set Prometheus' `authorization` to an API token then).
 */
import { LATENCY_BUCKETS_MS, type NodeMetricsSnapshot } from "../core/metrics.ts";
import type { LocalRuntime } from "../local/local-runtime.ts";
import type { ApiDeps } from "./deps.ts";
import type { EventStats } from "./events/index.ts";
import { defineRoute, type Route } from "./route.ts";

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

type Labels = Readonly<Record<string, string>>;
type Sample = readonly [suffix: string, labels: Labels, value: number];

/** `\`, `"` and newlines escaped, as the exposition format requires inside label values. */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

function formatLabels(labels: Labels): string {
  const pairs = Object.entries(labels).map(([name, value]) => `${name}="${escapeLabel(value)}"`);
  return pairs.length > 0 ? `{${pairs.join(",")}}` : "";
}

/** Bucket bounds in seconds, cleaned of float noise (0.025 ms -> "0.000025"). */
const BUCKET_BOUNDS_S = LATENCY_BUCKETS_MS.map((ms) => Number((ms / 1000).toPrecision(6)));

class Exposition {
  private readonly lines: string[] = [];

  family(name: string, type: "counter" | "gauge" | "histogram", help: string, samples: readonly Sample[]): void {
    this.lines.push(`# HELP ${name} ${help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`, `# TYPE ${name} ${type}`);
    for (const [suffix, labels, value] of samples) this.lines.push(`${name}${suffix}${formatLabels(labels)} ${formatValue(value)}`);
  }

  text(): string {
    return `${this.lines.join("\n")}\n`;
  }
}

/** The engine's per-bucket counts made cumulative, bounds in seconds, then +Inf, _sum and _count. */
function latencySamples(labels: Labels, latency: NodeMetricsSnapshot["latencyMs"]): Sample[] {
  let cumulative = 0;
  const samples: Sample[] = BUCKET_BOUNDS_S.map((le, i) => ["_bucket", { ...labels, le: String(le) }, (cumulative += latency.buckets[i] ?? 0)]);
  samples.push(["_bucket", { ...labels, le: "+Inf" }, latency.count]);
  samples.push(["_sum", labels, latency.sum / 1000]);
  samples.push(["_count", labels, latency.count]);
  return samples;
}

/** The whole exposition: every running flow's nodes, the event stream and the process. */
export function prometheusText(runtime: LocalRuntime, events?: EventStats): string {
  const out = new Exposition();
  const states = runtime.flows();
  out.family("aiotflow_flow_up", "gauge", "1 while the flow runs on the local runtime.", states.map((f) => ["", { flow: f.flowId }, f.state === "running" ? 1 : 0]));
  out.family("aiotflow_flow_version", "gauge", "The flow version on the local runtime.", states.map((f) => ["", { flow: f.flowId }, f.version]));

  const nodes = runtime.metrics().flatMap(({ flowId, nodes }) => nodes.map((m) => ({ labels: { flow: flowId, node: m.node, type: m.type }, m })));
  const counter = (name: string, help: string, pick: (m: NodeMetricsSnapshot) => number) =>
    out.family(name, "counter", help, nodes.map(({ labels, m }) => ["", labels, pick(m)]));
  counter("aiotflow_node_messages_in_total", "Messages a node received.", (m) => m.in);
  counter("aiotflow_node_messages_out_total", "Messages a node emitted.", (m) => m.out);
  counter("aiotflow_node_errors_total", "Messages a node failed on, and bad input it reported on its error port.", (m) => m.errors);
  counter("aiotflow_node_dropped_total", "Messages dropped at a node (full queue, filtered as invalid).", (m) => m.dropped);
  out.family("aiotflow_node_queue_depth", "gauge", "Messages waiting for a node.", nodes.map(({ labels, m }) => ["", labels, m.queueDepth]));
  out.family(
    "aiotflow_node_latency_seconds",
    "histogram",
    "Time a node spends on one message.",
    nodes.flatMap(({ labels, m }) => latencySamples(labels, m.latencyMs)),
  );
  out.family(
    "aiotflow_node_counter_total",
    "counter",
    "Counters a node keeps itself (name in the counter label).",
    nodes.flatMap(({ labels, m }) => Object.entries(m.counters).map(([counter, value]): Sample => ["", { ...labels, counter }, value])),
  );

  if (events) {
    out.family("aiotflow_events_clients", "gauge", "Open live-event WebSocket connections.", [["", {}, events.clients]]);
    out.family("aiotflow_events_dropped_total", "counter", "Live events not sent: over a client's rate or buffer limit.", [
      ["", { reason: "rate" }, events.droppedRate],
      ["", { reason: "slow-client" }, events.droppedSlow],
    ]);
    out.family("aiotflow_events_slow_closed_total", "counter", "Clients closed (1013) for not reading.", [["", {}, events.closedSlow]]);
  }

  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  const gauge = (name: string, help: string, value: number) => out.family(name, "gauge", help, [["", {}, value]]);
  gauge("process_resident_memory_bytes", "Resident memory size in bytes.", memory.rss);
  gauge("nodejs_heap_size_used_bytes", "V8 heap in use, bytes.", memory.heapUsed);
  gauge("nodejs_heap_size_total_bytes", "V8 heap reserved, bytes.", memory.heapTotal);
  gauge("nodejs_external_memory_bytes", "Memory of C++ objects bound to JavaScript (buffers), bytes.", memory.external);
  out.family("process_cpu_seconds_total", "counter", "User and system CPU time, seconds.", [["", {}, (cpu.user + cpu.system) / 1e6]]);
  gauge("process_start_time_seconds", "Start time of the process, seconds since the Unix epoch.", Math.round(Date.now() / 1000 - process.uptime()));
  gauge("process_uptime_seconds", "Seconds since the process started.", process.uptime());
  return out.text();
}

export function metricsRoute({ runtime, publicMetrics }: ApiDeps, events: () => EventStats): Route {
  return defineRoute({
    method: "get",
    path: "/metrics",
    operationId: "metrics",
    tag: "meta",
    summary: "Prometheus metrics: per flow and node counters, queue depth, latency histograms, process memory",
    description: "Text exposition format 0.0.4. No token by default, as Prometheus scrapes it; a server can be set to ask for a viewer token.",
    access: publicMetrics === false ? "viewer" : "public",
    responses: { 200: { description: "The exposition.", contentType: PROMETHEUS_CONTENT_TYPE } },
    handler: () => ({ text: prometheusText(runtime, events()), contentType: PROMETHEUS_CONTENT_TYPE }),
  });
}
