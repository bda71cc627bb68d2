#!/usr/bin/env node
// Node-RED 4.1 side of the MQTT benchmark, embedded as in bench/chain/node-red.cjs: mqtt in -> json ->
// function (the map) -> mqtt out, one mqtt-broker config node. Same stdin protocol as aiotflow.ts.
//
//   node bench/mqtt/node-red.cjs --port 1883 --qos 0
"use strict";

const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const http = require("node:http");
const readline = require("node:readline");

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? Number(process.argv[i + 1]) : fallback;
}
const PORT = arg("port", 1883);
const QOS = String(arg("qos", 0));

const FLOW = [
  { id: "flow", type: "tab", label: "bench mqtt", disabled: false, info: "" },
  {
    id: "broker", type: "mqtt-broker", name: "bench", broker: "127.0.0.1", port: String(PORT), clientid: "", autoConnect: true,
    usetls: false, protocolVersion: "4", keepalive: "60", cleansession: true, autoUnsubscribe: true,
    birthTopic: "", birthQos: "0", birthPayload: "", closeTopic: "", closeQos: "0", closePayload: "", willTopic: "", willQos: "0", willPayload: "",
  },
  { id: "in", type: "mqtt in", z: "flow", name: "", topic: "bench/in/+", qos: QOS, datatype: "utf8", broker: "broker", nl: false, rap: true, rh: 0, inputs: 0, x: 0, y: 0, wires: [["json"]] },
  { id: "json", type: "json", z: "flow", name: "", property: "payload", action: "obj", pretty: false, x: 0, y: 0, wires: [["map"]] },
  {
    id: "map", type: "function", z: "flow", name: "map", outputs: 1, timeout: 0, noerr: 0, initialize: "", finalize: "", libs: [], x: 0, y: 0,
    func: "msg.payload.value2 = msg.payload.v * 2;\nmsg.topic = 'bench/out/' + msg.topic.split('/')[2];\nreturn msg;",
    wires: [["out"]],
  },
  { id: "out", type: "mqtt out", z: "flow", name: "", topic: "", qos: QOS, retain: "false", respTopic: "", contentType: "", userProps: "", correl: "", expiry: "", broker: "broker", x: 0, y: 0, wires: [] },
];

async function main() {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), "aiotflow-bench-nr-mqtt-"));
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
  await new Promise((r) => setTimeout(r, 300)); // SUBACK
  process.stdout.write(JSON.stringify({ ready: broker.connected, system: "node-red", version: require("node-red/package.json").version }) + "\n");
  for await (const line of readline.createInterface({ input: process.stdin })) {
    if (line === "cpu") {
      const cpu = process.cpuUsage();
      process.stdout.write(JSON.stringify({ cpu_ms: (cpu.user + cpu.system) / 1000 }) + "\n");
    } else if (line === "exit") break;
  }
  process.stdout.write(JSON.stringify({ peak_rss_mb: process.resourceUsage().maxRSS / 1024 }) + "\n");
  fs.rmSync(userDir, { recursive: true, force: true });
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`node-red mqtt bench failed: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
