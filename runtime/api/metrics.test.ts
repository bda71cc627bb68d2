import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { LATENCY_BUCKETS_MS, type NodeMetricsSnapshot } from "../core/metrics.ts";
import { escapeLabel } from "./metrics.ts";
import { sampleFlow, startApi, type TestApi } from "../../test/support/api.ts";

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/**
 * A strict reader of the text exposition format: HELP then TYPE once per family before its
 * samples, `name{label="value",...} number` samples with only \\ \" \n escapes, histograms with
 * cumulative buckets ending in +Inf = _count. Throws on the first line that breaks a rule.
 */
function parseExposition(text: string): Sample[] {
  assert.ok(text.endsWith("\n"), "ends with a newline");
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  let help: string | undefined;
  text.slice(0, -1).split("\n").forEach((line, i) => {
    const where = `line ${i + 1}: ${line}`;
    const comment = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (comment) {
      const [, kind, name, rest] = comment;
      if (kind === "HELP") help = name;
      else {
        assert.equal(help, name, `${where}: HELP comes right before TYPE`);
        assert.ok(!types.has(name!), `${where}: TYPE given twice`);
        assert.match(rest!, /^(counter|gauge|histogram|summary|untyped)$/, where);
        types.set(name!, rest!);
      }
      return;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(sample, `${where}: not a sample`);
    const [, name, labelText, valueText] = sample;
    const family = types.has(name!) ? name! : name!.replace(/_(bucket|sum|count)$/, "");
    assert.ok(types.has(family), `${where}: no TYPE for ${family}`);
    if (family !== name) assert.equal(types.get(family), "histogram", where);
    assert.match(valueText!, /^([+-]?\d+(\.\d+)?([eE][+-]?\d+)?|[+-]Inf|NaN)$/, `${where}: value`);
    samples.push({ name: name!, labels: parseLabels(labelText ?? "", where), value: Number(valueText!.replace("Inf", "Infinity")) });
  });
  checkHistograms(samples, types);
  return samples;
}

function parseLabels(text: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest.length > 0) {
    const match = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\\\|\\"|\\n)*)"(,|$)/.exec(rest);
    assert.ok(match, `${where}: bad label at ${rest}`);
    assert.ok(!(match[1]! in labels), `${where}: label ${match[1]} twice`);
    labels[match[1]!] = match[2]!.replace(/\\(\\|"|n)/g, (_m, c: string) => (c === "n" ? "\n" : c));
    rest = rest.slice(match[0].length);
  }
  return labels;
}

function checkHistograms(samples: Sample[], types: Map<string, string>): void {
  for (const [family, type] of types) {
    if (type !== "histogram") continue;
    const series = new Map<string, Sample[]>();
    for (const s of samples.filter((x) => x.name === `${family}_bucket`)) {
      const { le: _le, ...rest } = s.labels;
      const key = JSON.stringify(rest);
      series.set(key, [...(series.get(key) ?? []), s]);
    }
    for (const [key, buckets] of series) {
      const bounds = buckets.map((b) => Number(b.labels["le"]!.replace("+Inf", "Infinity")));
      assert.deepEqual(bounds, [...bounds].sort((a, b) => a - b), `${family}${key}: le ascending`);
      assert.equal(bounds.at(-1), Infinity, `${family}${key}: ends with +Inf`);
      buckets.forEach((b, i) => i > 0 && assert.ok(b.value >= buckets[i - 1]!.value, `${family}${key}: cumulative`));
      const count = samples.find((s) => s.name === `${family}_count` && JSON.stringify(s.labels) === key);
      assert.equal(count?.value, buckets.at(-1)!.value, `${family}${key}: +Inf = _count`);
    }
  }
}

function snapshot(node: string, type: string, latency: NodeMetricsSnapshot["latencyMs"], counters = {}): NodeMetricsSnapshot {
  return { node, type, in: 10, out: 8, errors: 1, dropped: 1, queueDepth: 3, latencyMs: latency, counters };
}

describe("/metrics", () => {
  let t: TestApi;
  let samples: Sample[];
  let text: string;
  const find = (name: string, labels: Record<string, string>) =>
    samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

  before(async () => {
    t = await startApi();
    await t.request("POST", "/api/flows", { as: "editor", body: { document: sampleFlow() } });
    await t.request("POST", "/api/flows/line-1/deploy", { as: "operator" });
    const buckets = LATENCY_BUCKETS_MS.map(() => 0).concat(0);
    buckets[3] = 2; // two messages at <= 0.01 ms
    buckets[9] = 5; // five at <= 1 ms
    buckets[LATENCY_BUCKETS_MS.length] = 1; // one over 10 s
    t.runtime.nodeMetrics.set("line-1", [
      snapshot("src", "test-source", { count: 8, p50: 1, p99: 10000, mean: 1500, sum: 12000, buckets }, { 'we"ird\\name\n': 4 }),
      snapshot("out", "test-sink", { count: 0, p50: 0, p99: 0, mean: 0, sum: 0, buckets: LATENCY_BUCKETS_MS.map(() => 0).concat(0) }),
    ]);
    const reply = await t.request("GET", "/metrics", { as: "nobody" });
    assert.equal(reply.status, 200);
    assert.equal(reply.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    text = reply.text;
    samples = parseExposition(text);
  });
  after(() => t.close());

  it("has per flow and node counters and queue depth", () => {
    const labels = { flow: "line-1", node: "src", type: "test-source" };
    assert.equal(find("aiotflow_node_messages_in_total", labels), 10);
    assert.equal(find("aiotflow_node_messages_out_total", labels), 8);
    assert.equal(find("aiotflow_node_errors_total", labels), 1);
    assert.equal(find("aiotflow_node_dropped_total", labels), 1);
    assert.equal(find("aiotflow_node_queue_depth", labels), 3);
    assert.equal(find("aiotflow_flow_up", { flow: "line-1" }), 1);
    assert.match(text, /# TYPE aiotflow_node_messages_in_total counter\n/);
  });

  it("turns per-bucket latency counts into a cumulative histogram in seconds", () => {
    const labels = { flow: "line-1", node: "src" };
    assert.equal(find("aiotflow_node_latency_seconds_bucket", { ...labels, le: "0.000001" }), 0);
    assert.equal(find("aiotflow_node_latency_seconds_bucket", { ...labels, le: "0.00001" }), 2);
    assert.equal(find("aiotflow_node_latency_seconds_bucket", { ...labels, le: "0.001" }), 7);
    assert.equal(find("aiotflow_node_latency_seconds_bucket", { ...labels, le: "10" }), 7);
    assert.equal(find("aiotflow_node_latency_seconds_bucket", { ...labels, le: "+Inf" }), 8);
    assert.equal(find("aiotflow_node_latency_seconds_sum", labels), 12);
    assert.equal(find("aiotflow_node_latency_seconds_count", labels), 8);
    assert.equal(samples.filter((s) => s.name === "aiotflow_node_latency_seconds_bucket" && s.labels["node"] === "src").length, LATENCY_BUCKETS_MS.length + 1);
  });

  it("escapes label values", () => {
    assert.equal(find("aiotflow_node_counter_total", { counter: 'we"ird\\name\n' }), 4);
    assert.match(text, /counter="we\\"ird\\\\name\\n"/);
    assert.equal(escapeLabel('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  });

  it("has process memory, CPU and uptime", () => {
    for (const name of ["process_resident_memory_bytes", "nodejs_heap_size_used_bytes", "process_cpu_seconds_total", "process_uptime_seconds", "process_start_time_seconds"]) {
      assert.ok((find(name, {}) ?? 0) > 0, name);
    }
    assert.equal(find("aiotflow_events_clients", {}), 0);
  });
});

describe("/metrics behind a token", () => {
  it("asks for a viewer token when publicMetrics is false", async () => {
    const t = await startApi({ publicMetrics: false });
    try {
      const refused = await t.request("GET", "/metrics", { as: "nobody" });
      assert.equal(refused.status, 401);
      assert.equal(refused.body.error.code, "AUTH_REQUIRED");
      assert.equal((await t.request("GET", "/metrics", { as: "viewer" })).status, 200);
    } finally {
      await t.close();
    }
  });
});
