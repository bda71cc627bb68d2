import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import mqtt from "mqtt";
import mqttIn from "../../nodes/sources/mqtt-in/index.ts";
import { makeCertificates, startMosquitto, type Mosquitto } from "../support/mosquitto.ts";
import { flow, flowEngine, until } from "../support/mqtt-flow.ts";
import { ConnectionSupervisor } from "../../runtime/connections/supervisor.ts";
import mqttBroker from "../../runtime/connections/types/mqtt-broker.ts";

/** A client certificate for `name`, signed by `ca` with openssl (as a gateway's would be). */
function clientCertificate(dir: string, ca: { ca: string; caKey: string }, name: string): { cert: string; key: string } {
  const at = (file: string) => join(dir, `${name}-${file}`);
  const run = (args: string[]) => execFileSync("/usr/bin/openssl", args, { stdio: "ignore" });
  run(["req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${name}`, "-keyout", at("key.pem"), "-out", at("csr.pem")]);
  writeFileSync(at("ext.cnf"), "extendedKeyUsage=clientAuth\n");
  run(["x509", "-req", "-in", at("csr.pem"), "-CA", ca.ca, "-CAkey", ca.caKey, "-CAcreateserial", "-days", "2", "-extfile", at("ext.cnf"), "-out", at("cert.pem")]);
  return { cert: readFileSync(at("cert.pem"), "utf8"), key: readFileSync(at("key.pem"), "utf8") };
}

describe("mqtt-broker with client certificates (Mosquitto, require_certificate true)", () => {
  const dir = mkdtempSync(join(tmpdir(), "mqtt-mtls-"));
  const plantCa = makeCertificates(dir, "plant");
  const otherCa = makeCertificates(dir, "other");
  const gateway = clientCertificate(dir, plantCa, "gateway-7");
  const rogue = clientCertificate(dir, otherCa, "rogue");
  const secrets: Record<string, string> = { "gw-cert": gateway.cert, "gw-key": gateway.key, "rogue-cert": rogue.cert, "rogue-key": rogue.key };
  const supervisor = new ConnectionSupervisor({ types: new Map([["mqtt-broker", mqttBroker]]), secrets: (name) => secrets[name], testTimeoutMs: 5_000 });
  let broker: Mosquitto;
  before(async () => {
    broker = await startMosquitto({ tls: { ...plantCa, requireClientCertificate: true } });
  });
  after(async () => {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const ca = () => ({ file: plantCa.ca });
  const cases: Array<{ name: string; tls: () => Record<string, unknown>; expect: string; says?: RegExp }> = [
    { name: "the gateway's certificate and key from the secret store", tls: () => ({ ca: ca(), cert: { $secret: "gw-cert" }, key: { $secret: "gw-key" } }), expect: "ok" },
    { name: "no client certificate", tls: () => ({ ca: ca() }), expect: "CONNECTION_TLS_FAILED", says: /requires a client certificate: set tls\.cert and tls\.key/ },
    { name: "a certificate from another CA", tls: () => ({ ca: ca(), cert: { $secret: "rogue-cert" }, key: { $secret: "rogue-key" } }), expect: "CONNECTION_TLS_FAILED", says: /not signed by a CA the broker trusts/ },
    { name: "a certificate without its key", tls: () => ({ ca: ca(), cert: { $secret: "gw-cert" } }), expect: "CONNECTION_TLS_FAILED", says: /requires a client certificate/ },
    { name: "the key of another certificate", tls: () => ({ ca: ca(), cert: { $secret: "gw-cert" }, key: { $secret: "rogue-key" } }), expect: "CONNECTION_TLS_FAILED", says: /tls\.key is not the private key of the client certificate/ },
    { name: "a key secret that is missing", tls: () => ({ ca: ca(), cert: { $secret: "gw-cert" }, key: { $secret: "no-such-key" } }), expect: "SECRET_MISSING" },
    { name: "a client certificate that is not PEM", tls: () => ({ ca: ca(), cert: { $secret: "gw-key" }, key: { $secret: "gw-key" } }), expect: "CONNECTION_TLS_FAILED" },
  ];
  for (const protocol of ["5", "3.1.1"]) {
    for (const { name, tls, expect, says } of cases) {
      it(`MQTT ${protocol}, ${name} -> ${expect}`, async () => {
        const result = await supervisor.test("mqtt-broker", { url: broker.url, protocol, tls: tls() });
        assert.equal(result.ok ? "ok" : result.code, expect, result.ok ? "" : result.message);
        if (says && !result.ok) assert.match(result.message, says);
      });
    }
  }

  it("a deployed flow reads through the mutual-TLS connection, and a connection without a certificate fails naming itself", async () => {
    const t = await flowEngine([mqttIn], { secrets });
    try {
      const connections = {
        "plant-mtls": { type: "mqtt-broker", config: { url: broker.url, protocol: "5", tls: { ca: ca(), cert: { $secret: "gw-cert" }, key: { $secret: "gw-key" } } } },
        "no-cert": { type: "mqtt-broker", config: { url: broker.url, protocol: "5", tls: { ca: ca() } } },
      };
      const subscribed = broker.subscriptions.next("mtls/+");
      await t.engine.deploy(flow("mtls", connections, [
        { id: "trusted", type: "mqtt-in", config: { connection: "plant-mtls", topic: "mtls/{id}", key: "{id}", qos: 1 } },
        { id: "untrusted", type: "mqtt-in", config: { connection: "no-cert", topic: "mtls/{id}", key: "{id}", qos: 1 } },
        { id: "got", type: "test-sink" },
      ], [["trusted", "got"], ["untrusted", "got"]]));
      await until(() => t.statuses.some((s) => s.node === "trusted" && s.status.state === "running"), "the trusted node connected");
      await until(() => t.statuses.some((s) => s.node === "untrusted" && s.status.state === "error"), "the node without a certificate failed");
      const failed = t.statuses.filter((s) => s.node === "untrusted" && s.status.state === "error").at(-1)!;
      assert.match(failed.status.text ?? "", /^no-cert: the broker requires a client certificate/);
      assert.equal(t.connections.states().find((s) => s.name.endsWith("no-cert"))?.state.code, "CONNECTION_TLS_FAILED");
      assert.ok(!t.statuses.some((s) => s.node === "trusted" && s.status.state === "error"));

      const publisher = await mqtt.connectAsync(broker.url, { ca: readFileSync(plantCa.ca), cert: gateway.cert, key: gateway.key, protocolVersion: 5, reconnectPeriod: 0 });
      await subscribed; // the trusted node's, made on its own link after "running"
      await publisher.publishAsync("mtls/p1", JSON.stringify({ v: 1 }), { qos: 1 });
      await until(() => t.received("got").length === 1, "the reading through mutual TLS");
      assert.deepEqual(t.received("got").map((m) => [m.key, m.payload]), [["p1", { v: 1 }]]);
      await publisher.endAsync();
    } finally {
      await t.close();
    }
  });
});
