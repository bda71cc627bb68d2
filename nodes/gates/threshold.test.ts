import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { configOf, type Message } from "../../runtime/sdk/index.ts";
import { harness } from "../../runtime/sdk/testing.ts";
import threshold from "./threshold.ts";

const meta = { source: "window-1" };
const message = (value: unknown, key = "pump-1", ts = 0): Message => ({ topic: `features/${key}`, key, ts, payload: { vibration_rms: value }, meta });

/** Sends `values` and returns where each message went: "A" alarm, "n" normal; plus the event states. */
function drive(config: Record<string, unknown>, values: number[]) {
  const h = harness(threshold, config);
  values.forEach((v, i) => h.send(message(v, "pump-1", i)));
  const routes = h.emitted.filter((e) => e.port !== "events").map((e) => (e.port === "alarm" ? "A" : "n")).join("");
  const events = h.payloads("events").map((p) => (p as { state: string }).state);
  return { h, routes, events };
}

describe("threshold", () => {
  for (const example of threshold.examples) {
    it(`accepts its example "${example.title}"`, () => assert.ok(configOf(threshold, example.config)));
  }

  const cases = [
    { name: "raises above `raise` and clears only below `clear` in high mode", config: { mode: "high", raise: 7, clear: 5 },
      values: [1, 7, 7.5, 6, 5, 4.9, 6, 8], routes: "nnAAAnnA", events: ["raised", "cleared", "raised"] },
    { name: "raises below `raise` and clears only above `clear` in low mode", config: { mode: "low", raise: 10, clear: 15 },
      values: [20, 10, 9, 14, 15, 16, 9], routes: "nnAAAnA", events: ["raised", "cleared", "raised"] },
    { name: "without hysteresis (clear equals raise) flips on every crossing", config: { raise: 5, clear: 5 },
      values: [4, 6, 5, 4, 6], routes: "nAAnA", events: ["raised", "cleared", "raised"] },
  ];
  for (const { name, config, values, routes, events } of cases) {
    it(name, () => {
      const result = drive({ field: "vibration_rms", ...config }, values);
      assert.equal(result.routes, routes);
      assert.deepEqual(result.events, events);
    });
  }

  it("describes each change in an event carrying the message's topic, key, time and meta", () => {
    const { h } = drive({ field: "vibration_rms", raise: 7.1, clear: 6.5 }, [2, 7.4]);
    assert.deepEqual(h.out("events"), [
      { topic: "features/pump-1", key: "pump-1", ts: 1, meta, payload: { state: "raised", field: "vibration_rms", value: 7.4, raise: 7.1, clear: 6.5 } },
    ]);
  });

  it("forwards messages unchanged", () => {
    const h = harness(threshold, { field: "vibration_rms", raise: 7, clear: 5 });
    const m = message(9);
    h.send(m);
    assert.equal(h.out("alarm")[0], m);
  });

  it("keeps one alarm per device", () => {
    const h = harness(threshold, { field: "vibration_rms", raise: 7, clear: 5 });
    h.send(message(9, "a"));
    h.send(message(6, "b"));
    h.send(message(6, "a"));
    assert.deepEqual(h.emitted.map((e) => [e.port, e.msg.key]), [["events", "a"], ["alarm", "a"], ["normal", "b"], ["alarm", "a"]]);
  });

  const badMessages: Array<{ name: string; payload: unknown; message: RegExp }> = [
    { name: "without the field", payload: { vibration: 9 }, message: /payload.vibration_rms is missing/ },
    { name: "with a text value", payload: { vibration_rms: "9" }, message: /not a finite number: "9"/ },
    { name: "with a NaN value", payload: { vibration_rms: Number.NaN }, message: /not a finite number: NaN/ },
    { name: "whose payload is a number", payload: 9, message: /payload.vibration_rms is missing/ },
  ];
  for (const { name, payload, message: expected } of badMessages) {
    it(`refuses a message ${name}`, () => {
      const h = harness(threshold, { field: "vibration_rms", raise: 7, clear: 5 });
      assert.throws(() => h.send({ topic: "t", ts: 0, payload }), { code: "MESSAGE_SHAPE_INVALID", details: { path: "payload.vibration_rms" }, message: expected });
    });
  }

  const badConfigs: Array<{ name: string; config: Record<string, unknown>; path: string; message?: RegExp }> = [
    { name: "clear above raise in high mode", config: { field: "x", raise: 5, clear: 7 }, path: "config.clear", message: /<= raise \(5\) in high mode/ },
    { name: "clear below raise in low mode", config: { field: "x", mode: "low", raise: 5, clear: 3 }, path: "config.clear", message: />= raise \(5\) in low mode/ },
    { name: "no raise limit", config: { field: "x", clear: 3 }, path: "config" },
    { name: "an unknown mode", config: { field: "x", mode: "above", raise: 1, clear: 0 }, path: "config.mode" },
  ];
  for (const { name, config, path, message: expected } of badConfigs) {
    it(`refuses a config with ${name} at ${path}`, () => {
      assert.throws(() => configOf(threshold, config), { code: "NODE_CONFIG_INVALID", details: { path, nodeType: "threshold" }, ...(expected ? { message: expected } : {}) });
    });
  }
});
