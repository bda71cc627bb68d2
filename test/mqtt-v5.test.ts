import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import mqtt, { type MqttClient } from "mqtt";
import { configOf } from "../runtime/sdk/index.ts";
import mqttOut from "../nodes/sinks/mqtt-out/index.ts";
import { startMosquitto, type Mosquitto } from "./support/mosquitto.ts";
import { flow, flowEngine, until } from "./support/mqtt-flow.ts";
import mqttIn from "../nodes/sources/mqtt-in/index.ts";

/** MQTT 5 features against a real Mosquitto (the embedded aedes speaks only 3.1.1). */
describe("MQTT 5 against Mosquitto: user properties and shared subscriptions", () => {
  let broker: Mosquitto;
  let client: MqttClient;
  const dirs: string[] = [];
  before(async () => {
    broker = await startMosquitto();
    client = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
  });
  /** Flows still running when a test failed before closing its own: closed here so the file ends. */
  const running = new Set<{ close(): Promise<void> }>();
  async function engine(...args: Parameters<typeof flowEngine>) {
    const t = await flowEngine(...args);
    running.add(t);
    return { ...t, close: () => (running.delete(t), t.close()) };
  }
  after(async () => {
    for (const t of running) await t.close();
    await client.endAsync();
    await broker.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const v5 = () => ({ type: "mqtt-broker", config: { url: broker.url, protocol: "5" } });
  const dataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), "mqtt-v5-"));
    dirs.push(dir);
    return dir;
  };

  it("mqtt-in puts received user properties into meta.mqtt.userProperties, and bad payloads still go to the error port", async () => {
    const t = await engine([mqttIn]);
    // The subscription is made on the node's own link, after "running".
    const subscribed = broker.subscriptions.next("v5/props/+");
    await t.engine.deploy(flow("props-in", { b: v5() }, [
      { id: "in", type: "mqtt-in", config: { connection: "b", topic: "v5/props/{id}", key: "{id}", qos: 1 } },
      { id: "got", type: "test-sink" },
      { id: "errors", type: "test-sink" },
    ], [["in", "got"], ["in", "errors", "error"]]));
    await until(() => t.statuses.some((s) => s.node === "in" && s.status.state === "running"), "connected");
    await subscribed;
    await client.publishAsync("v5/props/p1", JSON.stringify({ v: 1 }), { qos: 1, properties: { userProperties: { line: "3", shift: ["early", "late"] } } });
    await client.publishAsync("v5/props/p2", "not json", { qos: 1, properties: { userProperties: { line: "4" } } });
    await client.publishAsync("v5/props/p3", JSON.stringify({ v: 3 }), { qos: 1 });
    await until(() => t.received("got").length === 2 && t.received("errors").length === 1, "two readings and one error");
    const [first, plain] = t.received("got");
    assert.deepEqual(first?.meta?.["mqtt"], { userProperties: { line: "3", shift: ["early", "late"] } });
    assert.deepEqual(first?.meta?.["fields"], { id: "p1" });
    assert.equal(plain?.key, "p3");
    assert.equal(plain?.meta?.["mqtt"], undefined, "no user properties, no meta.mqtt");
    assert.equal((t.received("errors")[0]?.payload as { code: string }).code, "MQTT_PAYLOAD_INVALID");
    await t.close();
  });

  for (const qos of [0, 1] as const) {
    it(`mqtt-out sends the user properties of its config at QoS ${qos}`, async () => {
      const seen: Array<{ body: string; userProperties: unknown }> = [];
      const listener = (topic: string, body: Buffer, packet: mqtt.IPublishPacket) => {
        if (topic === `v5/out/${qos}`) seen.push({ body: body.toString(), userProperties: { ...packet.properties?.userProperties } });
      };
      client.on("message", listener);
      await client.subscribeAsync(`v5/out/${qos}`, { qos: 1 });
      const t = await engine([mqttOut], { dataDir: dataDir() });
      await t.engine.deploy(flow(`props-out-${qos}`, { b: v5() }, [
        { id: "src", type: "test-source" },
        { id: "out", type: "mqtt-out", config: { connection: "b", topic: `v5/out/${qos}`, qos, userProperties: { origin: "gateway-7", schema: "reading/v1" } } },
      ], [["src", "out"]]));
      await until(() => t.statuses.some((s) => s.node === "out" && s.status.state === "running"), "connected");
      for (let i = 0; i < 3; i++) t.probe.sources.get("src")!({ topic: "x", ts: 0, payload: { i } });
      await until(() => seen.length === 3, "three messages");
      assert.deepEqual(seen.map((s) => s.body), [0, 1, 2].map((i) => JSON.stringify({ i })));
      for (const s of seen) assert.deepEqual(s.userProperties, { origin: "gateway-7", schema: "reading/v1" });
      client.off("message", listener);
      await t.close();
    });
  }

  it("mqtt-out refuses user properties that are not strings", () => {
    assert.throws(() => configOf(mqttOut, { connection: "b", userProperties: { count: 3 } }), { code: "NODE_CONFIG_INVALID" });
    assert.throws(() => configOf(mqttOut, { connection: "b", userProperties: { shift: ["early"] } }), { code: "NODE_CONFIG_INVALID", details: { path: "config.userProperties.shift", nodeType: "mqtt-out" } });
  });

  it("splits a shared subscription $share/group/topic between two mqtt-in nodes, none lost or duplicated", async () => {
    const t = await engine([mqttIn]);
    const subscribed = Promise.all([broker.subscriptions.next("$share/workers/v5/jobs/+", 2), broker.subscriptions.next("v5/jobs/+")]);
    // Each member of the group needs its own client, so each node has its own connection.
    await t.engine.deploy(flow("shared", { b1: v5(), b2: v5(), b3: v5() }, [
      { id: "worker-1", type: "mqtt-in", config: { connection: "b1", topic: "$share/workers/v5/jobs/{id}", key: "{id}", qos: 1 } },
      { id: "worker-2", type: "mqtt-in", config: { connection: "b2", topic: "$share/workers/v5/jobs/{id}", key: "{id}", qos: 1 } },
      { id: "audit", type: "mqtt-in", config: { connection: "b3", topic: "v5/jobs/{id}", key: "{id}", qos: 1 } },
      { id: "got-1", type: "test-sink" },
      { id: "got-2", type: "test-sink" },
      { id: "got-all", type: "test-sink" },
    ], [["worker-1", "got-1"], ["worker-2", "got-2"], ["audit", "got-all"]]));
    await until(() => ["worker-1", "worker-2", "audit"].every((n) => t.statuses.some((s) => s.node === n && s.status.state === "running")), "all three connected");
    await subscribed;
    const total = 200;
    for (let i = 0; i < total; i++) await client.publishAsync(`v5/jobs/j${i}`, JSON.stringify({ i }), { qos: 1 });
    const count = () => t.received("got-1").length + t.received("got-2").length;
    await until(() => count() >= total && t.received("got-all").length === total, "every job once");
    // A duplicate would arrive right behind the jobs. Sentinels published after them, until each
    // worker has one, come behind any such duplicate on that worker's link.
    const isSentinel = (m: { payload: unknown }) => (m.payload as { sentinel?: number }).sentinel !== undefined;
    const sentinels = (sink: string) => t.received(sink).filter(isSentinel).length;
    for (let k = 0; sentinels("got-1") === 0 || sentinels("got-2") === 0; k++) {
      assert.ok(k < 20, "20 sentinels and one worker got none");
      await client.publishAsync(`v5/jobs/sentinel-${k}`, JSON.stringify({ sentinel: k }), { qos: 1 });
      await until(() => sentinels("got-1") + sentinels("got-2") > k && sentinels("got-all") > k, `sentinel ${k}`);
    }
    const ids = (sink: string) => t.received(sink).filter((m) => !isSentinel(m)).map((m) => (m.payload as { i: number }).i);
    const split = [...ids("got-1"), ...ids("got-2")].sort((a, b) => a - b);
    assert.deepEqual(split, Array.from({ length: total }, (_, i) => i), "each job went to exactly one worker");
    assert.ok(ids("got-1").length > 0 && ids("got-2").length > 0, `both workers took a share (${ids("got-1").length} / ${ids("got-2").length})`);
    assert.equal(ids("got-all").length, total, "a plain subscriber still sees all of them");
    assert.equal(t.received("got-1")[0]?.key, `j${ids("got-1")[0]}`, "topic placeholders work behind $share");
    await t.close();
  });

  it("refuses a shared subscription without a group name", () => {
    for (const topic of ["$share//v5/jobs/+", "$share/workers", "$share/a+b/v5/jobs"]) {
      assert.throws(() => configOf(mqttIn, { connection: "b", topic }), (error: { code: string; details: { path: string } }) => error.code === "NODE_CONFIG_INVALID" && error.details.path === "config.topic", topic);
    }
    assert.ok(configOf(mqttIn, { connection: "b", topic: "$share/workers/v5/#" }));
  });
});
