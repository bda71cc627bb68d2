import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import mqtt from "mqtt";
import { diskOutboxes } from "../../../runtime/connections/outbox.ts";
import { systemClock } from "../../../runtime/sdk/clock.ts";
import { startAedes } from "../../../test/support/aedes.ts";
import { flow, flowEngine, until } from "../../../test/support/mqtt-flow.ts";
import { DedupeWindow, messageId } from "./dedupe.ts";
import mqttOut from "./index.ts";

describe("mqtt-out dedupe", () => {
  const dirs: string[] = [];
  const dir = () => {
    const made = mkdtempSync(join(tmpdir(), "mqtt-out-dedupe-"));
    dirs.push(made);
    return made;
  };
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const open = (dataDir: string, window: number) =>
    new DedupeWindow(diskOutboxes(dataDir).open<string>({ flowId: "f", nodeId: "out#dedupe", clock: systemClock }, { maxMessages: window + 1, maxAgeMs: 0 }), window);

  it("admits an id once within the window, and again once it fell out of it", () => {
    const window = open(dir(), 2);
    assert.deepEqual(["1", "2", "1", "3", "1", "3"].map((id) => window.admit(id)), [true, true, false, true, true, false]);
  });

  it("remembers the ids across a restart", () => {
    const dataDir = dir();
    const before = open(dataDir, 100);
    for (const id of ["a", "b", "c"]) before.admit(id);
    before.close();
    const after = open(dataDir, 2); // a smaller window keeps the newest
    assert.deepEqual(["c", "b", "a", "d"].map((id) => after.admit(id)), [false, false, true, true]);
  });

  it("reads the id from the payload or meta, as text; none for other values", () => {
    const msg = { topic: "t", ts: 0, payload: { seq: 7, name: "x", bad: { a: 1 } }, meta: { msgId: "m-1" } };
    const cases: Array<[{ from: "payload" | "meta"; field: string }, string | undefined]> = [
      [{ from: "payload", field: "seq" }, "7"], [{ from: "payload", field: "name" }, "x"], [{ from: "meta", field: "msgId" }, "m-1"],
      [{ from: "payload", field: "bad" }, undefined], [{ from: "payload", field: "missing" }, undefined], [{ from: "meta", field: "seq" }, undefined],
    ];
    for (const [where, expected] of cases) assert.equal(messageId(msg, { ...where, window: 10 }), expected, `${where.from}.${where.field}`);
  });

  it("publishes a message once when the same id comes again, and counts the duplicate", async () => {
    const broker = await startAedes();
    const subscriber = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    const got: string[] = [];
    subscriber.on("message", (_topic, body) => void got.push(body.toString()));
    await subscriber.subscribeAsync("dd/#", { qos: 1 });
    const t = await flowEngine([mqttOut], { dataDir: dir() });
    await t.engine.deploy(flow("dedupe", { broker: { type: "mqtt-broker", config: { url: broker.url } } },
      [{ id: "src", type: "test-source" }, { id: "out", type: "mqtt-out", config: { connection: "broker", topic: "dd/x", qos: 1, dedupe: { field: "seq", window: 100 } } }], [["src", "out"]]));
    const send = t.probe.sources.get("src")!;
    for (const seq of [1, 2, 1, 3, 2]) send({ topic: "in", ts: 0, payload: { seq } });
    send({ topic: "in", ts: 0, payload: { other: true } }); // no id: published
    await until(() => got.length === 4, "four publishes");
    assert.deepEqual(got, ['{"seq":1}', '{"seq":2}', '{"seq":3}', '{"other":true}']);
    assert.equal(t.engine.metrics().find((m) => m.node === "out")?.counters["duplicates_dropped"], 2);
    await t.close();
    await subscriber.endAsync();
    await broker.close();
  });
});
