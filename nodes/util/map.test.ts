import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { configOf, type Message } from "../../runtime/sdk/index.ts";
import { harness } from "../../runtime/sdk/testing.ts";
import map from "./map.ts";

const reading: Message = {
  topic: "sensors/pump-1",
  key: "pump-1",
  ts: 1_000,
  payload: { vibration: 2.5, temperature: 90 },
  meta: { source: "sim", units: { vibration: "mm/s" } },
};

describe("map", () => {
  for (const example of map.examples) {
    it(`accepts its example "${example.title}"`, () => assert.ok(configOf(map, example.config)));
  }

  const cases: Array<{ name: string; config: Record<string, unknown>; payload: unknown }> = [
    { name: "adds computed fields to the payload", config: { set: { vibration_x10: "payload.vibration * 10" } },
      payload: { vibration: 2.5, temperature: 90, vibration_x10: 25 } },
    { name: "replaces a field of the same name", config: { set: { temperature: "round(payload.temperature * 9 / 5 + 32)" } },
      payload: { vibration: 2.5, temperature: 194 } },
    { name: "replaces the payload with just the set fields in replace mode", config: { set: { device: "key", hot: "payload.temperature > 80" }, mode: "replace" },
      payload: { device: "pump-1", hot: true } },
    { name: "reads the whole message: key, topic, ts and meta", config: { set: { at: "ts + 1", unit: "meta.units.vibration", t: "topic" }, mode: "replace" },
      payload: { at: 1_001, unit: "mm/s", t: "sensors/pump-1" } },
    { name: "evaluates conditionals", config: { set: { level: "if payload.vibration > 4.5 then \"high\" else \"ok\"" }, mode: "replace" },
      payload: { level: "ok" } },
  ];
  for (const { name, config, payload } of cases) {
    it(name, () => {
      const h = harness(map, config);
      h.send(reading);
      assert.deepEqual(h.out("out"), [{ ...reading, payload }]);
    });
  }

  it("drops messages for which `where` is false, and counts them", () => {
    const h = harness(map, { where: "payload.temperature > 80" });
    h.send(reading);
    h.send({ ...reading, payload: { vibration: 1, temperature: 20 } });
    assert.deepEqual(h.out("out"), [{ ...reading, payload: reading.payload }]);
    assert.equal(h.counters.get("filtered"), 1);
  });

  it("maps a payload that is not an object in replace mode", () => {
    const h = harness(map, { set: { value: "payload * 2" }, mode: "replace" });
    h.send({ topic: "t", ts: 0, payload: 21 });
    assert.deepEqual(h.payloads("out"), [{ value: 42 }]);
  });

  it("refuses a message whose payload is not an object in merge mode", () => {
    const h = harness(map, { set: { value: "1" } });
    assert.throws(() => h.send({ topic: "t", ts: 0, payload: 21 }), { code: "MESSAGE_SHAPE_INVALID", details: { path: "payload" } });
  });

  const failures = [
    { name: "a set expression", config: { set: { ratio: "payload.current / 2" } }, path: "config.set.ratio", expression: "payload.current / 2" },
    { name: "the where condition", config: { where: "payload.pressure > 2" }, path: "config.where", expression: "payload.pressure > 2" },
  ];
  for (const { name, config, path, expression } of failures) {
    it(`throws EXPRESSION_FAILED naming ${name} that reads a missing field`, () => {
      const h = harness(map, config);
      assert.throws(() => h.send(reading), (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.equal((error as { code?: string }).code, "EXPRESSION_FAILED");
        assert.deepEqual((error as { details?: unknown }).details, { path, expression });
        assert.match(error.message, new RegExp(`computing ${path.slice("config.".length)}: .*does not exist`));
        return true;
      });
    });
  }

  const badConfigs: Array<{ name: string; config: Record<string, unknown>; path: string }> = [
    { name: "an expression that does not parse", config: { set: { ok: "1 + 1", bad: "payload.vibration *" } }, path: "config.set.bad" },
    { name: "a where condition that does not parse", config: { where: "payload.x >" }, path: "config.where" },
    { name: "nothing to do", config: {}, path: "config.set" },
    { name: "an expression that is not text", config: { set: { x: 42 } }, path: "config.set.x" },
    { name: "an unknown mode", config: { set: { x: "1" }, mode: "append" }, path: "config.mode" },
    { name: "a call to a function that does not exist", config: { set: { x: "process.exit(1)" } }, path: "config.set.x" },
    { name: "a misspelt function", config: { set: { x: "sqr(payload.v)" } }, path: "config.set.x" },
    { name: "a field named __proto__", config: JSON.parse('{ "set": { "__proto__": "payload.v" } }') as object, path: "config.set.__proto__" },
  ];
  for (const { name, config, path } of badConfigs) {
    it(`refuses a config with ${name} at ${path}`, () => {
      assert.throws(() => configOf(map, config), { code: "NODE_CONFIG_INVALID", details: { path, nodeType: "map" } });
    });
  }

  it("refuses a result that is not a finite number (division by zero) with EXPRESSION_FAILED", () => {
    const h = harness(map, { set: { per_amp: "payload.power / payload.current" } });
    assert.throws(() => h.send({ topic: "t", ts: 0, payload: { power: 5, current: 0 } }), { code: "EXPRESSION_FAILED", message: /gives Infinity/ });
    assert.equal(h.emitted.length, 0);
  });

  it("documents the expression language", () => assert.match(map.docs ?? "", /filtrex/));
});
