import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import mqttIn from "../../nodes/sources/mqtt-in/index.ts";
import { FlowInvalidError } from "../../runtime/core/validate.ts";
import { startAedes, type AedesBroker } from "../support/aedes.ts";
import { flow, flowEngine, until } from "../support/mqtt-flow.ts";
import { backoffDelay, DEFAULT_BACKOFF } from "../../runtime/connections/link.ts";

describe("connection supervisor", () => {
  let broker: AedesBroker;
  let clients = 0;
  before(async () => {
    broker = await startAedes();
    broker.broker.on("client", () => void clients++);
  });
  after(() => broker.close());

  const inNode = (id: string, config: Record<string, unknown> = {}) => ({ id, type: "mqtt-in", config: { connection: "plant-broker", topic: `t/${id}`, ...config } });
  const plant = (config: Record<string, unknown> = {}) => ({ "plant-broker": { type: "mqtt-broker", config: { url: broker.url, ...config } } });

  async function problems(document: ReturnType<typeof flow>, secrets?: Record<string, string>) {
    const t = await flowEngine([mqttIn], secrets ? { secrets } : {});
    try {
      await t.engine.deploy(document);
      assert.fail("the deploy should have been refused");
    } catch (error) {
      assert.ok(error instanceof FlowInvalidError, String(error));
      return error.errors.map((e) => `${e.details.path} ${e.code}`);
    } finally {
      await t.close();
    }
  }

  const refused: Array<{ name: string; document: () => ReturnType<typeof flow>; expect: string[] }> = [
    { name: "a node naming a connection the flow lacks", document: () => flow("f", plant(), [inNode("a", { connection: "plant-brokr" })], []), expect: ["nodes[0].config.connection FLOW_UNKNOWN_CONNECTION"] },
    { name: "a connection of the wrong type", document: () => flow("f", { "plant-broker": { type: "opcua-endpoint", config: {} } }, [inNode("a")], []), expect: ["nodes[0].config.connection CONNECTION_TYPE_MISMATCH"] },
    { name: "an unknown connection type", document: () => flow("f", { spare: { type: "mqtt-brokr", config: {} } }, [], []), expect: ["connections.spare.type CONNECTION_TYPE_UNKNOWN"] },
    { name: "a bad broker URL", document: () => flow("f", plant({ url: "tcp://x" }), [inNode("a")], []), expect: ["connections.plant-broker.config.url CONNECTION_CONFIG_INVALID"] },
    { name: "a misspelt field", document: () => flow("f", plant({ keepalive: 5 }), [inNode("a")], []), expect: ["connections.plant-broker.config CONNECTION_CONFIG_INVALID"] },
    { name: "a password in clear text", document: () => flow("f", plant({ username: "u", password: "hunter2" }), [inNode("a")], []), expect: ["connections.plant-broker.config.password FLOW_SECRET_INLINE"] },
    { name: "a secret the store lacks", document: () => flow("f", plant({ username: "u", password: { $secret: "nope" } }), [inNode("a")], []), expect: ["connections.plant-broker.config SECRET_MISSING"] },
  ];
  for (const { name, document, expect } of refused) {
    it(`refuses ${name} at deploy, naming the place`, async () => assert.deepEqual(await problems(document()), expect));
  }

  it("shares one client between nodes, keeps it across a hot redeploy, replaces it when its config changes", async () => {
    const t = await flowEngine([mqttIn]);
    const before = clients;
    await t.engine.deploy(flow("share", plant(), [inNode("a"), inNode("b")], []));
    await until(() => t.connections.states().some((s) => s.state.state === "connected"), "connected");
    assert.deepEqual(t.connections.states().map((s) => [s.name, s.users]), [["share/plant-broker", 2]]);
    assert.equal(clients - before, 1, "one client for two nodes");

    const report = await t.engine.deploy(flow("share", plant(), [inNode("a"), inNode("b", { qos: 1 })], []));
    assert.deepEqual([report.kept, report.changed], [["a"], ["b"]]);
    assert.equal(clients - before, 1, "the link outlives the redeploy of a node using it");

    const changed = await t.engine.deploy(flow("share", plant({ keepaliveS: 20 }), [inNode("a"), inNode("b", { qos: 1 })], []));
    assert.deepEqual(changed.changed, ["a", "b"], "a changed connection rebuilds the nodes that use it");
    await until(() => t.connections.states().length === 1 && t.connections.states()[0]!.state.state === "connected", "the new link");
    assert.equal(clients - before, 2);

    await t.engine.stop();
    assert.deepEqual(t.connections.states(), [], "the last node to close closes the link");
    await t.close();
  });

  it("opens nothing until a node starts using the connection", async () => {
    const t = await flowEngine([mqttIn]);
    await t.engine.deploy(flow("lazy", { ...plant(), unused: { type: "mqtt-broker", config: { url: "mqtt://127.0.0.1:1" } } }, [inNode("a")], []));
    await until(() => t.connections.states().some((s) => s.state.state === "connected"), "connected");
    assert.deepEqual(t.connections.states().map((s) => s.name), ["lazy/plant-broker"]);
    await t.close();
  });

  it("stops reconnecting once shutdown begins: a link lost then stays closed instead of retrying", async () => {
    const own = await startAedes();
    const t = await flowEngine([mqttIn]);
    try {
      await t.engine.deploy(flow("halt", { "plant-broker": { type: "mqtt-broker", config: { url: own.url } } }, [inNode("a")], []));
      await until(() => t.connections.states().some((s) => s.state.state === "connected"), "connected");
      t.connections.stopReconnecting();
      await own.close(); // the broker goes away mid-shutdown, as an embedded one may
      await until(() => t.connections.states()[0]?.state.state === "closed", "the lost link to stay closed");
      assert.match(t.connections.states()[0]!.state.reason ?? "", /not reconnecting: shutting down/);
    } finally {
      await t.close();
      await own.close().catch(() => undefined);
    }
  });

  it("backs off exponentially with jitter, up to the cap", () => {
    const at = (failures: number, random: number) => backoffDelay(DEFAULT_BACKOFF, failures, random);
    assert.deepEqual([1, 2, 3, 4].map((n) => at(n, 0.5)), [500, 1000, 2000, 4000]);
    assert.equal(at(30, 0.5), 30_000);
    assert.deepEqual([at(1, 0), at(1, 0.999999)], [400, 600]);
  });
});
