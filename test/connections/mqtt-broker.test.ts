import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import mqtt from "mqtt";
import mqttIn from "../../nodes/sources/mqtt-in/index.ts";
import mqttOut from "../../nodes/sinks/mqtt-out/index.ts";
import { freePort, makeCertificates, startMosquitto, type Mosquitto } from "../support/mosquitto.ts";
import { flow, flowEngine, until } from "../support/mqtt-flow.ts";
import { ConnectionSupervisor } from "../../runtime/connections/supervisor.ts";
import mqttBroker from "../../runtime/connections/types/mqtt-broker.ts";

const secrets: Record<string, string> = { "gw-password": "s3cret-pass" };

describe("mqtt-broker against Mosquitto", () => {
  const dir = mkdtempSync(join(tmpdir(), "mqtt-broker-"));
  const good = makeCertificates(dir, "good");
  const other = makeCertificates(dir, "other");
  let plain: Mosquitto;
  let tls: Mosquitto;
  const supervisor = new ConnectionSupervisor({ types: new Map([["mqtt-broker", mqttBroker]]), secrets: (name) => secrets[name] ?? (name === "good-ca" ? readFileSync(good.ca, "utf8") : undefined), testTimeoutMs: 5_000 });
  before(async () => {
    plain = await startMosquitto({ users: { gw: "s3cret-pass" } });
    tls = await startMosquitto({ tls: good });
  });
  after(async () => {
    await plain.stop();
    await tls.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const login = { username: "gw", password: { $secret: "gw-password" } };
  const cases: Array<{ name: string; config: () => Record<string, unknown>; expect: string }> = [
    { name: "MQTT 5 with the right password", config: () => ({ url: plain.url, protocol: "5", ...login }), expect: "ok" },
    { name: "MQTT 3.1.1 with the right password", config: () => ({ url: plain.url, protocol: "3.1.1", ...login }), expect: "ok" },
    { name: "MQTT 5 with a wrong password", config: () => ({ url: plain.url, protocol: "5", username: "gw", password: { $secret: "nope" } }), expect: "SECRET_MISSING" },
    { name: "MQTT 5, refused credentials", config: () => ({ url: plain.url, protocol: "5", username: "intruder" }), expect: "CONNECTION_AUTH_FAILED" },
    { name: "MQTT 3.1.1, refused credentials", config: () => ({ url: plain.url, protocol: "3.1.1", username: "intruder" }), expect: "CONNECTION_AUTH_FAILED" },
    { name: "TLS with the right CA file", config: () => ({ url: tls.url, tls: { ca: { file: good.ca } } }), expect: "ok" },
    { name: "TLS with the CA from the secret store", config: () => ({ url: tls.url, protocol: "5", tls: { ca: { $secret: "good-ca" } } }), expect: "ok" },
    { name: "TLS with a CA that did not sign the server", config: () => ({ url: tls.url, tls: { ca: { file: other.ca } } }), expect: "CONNECTION_TLS_FAILED" },
    { name: "TLS with a CA file that does not exist", config: () => ({ url: tls.url, tls: { ca: { file: join(dir, "missing.pem") } } }), expect: "CONNECTION_FILE_UNREADABLE" },
    { name: "a bad URL scheme", config: () => ({ url: "http://127.0.0.1:1" }), expect: "CONNECTION_CONFIG_INVALID" },
    { name: "a password in clear text", config: () => ({ url: plain.url, username: "gw", password: "s3cret-pass" }), expect: "FLOW_SECRET_INLINE" },
  ];
  for (const { name, config, expect } of cases) {
    it(`test connection: ${name} -> ${expect}`, async () => {
      const result = await supervisor.test("mqtt-broker", config());
      assert.equal(result.ok ? "ok" : result.code, expect, result.ok ? "" : result.message);
    });
  }

  it("test connection: nothing listening -> CONNECTION_REFUSED", async () => {
    const result = await supervisor.test("mqtt-broker", { url: `mqtt://127.0.0.1:${await freePort()}` });
    assert.equal(result.ok ? "ok" : result.code, "CONNECTION_REFUSED");
  });

  it("relays mqtt-in -> mqtt-out over MQTT 5 with a login from the secret store", async () => {
    const t = await flowEngine([mqttIn, mqttOut], { secrets });
    const subscribed = plain.subscriptions.next("dev/+");
    await t.engine.deploy(flow("relay5", { plant: { type: "mqtt-broker", config: { url: plain.url, protocol: "5", ...login } } },
      [{ id: "in", type: "mqtt-in", config: { connection: "plant", topic: "dev/{id}", key: "{id}", qos: 1 } }, { id: "out", type: "mqtt-out", config: { connection: "plant", topic: "relayed/{key}", qos: 1 } }],
      [["in", "out"]]));
    assert.equal(t.connections.states().length, 1, "both nodes share one client");
    await until(() => t.statuses.filter((s) => s.status.state === "running").length >= 2, "both connected");
    const client = await mqtt.connectAsync(plain.url, { protocolVersion: 5, username: "gw", password: "s3cret-pass", reconnectPeriod: 0 });
    const got = new Promise<string>((resolve) => client.on("message", (topic, body) => resolve(`${topic} ${body.toString()}`)));
    await client.subscribeAsync("relayed/#", { qos: 1 });
    await subscribed; // mqtt-in's, made on its own link after "running"
    await client.publishAsync("dev/p1", JSON.stringify({ v: 7 }), { qos: 1 });
    assert.equal(await got, `relayed/p1 ${JSON.stringify({ v: 7 })}`);
    await client.endAsync();
    await t.close();
  });

  it("keeps delivering after Mosquitto is stopped and restarted (QoS 1, nothing lost)", async () => {
    const persistDir = mkdtempSync(join(dir, "persist-"));
    const own = await startMosquitto({ persistDir });
    // The subscriber's session (QoS 1, kept 5 min) outlives the restart, so it misses nothing in between.
    const session = { protocolVersion: 5 as const, clientId: "seq-reader", clean: false, properties: { sessionExpiryInterval: 300 }, reconnectPeriod: 0 };
    const first = await mqtt.connectAsync(own.url, session);
    await first.subscribeAsync("seq", { qos: 1 });
    await first.endAsync();
    const t = await flowEngine([mqttOut], { dataDir: mkdtempSync(join(dir, "data-")) });
    await t.engine.deploy(flow("restart", { b: { type: "mqtt-broker", config: { url: own.url, protocol: "5" } } },
      [{ id: "src", type: "test-source" }, { id: "out", type: "mqtt-out", config: { connection: "b", topic: "seq", qos: 1 } }], [["src", "out"]]));
    await until(() => t.statuses.some((s) => s.status.state === "running"), "connected");
    for (let i = 0; i < 100; i++) t.probe.sources.get("src")!({ topic: "x", ts: 0, payload: { i } });
    await own.stop();
    await until(() => t.statuses.at(-1)?.status.state === "reconnecting", "reconnecting");
    for (let i = 100; i < 300; i++) t.probe.sources.get("src")!({ topic: "x", ts: 0, payload: { i } });
    const back = await startMosquitto({ port: own.port, persistDir });
    await until(() => t.statuses.at(-1)?.status.state === "running", "connected again", 10_000);
    const seen: number[] = [];
    // Listen before the CONNACK: the broker sends the queued messages right behind it.
    const client = mqtt.connect(back.url, session);
    client.on("message", (_topic, body) => void seen.push((JSON.parse(body.toString()) as { i: number }).i));
    await until(() => new Set(seen).size === 300, "all 300 messages", 10_000);
    assert.deepEqual(seen.filter((i, at) => seen.indexOf(i) === at), Array.from({ length: 300 }, (_, i) => i));
    await client.endAsync();
    await t.close();
    await back.stop();
  });
});
