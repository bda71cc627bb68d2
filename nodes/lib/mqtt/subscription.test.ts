import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import mqtt, { type MqttClient } from "mqtt";
import { configOf } from "../../../runtime/sdk/index.ts";
import { startAedes, type AedesBroker } from "../../../test/support/aedes.ts";
import { until } from "../../../test/support/mqtt-flow.ts";
import mqttIn from "../../sources/mqtt-in/index.ts";
import { subscribe } from "./subscription.ts";
import { filterMatcher, parseTopicTemplate } from "./topic-template.ts";

describe("mqtt subscriptions", () => {
  let broker: AedesBroker;
  let client: MqttClient;
  let publisher: MqttClient;
  before(async () => {
    broker = await startAedes();
    client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    publisher = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  });
  after(async () => {
    await client.endAsync();
    await publisher.endAsync();
    await broker.close();
  });

  it("stops reading the socket while a node is saturated, and goes on when it can take more", async () => {
    const got: string[] = [];
    let release: () => void = () => {};
    let saturated = false;
    /** Packets that reached the gate while the node was saturated: read off the socket, then held. */
    let held = 0;
    const subscribed = broker.subscriptions.next("bp/#");
    const undo = subscribe(client, "bp/#", 1, (_topic, body) => {
      got.push(body.toString());
      saturated = true; // the flow said "no more" on the first message
    }, () => (saturated ? (held++, new Promise<void>((resolve) => (release = () => { saturated = false; resolve(); }))) : undefined), (error) => assert.fail(error));
    await subscribed;
    for (const n of ["1", "2", "3"]) await publisher.publishAsync("bp/x", n, { qos: 1 });
    await until(() => got.length === 1, "the first message");
    // The second message has come in and waits at the gate: it is held, not handed on.
    await until(() => held === 1, "the second message held while saturated");
    assert.deepEqual(got, ["1"], "nothing more is read while saturated");
    release();
    await until(() => got.length === 2, "the second message");
    release();
    await until(() => got.length === 3, "the third message");
    assert.deepEqual(got, ["1", "2", "3"]);
    undo();
  });

  // Runs after the test above left its node saturated when it unsubscribed: a node that goes away
  // must not keep the shared socket paused for the others.
  it("lets two subscriptions share a client, each seeing only its own topics", async () => {
    const a: string[] = [];
    const b: string[] = [];
    const subscribed = Promise.all([broker.subscriptions.next("share/a/+"), broker.subscriptions.next("share/#")]);
    const undoA = subscribe(client, "share/a/+", 0, (topic) => void a.push(topic), () => undefined, (e) => assert.fail(e));
    const undoB = subscribe(client, "share/#", 0, (topic) => void b.push(topic), () => undefined, (e) => assert.fail(e));
    await subscribed;
    await publisher.publishAsync("share/a/1", "x", { qos: 1 });
    await publisher.publishAsync("share/b/1", "x", { qos: 1 });
    await until(() => b.length === 2, "both on the wide filter");
    assert.deepEqual(a, ["share/a/1"]);
    undoA();
    undoB();
  });

  it("reports a subscription the broker refuses as MQTT_SUBSCRIBE_REFUSED, naming the filter", async () => {
    const guarded = await startAedes({ beforeListen: async (b) => void (b.authorizeSubscribe = (_client, sub, done) => done(null, sub.topic.startsWith("denied/") ? null : sub)) });
    const own = await mqtt.connectAsync(guarded.url, { reconnectPeriod: 0 });
    try {
      const refusals: Error[] = [];
      const undo = subscribe(own, "denied/#", 1, () => assert.fail("nothing is delivered"), () => undefined, (error) => void refusals.push(error));
      await until(() => refusals.length === 1, "the refusal");
      undo();
      assert.throws(() => { throw refusals[0]; }, { code: "MQTT_SUBSCRIBE_REFUSED", details: { filter: "denied/#", reasonCode: 128 }, message: /^the broker refused the subscription to "denied\/#" \(Subscribe error: / });
    } finally {
      await own.endAsync();
      await guarded.close();
    }
  });

  it("matches topics as MQTT does", () => {
    const cases: Array<[string, string, boolean]> = [
      ["a/+/c", "a/b/c", true], ["a/+/c", "a/b/d", false], ["a/#", "a", true], ["a/#", "a/b/c", true], ["#", "$SYS/x", false],
      ["+/b", "$SYS/b", false], ["a/b", "a/b/c", false], ["$share/g/a/+", "a/b", true],
    ];
    for (const [filter, topic, expected] of cases) assert.equal(filterMatcher(filter)(topic), expected, `${filter} vs ${topic}`);
  });

  it("turns templates into filters and fields", () => {
    const t = parseTopicTemplate("plant/{site}/pump/{id}/{rest#}");
    assert.equal(t.filter, "plant/+/pump/+/#");
    assert.deepEqual(t.match("plant/n/pump/p1/a/b"), { site: "n", id: "p1", rest: "a/b" });
    assert.equal(t.match("plant/n/valve/p1/a"), undefined);
  });

  const bad: Array<[string, string]> = [
    ["plant/x{site}/pump", "mixes a placeholder with text"],
    ["a/#/b", "must be the last level"],
    ["a/{id}/{id}", "appears twice"],
    ["a/b+", "must fill a whole level"],
  ];
  for (const [topic, why] of bad) {
    it(`refuses the topic template "${topic}" (${why})`, () => {
      assert.throws(() => configOf(mqttIn, { connection: "b", topic }), (error: Error & { code?: string; details?: { path?: string } }) =>
        error.code === "NODE_CONFIG_INVALID" && error.details?.path === "config.topic" && error.message.includes(why) && error.message.includes("MQTT_TOPIC_TEMPLATE_INVALID"));
    });
  }

  it("refuses a key placeholder the topic does not have", () => {
    assert.throws(() => configOf(mqttIn, { connection: "b", topic: "s/{id}", key: "{device}" }), { code: "NODE_CONFIG_INVALID", details: { path: "config.key", nodeType: "mqtt-in" } });
  });
});
