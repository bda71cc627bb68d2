// aiotflow side of the soak: mqtt-in (QoS 1) -> map -> mqtt-out (QoS 1) on the broker at --url, with a
// data directory (disk store-and-forward buffer) and a persistent session, in this fresh process, run
// with --expose-gc. Prints `{"ready":true}` once deployed; then answers stdin lines: `sample` with the
// heap after a forced full GC, `exit` with its peak RSS and the node metrics, and exits.
//
//   node --expose-gc dist/bench/soak/aiotflow.js --url mqtt://127.0.0.1:1883
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import mqttIn from "../../nodes/sources/mqtt-in/index.ts";
import mqttOut from "../../nodes/sinks/mqtt-out/index.ts";
import map from "../../nodes/util/map.ts";
import { ConnectionSupervisor, withConnections } from "../../runtime/connections/index.ts";
import mqttBroker from "../../runtime/connections/types/mqtt-broker.ts";
import { Engine } from "../../runtime/core/engine.ts";
import type { AnyNodeDefinition } from "../../runtime/sdk/define.ts";
import { heapSample } from "./heap.ts";

const { values } = parseArgs({ options: { url: { type: "string" } } });

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "aiotflow-bench-soak-"));
  const catalog = new Map<string, AnyNodeDefinition>([mqttIn, map, mqttOut].map((d) => [d.type, d]));
  const connections = new ConnectionSupervisor({ types: new Map([["mqtt-broker", mqttBroker]]) });
  const engine = new Engine({ catalog, connections, services: withConnections(undefined, connections, dataDir), dataDir });
  const ready = new Promise<void>((resolve) => engine.on("status", (e) => e.node === "in" && e.status.state === "running" && resolve()));
  await engine.deploy({
    format: "aiotflow/flow@1",
    id: "bench-soak",
    name: "bench soak",
    connections: { broker: { type: "mqtt-broker", config: { url: values.url, protocol: "3.1.1", cleanSession: false } } },
    nodes: [
      { id: "in", type: "mqtt-in", config: { connection: "broker", topic: "soak/in/{id}", key: "{id}", qos: 1 }, position: { x: 0, y: 0 } },
      { id: "map", type: "map", config: { set: { value2: "payload.v * 2" } }, position: { x: 0, y: 0 } },
      { id: "out", type: "mqtt-out", config: { connection: "broker", topic: "soak/out/{key}", qos: 1 }, position: { x: 0, y: 0 } },
    ],
    edges: [
      { id: "e1", from: { node: "in", port: "out" }, to: { node: "map", port: "in" } },
      { id: "e2", from: { node: "map", port: "out" }, to: { node: "out", port: "in" } },
    ],
  });
  await ready;
  process.stdout.write(`${JSON.stringify({ ready: true, system: "aiotflow" })}\n`);
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === "sample") process.stdout.write(`${JSON.stringify(heapSample())}\n`);
    else if (line === "exit") break;
  }
  const metrics = engine.metrics().map((m) => ({ node: m.node, in: m.in, out: m.out, errors: m.errors, dropped: m.dropped, counters: m.counters }));
  await engine.stop();
  await connections.close();
  rmSync(dataDir, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify({ peak_rss_mb: process.resourceUsage().maxRSS / 1024, metrics })}\n`);
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`aiotflow soak failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
