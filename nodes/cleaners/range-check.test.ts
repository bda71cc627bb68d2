import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { configOf, type Message } from "../../runtime/sdk/index.ts";
import { harness } from "../../runtime/sdk/testing.ts";
import rangeCheck from "./range-check.ts";

const meta = { source: "sim", units: { temperature: "degC" } };
const reading = (payload: unknown, key = "pump-1", ts = 0): Message => ({ topic: `sensors/${key}`, key, ts, payload, meta });
const temperature = (action: string) => ({ rules: [{ field: "temperature", min: -40, max: 150, action }] });

describe("range-check", () => {
  for (const example of rangeCheck.examples) {
    it(`accepts its example "${example.title}"`, () => assert.ok(configOf(rangeCheck, example.config)));
  }

  it("declares the input's fields on both outputs whatever the rules", () => {
    const fields = ["temperature", "vibration"];
    assert.deepEqual(rangeCheck.fieldsOut?.(configOf(rangeCheck, temperature("drop")), fields), { out: fields, rejected: fields });
  });

  it("forwards a reading that passes every rule as the same object", () => {
    const h = harness(rangeCheck, temperature("drop"));
    const ok = reading({ temperature: 55, vibration: 2 });
    h.send(ok);
    assert.equal(h.out("out")[0], ok);
  });

  const cases: Array<{ name: string; config: Record<string, unknown>; payload: Record<string, unknown>; port: "out" | "rejected"; expected: Record<string, unknown> }> = [
    { name: "drops readings above the sensor range", config: temperature("drop"), payload: { temperature: 412.5 }, port: "rejected",
      expected: { payload: { temperature: 412.5 }, meta: { ...meta, rejected: { field: "temperature", reason: "out_of_range", value: 412.5 } } } },
    { name: "drops readings below the sensor range", config: temperature("drop"), payload: { temperature: -41 }, port: "rejected",
      expected: { meta: { ...meta, rejected: { field: "temperature", reason: "out_of_range", value: -41 } } } },
    { name: "keeps values on the bounds", config: temperature("drop"), payload: { temperature: 150 }, port: "out", expected: { payload: { temperature: 150 }, meta } },
    { name: "clamps a high value to max", config: temperature("clamp"), payload: { temperature: 900, current: 12 }, port: "out",
      expected: { payload: { temperature: 150, current: 12 }, meta } },
    { name: "clamps a low value to min", config: temperature("clamp"), payload: { temperature: -273 }, port: "out", expected: { payload: { temperature: -40 } } },
    { name: "flags an out-of-range value in meta.quality", config: temperature("flag"), payload: { temperature: 900 }, port: "out",
      expected: { payload: { temperature: 900 }, meta: { ...meta, quality: { temperature: "out_of_range" } } } },
    { name: "rejects a reading without the field", config: temperature("flag"), payload: { current: 1 }, port: "rejected",
      expected: { meta: { ...meta, rejected: { field: "temperature", reason: "missing", value: null } } } },
    { name: "rejects a NaN value", config: temperature("clamp"), payload: { temperature: Number.NaN }, port: "rejected",
      expected: { meta: { ...meta, rejected: { field: "temperature", reason: "missing", value: Number.NaN } } } },
    { name: "rejects a text value", config: temperature("drop"), payload: { temperature: "55" }, port: "rejected",
      expected: { meta: { ...meta, rejected: { field: "temperature", reason: "missing", value: "55" } } } },
    { name: "passes a reading without the field when onMissing is pass", config: { ...temperature("drop"), onMissing: "pass" }, payload: { current: 1 }, port: "out",
      expected: { payload: { current: 1 }, meta } },
    { name: "flags a missing field when onMissing is pass and the rule flags", config: { ...temperature("flag"), onMissing: "pass" }, payload: { temperature: null }, port: "out",
      expected: { meta: { ...meta, quality: { temperature: "missing" } } } },
    { name: "reports the first rule a reading breaks", port: "rejected", payload: { temperature: 900, current: -1 },
      config: { rules: [{ field: "current", min: 0 }, { field: "temperature", max: 150 }] },
      expected: { meta: { ...meta, rejected: { field: "current", reason: "out_of_range", value: -1 } } } },
    { name: "clamps one field and flags another in the same reading", port: "out", payload: { temperature: 900, current: 99 },
      config: { rules: [{ field: "current", max: 63, action: "clamp" }, { field: "temperature", max: 150, action: "flag" }] },
      expected: { payload: { temperature: 900, current: 63 }, meta: { ...meta, quality: { temperature: "out_of_range" } } } },
  ];
  for (const { name, config, payload, port, expected } of cases) {
    it(name, () => {
      const h = harness(rangeCheck, config);
      h.send(reading(payload));
      assert.equal(h.emitted.length, 1);
      assert.equal(h.emitted[0]!.port, port);
      const msg = h.emitted[0]!.msg as unknown as Record<string, unknown>;
      for (const part of Object.keys(expected)) assert.deepEqual(msg[part], expected[part], part);
    });
  }

  it("merges its quality flags into flags already in meta", () => {
    const h = harness(rangeCheck, temperature("flag"));
    h.send({ ...reading({ temperature: 900 }), meta: { source: "sim", quality: { vibration: "stuck" } } });
    assert.deepEqual(h.out("out")[0]!.meta, { source: "sim", quality: { vibration: "stuck", temperature: "out_of_range" } });
  });

  it("counts rejections and clamps", () => {
    const h = harness(rangeCheck, { rules: [{ field: "t", max: 10, action: "clamp" }, { field: "c", max: 1 }] });
    for (const payload of [{ t: 20, c: 0 }, { t: 0, c: 5 }, { t: 0, c: 6 }, { t: 1, c: 0 }]) h.send(reading(payload));
    assert.equal(h.counters.get("rejected"), 2);
    assert.equal(h.counters.get("clamped"), 1);
  });

  const clampThenReject: Array<{ name: string; config: Record<string, unknown>; payloads: Array<Record<string, unknown>> }> = [
    { name: "out of range", config: { rules: [{ field: "t", max: 10, action: "clamp" }, { field: "c", max: 1 }] }, payloads: [{ t: 20, c: 5 }] },
    { name: "missing", config: { rules: [{ field: "t", max: 10, action: "clamp" }, { field: "c", max: 1 }] }, payloads: [{ t: 20 }] },
    { name: "stuck", config: { rules: [{ field: "t", max: 10, action: "clamp" }, { field: "c", max: 5 }], stuckAfter: 2 }, payloads: [{ t: 0, c: 3 }, { t: 20, c: 3 }] },
  ];
  for (const { name, config, payloads } of clampThenReject) {
    it(`does not count a clamp when a later rule rejects the reading as ${name}`, () => {
      const h = harness(rangeCheck, config);
      for (const payload of payloads) h.send(reading(payload));
      assert.equal(h.out("rejected").length, 1);
      assert.equal(h.counters.get("clamped") ?? 0, 0);
    });
  }

  it("counts a reading once however many of its values it clamps", () => {
    const h = harness(rangeCheck, { rules: [{ field: "t", max: 10, action: "clamp" }, { field: "c", max: 1, action: "clamp" }] });
    h.send(reading({ t: 20, c: 5 }));
    assert.deepEqual(h.out("out")[0]!.payload, { t: 10, c: 1 });
    assert.equal(h.counters.get("clamped"), 1);
  });

  describe("stuck sensors", () => {
    const actions = [
      { action: "drop", port: "rejected" },
      { action: "clamp", port: "rejected" },
      { action: "flag", port: "out" },
    ] as const;
    for (const { action, port } of actions) {
      it(`treats the stuckAfter-th identical value in a row as invalid (${action} sends it to ${port})`, () => {
        const h = harness(rangeCheck, { rules: [{ field: "vibration", min: 0, max: 50, action }], stuckAfter: 3 });
        for (const v of [2.1, 2.1, 2.1, 2.1, 2.2, 2.2]) h.send(reading({ vibration: v }));
        const verdicts = h.emitted.map((e) => (e.port === "rejected" ? (e.msg.meta?.["rejected"] as { reason: string }).reason : (e.msg.meta?.["quality"] as Record<string, string> | undefined)?.["vibration"] ?? "ok"));
        assert.deepEqual(verdicts, ["ok", "ok", "stuck", "stuck", "ok", "ok"]);
        assert.deepEqual(h.emitted.slice(2, 4).map((e) => e.port), [port, port]);
      });
    }

    it("leaves identical values alone when stuckAfter is 0", () => {
      const h = harness(rangeCheck, { rules: [{ field: "vibration", min: 0 }], stuckAfter: 0 });
      for (let i = 0; i < 50; i++) h.send(reading({ vibration: 2.1 }));
      assert.equal(h.out("out").length, 50);
    });

    it("refuses stuckAfter 1, which would call every reading stuck, saying why", () => {
      assert.throws(() => configOf(rangeCheck, { rules: [{ field: "vibration" }], stuckAfter: 1 }), {
        code: "NODE_CONFIG_INVALID",
        details: { path: "config.stuckAfter", nodeType: "range-check" },
        message: /0 \(off\) or at least 2.*every reading/,
      });
    });

    it("counts repeats per device", () => {
      const h = harness(rangeCheck, { rules: [{ field: "vibration", min: 0 }], stuckAfter: 2 });
      for (const key of ["a", "b", "a", "b"]) h.send(reading({ vibration: key === "a" ? 1 : 2 }, key));
      assert.equal(h.out("rejected").length, 2);
      h.send(reading({ vibration: 1 }, "c"));
      assert.equal(h.out("out").length, 3);
    });

    it("keeps counting repeats of a field while another rule rejects the reading", () => {
      const h = harness(rangeCheck, { rules: [{ field: "current", max: 63 }, { field: "vibration", min: 0 }], stuckAfter: 3 });
      h.send(reading({ current: 99, vibration: 4 }));
      h.send(reading({ current: 99, vibration: 4 }));
      h.send(reading({ current: 10, vibration: 4 }));
      assert.deepEqual(h.out("rejected").at(-1)!.meta?.["rejected"], { field: "vibration", reason: "stuck", value: 4 });
    });
  });

  describe("bad input", () => {
    // Each bad reading gets a coded verdict and leaves nothing behind: the next good reading passes.
    const good = { temperature: 55 };
    const badValues: Array<{ name: string; payload: Record<string, unknown>; value: unknown }> = [
      { name: "a missing field", payload: { current: 1 }, value: null },
      { name: "a null value", payload: { temperature: null }, value: null },
      { name: "NaN", payload: { temperature: Number.NaN }, value: Number.NaN },
      { name: "Infinity", payload: { temperature: Number.POSITIVE_INFINITY }, value: Number.POSITIVE_INFINITY },
      { name: "-Infinity", payload: { temperature: Number.NEGATIVE_INFINITY }, value: Number.NEGATIVE_INFINITY },
      { name: "a numeric string", payload: { temperature: "55" }, value: "55" },
      { name: "an empty string", payload: { temperature: "" }, value: "" },
      { name: "a boolean", payload: { temperature: true }, value: true },
      { name: "an object", payload: { temperature: { value: 55 } }, value: { value: 55 } },
      { name: "an array", payload: { temperature: [55] }, value: [55] },
    ];
    for (const action of ["drop", "clamp", "flag"]) {
      for (const { name, payload, value } of badValues) {
        it(`rejects ${name} as missing and passes the next good reading (${action})`, () => {
          const h = harness(rangeCheck, { ...temperature(action), stuckAfter: 2 });
          h.send(reading(payload));
          h.send(reading(good));
          assert.deepEqual(h.emitted.map((e) => e.port), ["rejected", "out"]);
          assert.deepEqual(h.emitted[0]!.msg.meta?.["rejected"], { field: "temperature", reason: "missing", value });
          assert.deepEqual(h.emitted[1]!.msg.payload, good);
          assert.equal(h.counters.get("rejected"), 1);
        });
      }
    }

    for (const payload of [42, null, undefined, Number.NaN, [1, 2], "55 degC"]) {
      it(`refuses a reading whose payload is ${String(payload)} and passes the next good reading`, () => {
        const h = harness(rangeCheck, temperature("drop"));
        assert.throws(() => h.send(reading(payload)), { code: "MESSAGE_SHAPE_INVALID", details: { path: "payload" } });
        h.send(reading(good));
        assert.deepEqual(h.out("out").map((m) => m.payload), [good]);
      });
    }
  });

  const badConfigs: Array<{ name: string; config: Record<string, unknown>; path: string }> = [
    { name: "no rules", config: { rules: [] }, path: "config.rules" },
    { name: "min above max", config: { rules: [{ field: "t", min: 0, max: 100 }, { field: "c", min: 10, max: 1 }] }, path: "config.rules[1].max" },
    { name: "an unknown action", config: { rules: [{ field: "t", max: 1, action: "ignore" }] }, path: "config.rules[0].action" },
    { name: "a rule without a field", config: { rules: [{ max: 1 }] }, path: "config.rules[0]" },
    { name: "a negative stuckAfter", config: { rules: [{ field: "t" }], stuckAfter: -1 }, path: "config.stuckAfter" },
    { name: "an unknown onMissing", config: { rules: [{ field: "t" }], onMissing: "skip" }, path: "config.onMissing" },
  ];
  for (const { name, config, path } of badConfigs) {
    it(`refuses a config with ${name} at ${path}`, () => {
      assert.throws(() => configOf(rangeCheck, config), { code: "NODE_CONFIG_INVALID", details: { path, nodeType: "range-check" } });
    });
  }
});
