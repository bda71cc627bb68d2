#!/usr/bin/env node
// Node-RED 4.1 side of the soak, embedded as in bench/mqtt/node-red.cjs: mqtt in (QoS 1) -> json ->
// function (the map) -> mqtt out (QoS 1), one mqtt-broker config node (Node-RED's defaults: clean
// session). Same stdin protocol as aiotflow.ts; run with --expose-gc.
//
//   node --expose-gc bench/soak/node-red.cjs --port 1883
"use strict";

const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const http = require("node:http");
const readline = require("node:readline");

const i = process.argv.indexOf("--port");
const PORT = i >= 0 ? Number(process.argv[i + 1]) : 1883;

const FLOW = [
  { id: "flow", type: "tab", label: "bench soak", disabled: false, info: "" },
  {
    id: "broker", type: "mqtt-broker", name: "bench", broker: "127.0.0.1", port: String(PORT), clientid: "", autoConnect: true,
    usetls: false, protocolVersion: "4", keepalive: "60", cleansession: true, autoUnsubscribe: true,
    birthTopic: "", birthQos: "0", birthPayload: "", closeTopic: "", closeQos: "0", closePayload: "", willTopic: "", willQos: "0", willPayload: "",
  },
  { id: "in", type: "mqtt in", z: "flow", name: "", topic: "soak/in/+", qos: "1", datatype: "utf8", broker: "broker", nl: false, rap: true, rh: 0, inputs: 0, x: 0, y: 0, wires: [["json"]] },
  { id: "json", type: "json", z: "flow", name: "", property: "payload", action: "obj", pretty: false, x: 0, y: 0, wires: [["map"]] },
  {
    id: "map", type: "function", z: "flow", name: "map", outputs: 1, timeout: 0, noerr: 0, initialize: "", finalize: "", libs: [], x: 0, y: 0,
    func: "msg.payload.value2 = msg.payload.v * 2;\nmsg.topic = 'soak/out/' + msg.topic.split('/')[2];\nreturn msg;",
    wires: [["out"]],
  },
  { id: "out", type: "mqtt out", z: "flow", name: "", topic: "", qos: "1", retain: "false", respTopic: "", contentType: "", userProps: "", correl: "", expiry: "", broker: "broker", x: 0, y: 0, wires: [] },
];

function heapSample() {
  if (typeof global.gc !== "function") throw new Error("run with --expose-gc");
  global.gc();
  const { heapUsed, rss } = process.memoryUsage();
  return { heap_mb: heapUsed / 2 ** 20, rss_mb: rss / 2 ** 20, at_ms: performance.now() };
}

async function main() {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), "aiotflow-bench-nr-soak-"));
  fs.writeFileSync(path.join(userDir, "flows.json"), JSON.stringify(FLOW));
  const RED = require("node-red");
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  RED.init(server, {
    userDir, httpAdminRoot: false, httpNodeRoot: false, disableEditor: true, flowFile: "flows.json", credentialSecret: false,
    logging: { console: { level: "off", metrics: false, audit: false } }, contextStorage: { default: { module: "memory" } }, editorTheme: { tours: false },
  });
  const started = new Promise((resolve) => RED.events.once("flows:started", resolve));
  await RED.start();
  await started;
  const broker = RED.nodes.getNode("broker");
  const deadline = Date.now() + 10000;
  while (!broker.connected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  process.stdout.write(JSON.stringify({ ready: broker.connected, system: "node-red", version: require("node-red/package.json").version }) + "\n");
  for await (const line of readline.createInterface({ input: process.stdin })) {
    if (line === "sample") process.stdout.write(JSON.stringify(heapSample()) + "\n");
    else if (line === "exit") break;
  }
  process.stdout.write(JSON.stringify({ peak_rss_mb: process.resourceUsage().maxRSS / 1024 }) + "\n");
  fs.rmSync(userDir, { recursive: true, force: true });
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`node-red soak failed: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
