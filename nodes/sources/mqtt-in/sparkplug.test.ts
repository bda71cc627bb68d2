import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import mqtt, { type MqttClient } from "mqtt";
import { startAedes, type AedesBroker } from "../../../test/support/aedes.ts";
import { flow, flowEngine, until } from "../../../test/support/mqtt-flow.ts";
import mqttIn from "./index.ts";
import { encodeSparkplug, parseSparkplugTopic, plainNumber, rebirthRequest, SequenceTracker, SparkplugState, type SparkplugTopic } from "./sparkplug.ts";

const topic = (text: string): SparkplugTopic => parseSparkplugTopic(text)!;
const NBIRTH = topic("spBv1.0/plant/NBIRTH/edge-1");
const NDATA = topic("spBv1.0/plant/NDATA/edge-1");
const NDEATH = topic("spBv1.0/plant/NDEATH/edge-1");
const DBIRTH = topic("spBv1.0/plant/DBIRTH/edge-1/pump-7");
const DDATA = topic("spBv1.0/plant/DDATA/edge-1/pump-7");
const DDEATH = topic("spBv1.0/plant/DDEATH/edge-1/pump-7");

const birth = encodeSparkplug({ timestamp: 1767225600000, seq: 0, metrics: [
  { name: "Speed", alias: 1, type: "Double", value: 1480.5 },
  { name: "Counter", alias: 2, type: "UInt64", value: 9_007_199_254 },
  { name: "Running", alias: 3, type: "Boolean", value: true },
] });
const byAlias = encodeSparkplug({ timestamp: 1767225601000, seq: 1, metrics: [{ alias: 1, type: "Double", value: 1490 }, { alias: 2, type: "UInt64", value: 9_007_199_255 }] });

describe("parseSparkplugTopic", () => {
  const parsed: Array<[string, SparkplugTopic | undefined]> = [
    ["spBv1.0/plant/NBIRTH/edge-1", { group: "plant", type: "NBIRTH", node: "edge-1" }],
    ["spBv1.0/plant/NDATA/edge-1", { group: "plant", type: "NDATA", node: "edge-1" }],
    ["spBv1.0/plant/DDATA/edge-1/pump-7", { group: "plant", type: "DDATA", node: "edge-1", device: "pump-7" }],
    ["spBv1.0/plant/DCMD/edge-1/pump-7", { group: "plant", type: "DCMD", node: "edge-1", device: "pump-7" }],
    ["spBv1.0/plant/NDATA/edge-1/pump-7", undefined],
    ["spBv1.0/plant/DDATA/edge-1", undefined],
    ["spBv1.0/plant/DDATA/edge-1/pump-7/extra", undefined],
    ["spBv1.0/plant/XDATA/edge-1", undefined],
    ["spBv1.0/plant/NDATAX/edge-1", undefined],
    ["spBv1.0/plant/NDATA", undefined],
    ["spBv1.0//NDATA/edge-1", undefined],
    ["spAv1.0/plant/NDATA/edge-1", undefined],
    ["plant/pump-7/temperature", undefined],
    ["", undefined],
  ];
  for (const [text, expected] of parsed) {
    it(`${expected ? "reads" : "refuses"} ${JSON.stringify(text)}`, () => assert.deepEqual(parseSparkplugTopic(text), expected));
  }
});

describe("plainNumber", () => {
  const cases: Array<[string, unknown, unknown]> = [
    ["a small Long", { low: 42, high: 0, unsigned: false }, 42],
    ["a Long above 2^32", { low: 1, high: 1, unsigned: true }, 4_294_967_297],
    ["an unsigned Long with the top bit set", { low: 0, high: -2_147_483_648, unsigned: true }, 2 ** 63],
    ["a negative signed Long", { low: -1, high: -1, unsigned: false }, -1],
    ["a plain number", 7.5, 7.5],
    ["a string", "7", "7"],
    ["null", null, null],
  ];
  for (const [name, value, expected] of cases) it(`turns ${name} into ${JSON.stringify(expected)}`, () => assert.equal(plainNumber(value), expected));
});

describe("SparkplugState", () => {
  it("reads a BIRTH's metrics by name, with its timestamp and seq as numbers", () => {
    const reading = new SparkplugState().decode(DBIRTH, birth);
    assert.deepEqual(reading, { values: { Speed: 1480.5, Counter: 9_007_199_254, Running: true }, timestamp: 1767225600000, seq: 0, unknownAliases: [], skipped: 0 });
  });

  it("names DATA metrics by the aliases their BIRTH defined", () => {
    const state = new SparkplugState();
    state.decode(DBIRTH, birth);
    assert.deepEqual(state.decode(DDATA, byAlias).values, { Speed: 1490, Counter: 9_007_199_255 });
  });

  it("reports aliases no BIRTH defined and still reads the metrics it knows", () => {
    const state = new SparkplugState();
    state.decode(NBIRTH, birth);
    const reading = state.decode(NDATA, encodeSparkplug({ seq: 1, metrics: [{ alias: 1, type: "Double", value: 5 }, { alias: 42, type: "Double", value: 6 }] }));
    assert.deepEqual([reading.values, reading.unknownAliases], [{ Speed: 5 }, [42]]);
  });

  it("keeps the aliases of each edge node and device apart", () => {
    const state = new SparkplugState();
    state.decode(NBIRTH, encodeSparkplug({ metrics: [{ name: "Uptime", alias: 1, type: "Double", value: 1 }] }));
    state.decode(DBIRTH, birth);
    assert.deepEqual(state.decode(NDATA, byAlias).values, { Uptime: 1490 });
    assert.deepEqual(state.decode(DDATA, byAlias).values, { Speed: 1490, Counter: 9_007_199_255 });
    assert.deepEqual(state.decode(topic("spBv1.0/plant/DDATA/edge-1/pump-8"), byAlias).unknownAliases, [1, 2]);
  });

  const forgetting: Array<[string, SparkplugTopic]> = [
    ["the device's death", DDEATH],
    ["its edge node's death", NDEATH],
    ["its edge node's rebirth", NBIRTH],
  ];
  for (const [name, event] of forgetting) {
    it(`forgets a device's aliases on ${name}, until the device is born again`, () => {
      const state = new SparkplugState();
      state.decode(DBIRTH, birth);
      if (event.type.endsWith("DEATH")) state.died(event);
      else state.decode(event, encodeSparkplug({ metrics: [] }));
      assert.deepEqual(state.decode(DDATA, byAlias).unknownAliases, [1, 2]);
      state.decode(DBIRTH, birth);
      assert.deepEqual(state.decode(DDATA, byAlias).unknownAliases, []);
    });
  }

  it("keeps the edge node's aliases when one of its devices dies", () => {
    const state = new SparkplugState();
    state.decode(NBIRTH, birth);
    state.decode(DBIRTH, birth);
    state.died(DDEATH);
    assert.deepEqual(state.decode(NDATA, byAlias).unknownAliases, []);
  });

  it("carries a null metric as null and counts metrics that do not fit a reading as skipped", () => {
    const reading = new SparkplugState().decode(NBIRTH, encodeSparkplug({ metrics: [
      { name: "Fault", type: "String", value: null, isNull: true },
      { name: "Blob", type: "Bytes", value: new Uint8Array([1, 2, 3]) },
      { name: "Mode", type: "String", value: "auto" },
    ] }));
    assert.deepEqual([reading.values, reading.skipped], [{ Fault: null, Mode: "auto" }, 1]);
  });

  it("reads a payload without timestamp, seq or metrics as empty", () => {
    assert.deepEqual(new SparkplugState().decode(NDATA, encodeSparkplug({})), { values: {}, timestamp: undefined, seq: undefined, unknownAliases: [], skipped: 0 });
  });

  const garbage: Array<[string, SparkplugTopic, Uint8Array, RegExp]> = [
    ["bytes that are no protobuf", NDATA, new Uint8Array([0xff, 0xff, 0xff, 0x01, 0x02]), /^NDATA from edge-1: /],
    ["a truncated payload", DDATA, birth.subarray(0, birth.length - 3), /^DDATA from edge-1\/pump-7: /],
  ];
  for (const [name, at, bytes, message] of garbage) {
    it(`refuses ${name} with SPARKPLUG_DECODE_FAILED naming the sender`, () => {
      assert.throws(() => new SparkplugState().decode(at, bytes), { code: "SPARKPLUG_DECODE_FAILED", message });
    });
  }
});

describe("SequenceTracker", () => {
  /** One message: type, seq, and for births/deaths bdSeq; `node` defaults to edge-1, `at` to 0 ms. */
  type Step = { type: SparkplugTopic["type"]; seq?: number; bdSeq?: number; node?: string; at?: number };
  const topicOf = ({ type, node = "edge-1" }: Step) => topic(`spBv1.0/plant/${type}/${node}${type.startsWith("D") ? "/pump-7" : ""}`);
  /** What the tracker made of each step, in words: "ok", "gap 2->3", "before birth", "+ rebirth", "stale", "died". */
  function run(steps: Step[]): string[] {
    const tracker = new SequenceTracker(5_000);
    return steps.map((step) => {
      if (step.type === "NDEATH") return tracker.nodeDied(topicOf(step), step.bdSeq) ? "died" : "stale";
      const verdict = tracker.seen(topicOf(step), step.seq, step.bdSeq, step.at ?? 0);
      const words = [verdict.gap ? `gap ${verdict.gap.expected}->${verdict.gap.received}` : "", verdict.beforeBirth ? "before birth" : ""].filter(Boolean).join(", ") || "ok";
      return verdict.rebirth ? `${words} + rebirth` : words;
    });
  }

  const cases: Array<[string, Step[], string[]]> = [
    ["follows one seq across NBIRTH, NDATA and the devices' DBIRTH, DDATA and DDEATH",
      [{ type: "NBIRTH", seq: 0, bdSeq: 1 }, { type: "NDATA", seq: 1 }, { type: "DBIRTH", seq: 2 }, { type: "DDATA", seq: 3 }, { type: "DDEATH", seq: 4 }, { type: "NDATA", seq: 5 }],
      ["ok", "ok", "ok", "ok", "ok", "ok"]],
    ["wraps from 255 to 0", [{ type: "NBIRTH", seq: 254 }, { type: "NDATA", seq: 255 }, { type: "NDATA", seq: 0 }], ["ok", "ok", "ok"]],
    ["reports a skipped seq, asks for a rebirth and follows on from the seq received",
      [{ type: "NBIRTH", seq: 0 }, { type: "NDATA", seq: 1 }, { type: "NDATA", seq: 3 }, { type: "NDATA", seq: 4 }], ["ok", "ok", "gap 2->3 + rebirth", "ok"]],
    ["reports a repeated seq", [{ type: "NBIRTH", seq: 0 }, { type: "NDATA", seq: 1 }, { type: "NDATA", seq: 1 }], ["ok", "ok", "gap 2->1 + rebirth"]],
    ["reports a gap across the wrap", [{ type: "NBIRTH", seq: 255 }, { type: "NDATA", seq: 1 }], ["ok", "gap 0->1 + rebirth"]],
    ["asks again only once the retry interval has passed",
      [{ type: "NBIRTH", seq: 0 }, { type: "NDATA", seq: 2, at: 0 }, { type: "NDATA", seq: 5, at: 4_999 }, { type: "NDATA", seq: 9, at: 5_000 }],
      ["ok", "gap 1->2 + rebirth", "gap 3->5", "gap 6->9 + rebirth"]],
    ["asks an edge node whose DATA comes before its BIRTH for one, and reads it once born",
      [{ type: "NDATA", seq: 7, at: 0 }, { type: "NDATA", seq: 8, at: 100 }, { type: "NDATA", seq: 9, at: 5_000 }, { type: "NBIRTH", seq: 0, at: 5_100 }, { type: "NDATA", seq: 1, at: 5_200 }],
      ["before birth + rebirth", "before birth", "before birth + rebirth", "ok", "ok"]],
    ["asks for a rebirth on DDATA of a device not born since the NBIRTH, and after its DDEATH",
      [{ type: "NBIRTH", seq: 0 }, { type: "DDATA", seq: 1 }, { type: "DBIRTH", seq: 2 }, { type: "DDATA", seq: 3 }, { type: "DDEATH", seq: 4 }, { type: "DDATA", seq: 5, at: 6_000 }],
      ["ok", "before birth + rebirth", "ok", "ok", "ok", "before birth + rebirth"]],
    ["starts again at the seq of a rebirth", [{ type: "NBIRTH", seq: 0 }, { type: "NDATA", seq: 1 }, { type: "NBIRTH", seq: 0 }, { type: "NDATA", seq: 1 }], ["ok", "ok", "ok", "ok"]],
    ["ends the session on the NDEATH with the NBIRTH's bdSeq: DATA after it comes before a birth",
      [{ type: "NBIRTH", seq: 0, bdSeq: 3 }, { type: "NDEATH", bdSeq: 3 }, { type: "NDATA", seq: 1 }], ["ok", "died", "before birth + rebirth"]],
    ["ignores the late NDEATH of an earlier session (another bdSeq)",
      [{ type: "NBIRTH", seq: 0, bdSeq: 4 }, { type: "NDEATH", bdSeq: 3 }, { type: "NDATA", seq: 1 }], ["ok", "stale", "ok"]],
    ["takes an NDEATH without bdSeq as the end of the session", [{ type: "NBIRTH", seq: 0, bdSeq: 4 }, { type: "NDEATH" }], ["ok", "died"]],
    ["does not check a message without seq", [{ type: "NBIRTH", seq: 0 }, { type: "NDATA" }, { type: "NDATA", seq: 1 }], ["ok", "ok", "ok"]],
    ["keeps each edge node's seq apart",
      [{ type: "NBIRTH", seq: 0 }, { type: "NBIRTH", seq: 10, node: "edge-2" }, { type: "NDATA", seq: 1 }, { type: "NDATA", seq: 11, node: "edge-2" }, { type: "NDATA", seq: 13, node: "edge-2" }],
      ["ok", "ok", "ok", "ok", "gap 12->13 + rebirth"]],
  ];
  for (const [name, steps, expected] of cases) it(name, () => assert.deepEqual(run(steps), expected));
});

describe("rebirthRequest", () => {
  it("is an NCMD to the edge node with Node Control/Rebirth = true", () => {
    const { topic: to, payload } = rebirthRequest("plant", "edge-1", 1767225600000);
    assert.equal(to, "spBv1.0/plant/NCMD/edge-1");
    assert.deepEqual(new SparkplugState().decode(topic(to), payload), { values: { "Node Control/Rebirth": true }, timestamp: 1767225600000, seq: undefined, unknownAliases: [], skipped: 0 });
  });
});

describe("mqtt-in as a Sparkplug host", () => {
  let broker: AedesBroker;
  let publisher: MqttClient;
  /** NCMDs the node published, by topic, decoded. */
  const commands: Array<{ topic: string; values: Record<string, unknown> }> = [];
  before(async () => {
    broker = await startAedes();
    publisher = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    publisher.on("message", (to, payload) => void commands.push({ topic: to, values: new SparkplugState().decode(topic(to), payload).values }));
    await publisher.subscribeAsync("spBv1.0/+/NCMD/+");
  });
  after(async () => {
    await publisher.endAsync();
    await broker.close();
  });

  /** mqtt-in on spBv1.0/<group>/# -> "got", its error port -> "errors", status -> "events". */
  async function deploy(group: string, config: Record<string, unknown> = {}) {
    const t = await flowEngine([mqttIn]);
    const subscribed = broker.subscriptions.next(`spBv1.0/${group}/#`);
    await t.engine.deploy(flow(group, { broker: { type: "mqtt-broker", config: { url: broker.url } } },
      [{ id: "in", type: "mqtt-in", config: { connection: "broker", topic: `spBv1.0/${group}/#`, format: "sparkplug", qos: 1, ...config } }, { id: "got", type: "test-sink" }, { id: "errors", type: "test-sink" }, { id: "events", type: "test-sink" }],
      [["in", "got"], ["in", "errors", "error"], ["in", "events", "status"]]));
    await subscribed;
    return { ...t, counters: () => t.engine.metrics().find((m) => m.node === "in")!.counters, errors: () => t.received("errors").map((m) => m.payload as Record<string, unknown>) };
  }
  const send = (to: string, payload: Parameters<typeof encodeSparkplug>[0] | Uint8Array) =>
    publisher.publishAsync(to, Buffer.from(payload instanceof Uint8Array ? payload : encodeSparkplug(payload)), { qos: 1 });
  const nbirth = (seq: number, bdSeq: number) => ({ timestamp: 1767225600000, seq, metrics: [{ name: "bdSeq", type: "UInt64" as const, value: bdSeq }, { name: "Speed", alias: 1, type: "Double" as const, value: 1480 }] });
  const ndata = (seq: number) => ({ timestamp: 1767225601000 + seq, seq, metrics: [{ alias: 1, type: "Double" as const, value: 1480 + seq }] });

  const gaps: Array<[string, boolean]> = [["sp-gap-asks", true], ["sp-gap-reports", false]];
  for (const [group, requestRebirth] of gaps) {
    it(`reports a seq gap naming the edge node, expected and received seq, and ${requestRebirth ? "asks for a rebirth with requestRebirth" : "only reports without requestRebirth"}`, async () => {
      const t = await deploy(group, { requestRebirth });
      await send(`spBv1.0/${group}/NBIRTH/edge-1`, nbirth(0, 1));
      await send(`spBv1.0/${group}/NDATA/edge-1`, ndata(1));
      await send(`spBv1.0/${group}/NDATA/edge-1`, ndata(3));
      await until(() => t.received("got").length === 3 && t.errors().length === 1, "three readings and the gap");
      const { message, hint, node, ...gap } = t.errors()[0]!;
      assert.deepEqual(gap, { code: "SPARKPLUG_SEQ_GAP", topic: `spBv1.0/${group}/NDATA/edge-1`, group, edgeNode: "edge-1", expected: 2, received: 3, rebirthRequested: requestRebirth });
      assert.deepEqual([node, typeof hint], ["in", "string"]);
      assert.equal(message, `edge node ${group}/edge-1: NDATA carried seq 3, 2 was expected${requestRebirth ? "; asked it for a rebirth" : ""}`);
      assert.deepEqual([t.counters()["sparkplug_seq_gap"], t.counters()["sparkplug_rebirth_requests"]], [1, requestRebirth ? 1 : undefined]);
      if (requestRebirth) await until(() => commands.some((c) => c.topic === `spBv1.0/${group}/NCMD/edge-1`), "the NCMD");
      const sent = commands.filter((c) => c.topic.startsWith(`spBv1.0/${group}/`));
      assert.deepEqual(sent, requestRebirth ? [{ topic: `spBv1.0/${group}/NCMD/edge-1`, values: { "Node Control/Rebirth": true } }] : []);
      await t.close();
    });
  }

  it("asks an edge node whose DATA comes before its BIRTH for a rebirth, and reads it by alias once born", async () => {
    const t = await deploy("sp-unborn", { requestRebirth: true });
    await send("spBv1.0/sp-unborn/NDATA/edge-2", { seq: 41, metrics: [{ name: "Speed", type: "Double", value: 1400 }] });
    await until(() => commands.some((c) => c.topic === "spBv1.0/sp-unborn/NCMD/edge-2"), "the rebirth request");
    await send("spBv1.0/sp-unborn/NBIRTH/edge-2", nbirth(0, 2));
    await send("spBv1.0/sp-unborn/NDATA/edge-2", ndata(1));
    await until(() => t.received("got").length === 3, "three readings");
    assert.deepEqual(t.received("got").map((m) => m.payload), [{ Speed: 1400 }, { bdSeq: 2, Speed: 1480 }, { Speed: 1481 }]);
    assert.deepEqual(t.errors(), []);
    assert.deepEqual([t.counters()["sparkplug_data_before_birth"], t.counters()["sparkplug_rebirth_requests"]], [1, 1]);
    await t.close();
  });

  it("ignores the late NDEATH of an earlier session and goes offline on the current one", async () => {
    const t = await deploy("sp-death");
    await send("spBv1.0/sp-death/NBIRTH/edge-3", nbirth(0, 5));
    await send("spBv1.0/sp-death/NDEATH/edge-3", { timestamp: 1, metrics: [{ name: "bdSeq", type: "UInt64", value: 4 }] });
    await send("spBv1.0/sp-death/NDEATH/edge-3", { timestamp: 2, metrics: [{ name: "bdSeq", type: "UInt64", value: 5 }] });
    await until(() => t.received("events").length === 2, "online, then offline");
    assert.deepEqual(t.received("events").map((m) => (m.payload as { state: string }).state), ["online", "offline"]);
    assert.equal(t.counters()["sparkplug_deaths_stale"], 1);
    await t.close();
  });

  it("reports a payload that does not decode, and the seq it cost, and reads the next message", async () => {
    const t = await deploy("sp-garbage");
    await send("spBv1.0/sp-garbage/NBIRTH/edge-4", nbirth(0, 1));
    await send("spBv1.0/sp-garbage/NDATA/edge-4", new Uint8Array([0xff, 0xff, 0xff, 0x01, 0x02]));
    await send("spBv1.0/sp-garbage/DDEATH/edge-4/pump-7", new Uint8Array([0xff, 0xff, 0xff, 0x01, 0x02]));
    await send("spBv1.0/sp-garbage/NDATA/edge-4", ndata(3));
    await until(() => t.received("got").length === 2 && t.errors().length === 3, "two readings and three errors");
    assert.deepEqual(t.errors().map((e) => e["code"]), ["SPARKPLUG_DECODE_FAILED", "SPARKPLUG_DECODE_FAILED", "SPARKPLUG_SEQ_GAP"]);
    assert.deepEqual([t.errors()[2]!["expected"], t.errors()[2]!["received"]], [1, 3]);
    assert.deepEqual(t.received("got").at(-1)!.payload, { Speed: 1483 });
    assert.deepEqual(t.received("events").map((m) => (m.payload as { state: string }).state), ["online", "offline"], "a DDEATH that does not decode still takes the device offline");
    await t.close();
  });
});
