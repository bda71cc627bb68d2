import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Aedes } from "aedes";
import mqtt, { type MqttClient } from "mqtt";
import { configOf } from "../../../runtime/sdk/index.ts";
import { startAedes, type AedesBroker } from "../../../test/support/aedes.ts";
import { flow, flowEngine, until } from "../../../test/support/mqtt-flow.ts";
import { within } from "../../../test/support/wait.ts";
import mqttOut from "./index.ts";

describe("mqtt-out", () => {
  let broker: AedesBroker;
  let subscriber: MqttClient;
  const got: Array<{ topic: string; body: string; retain: boolean }> = [];
  const dirs: string[] = [];
  before(async () => {
    broker = await startAedes();
    subscriber = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    subscriber.on("message", (topic, body, packet) => void got.push({ topic, body: body.toString(), retain: packet.retain }));
    await subscriber.subscribeAsync("out/#", { qos: 1 });
  });
  after(async () => {
    await subscriber.endAsync();
    await broker.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  for (const example of mqttOut.examples) {
    it(`accepts its example "${example.title}"`, () => assert.ok(configOf(mqttOut, example.config)));
  }

  /** test-source "src" -> mqtt-out "out" (its error port -> sink "errors"). */
  async function deployOut(id: string, config: Record<string, unknown>, url = broker.url) {
    const dataDir = mkdtempSync(join(tmpdir(), "mqtt-out-"));
    dirs.push(dataDir);
    const t = await flowEngine([mqttOut], { dataDir });
    await t.engine.deploy(flow(id, { broker: { type: "mqtt-broker", config: { url } } },
      [{ id: "src", type: "test-source" }, { id: "out", type: "mqtt-out", config: { connection: "broker", ...config } }, { id: "errors", type: "test-sink" }],
      [["src", "out"], ["out", "errors", "error"]]));
    await until(() => t.statuses.some((s) => s.node === "out" && s.status.state === "running"), "connected");
    return { ...t, send: (msg: { topic: string; key?: string; payload: unknown; meta?: Record<string, unknown> }) => t.probe.sources.get("src")!({ ts: 0, ...msg }), dataDir };
  }

  it("publishes to a topic filled from key, fields and payload, with retain", async () => {
    got.length = 0;
    const t = await deployOut("template", { topic: "out/{site}/{key}/{state}", retain: true });
    t.send({ topic: "in/p7", key: "p7", payload: { state: "alarm", v: 3 }, meta: { fields: { site: "north" } } });
    await until(() => got.length === 1, "one publish");
    assert.deepEqual(got[0], { topic: "out/north/p7/alarm", body: JSON.stringify({ state: "alarm", v: 3 }), retain: false });
    const late = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    const retained = new Promise<boolean>((resolve) => late.on("message", (_topic, _body, packet) => resolve(packet.retain)));
    await late.subscribeAsync("out/north/#");
    assert.equal(await retained, true, "a later subscriber gets it as the retained message");
    await late.endAsync();
    await t.close();
  });

  it("refuses messages it cannot write, to the error port, and keeps publishing", async () => {
    got.length = 0;
    const t = await deployOut("bad", { topic: "out/{key}", format: "number", field: "v" });
    t.send({ topic: "x", key: "a", payload: { v: "high" } });
    t.send({ topic: "x", payload: { v: 1 } });
    t.send({ topic: "x", key: "a", payload: { w: 1 } });
    t.send({ topic: "x", key: "a", payload: { v: 2.5 } });
    await until(() => got.length === 1 && t.received("errors").length === 3, "one publish and three errors");
    assert.deepEqual(got.map((g) => g.body), ["2.5"]);
    assert.deepEqual(t.received("errors").map((m) => (m.payload as { code: string }).code), ["MESSAGE_SHAPE_INVALID", "MESSAGE_SHAPE_INVALID", "MESSAGE_SHAPE_INVALID"]);
    await t.close();
  });

  it("loses nothing at QoS 1 when the broker dies mid-stream, and delivers in order after it is back", async () => {
    const seen: number[] = [];
    let midStream = () => {};
    const reachedMidStream = new Promise<void>((resolve) => (midStream = resolve));
    const record = (b: Aedes) => new Promise<void>((resolve) => b.subscribe("out/seq", (packet, cb) => {
      seen.push((JSON.parse(packet.payload.toString()) as { i: number }).i);
      if (seen.length === 50) midStream();
      cb();
    }, resolve));
    // The first broker takes 50 messages and leaves the rest unanswered (no PUBACK), then dies. aedes
    // acknowledges before it hands a message on: one that died mid-hand-over would lose acknowledged ones.
    let taken = 0;
    const own = await startAedes({
      beforeListen: async (b) => {
        await record(b);
        b.authorizePublish = (_client, packet, done) => void (packet.topic !== "out/seq" || taken++ < 50 ? done(null) : undefined);
      },
    });
    const t = await deployOut("outage", { topic: "out/seq", qos: 1 }, own.url);
    const port = own.port;
    for (let i = 0; i < 300; i++) t.send({ topic: "x", payload: { i } });
    await within(reachedMidStream, "the first 50 of 300 at the broker");
    await own.close(); // mid-stream: 250 of the 300 are unacknowledged
    await until(() => t.statuses.at(-1)?.status.state === "reconnecting", "reconnecting");
    for (let i = 300; i < 800; i++) t.send({ topic: "x", payload: { i } });
    // Both brokers have an in-process subscriber before they listen, so nothing can slip past it.
    const back = await startAedes({ port, beforeListen: record });
    await until(() => new Set(seen).size === 800, "all 800 messages", 10_000);
    await until(() => t.statuses.at(-1)?.status.state === "running", "connected");
    const firstSeen = seen.filter((i, at) => seen.indexOf(i) === at);
    assert.deepEqual(firstSeen, Array.from({ length: 800 }, (_, i) => i), "in order; an unacknowledged one may come twice (QoS 1)");
    assert.ok(t.statuses.some((s) => s.node === "out" && s.status.state === "reconnecting"));
    await t.close();
    await back.close();
  });

  it("drops the oldest when the buffer is full, and counts them", async () => {
    const own = await startAedes();
    const t = await deployOut("full", { topic: "out/full", qos: 1, buffer: { maxMessages: 100 } }, own.url);
    const port = own.port;
    await own.close();
    await until(() => t.statuses.at(-1)?.status.state === "reconnecting", "reconnecting");
    for (let i = 0; i < 150; i++) t.send({ topic: "x", payload: { i } });
    const seen: number[] = [];
    const back = await startAedes({ port, beforeListen: (b) => new Promise<void>((resolve) => b.subscribe("out/full", (packet, cb) => {
      seen.push((JSON.parse(packet.payload.toString()) as { i: number }).i);
      cb();
    }, resolve)) });
    await until(() => seen.length === 100, "the newest 100");
    assert.deepEqual(seen, Array.from({ length: 100 }, (_, k) => k + 50));
    assert.equal(t.engine.metrics().find((m) => m.node === "out")!.counters["buffer_dropped_overflow"], 50);
    await t.close();
    await back.close();
  });
});
