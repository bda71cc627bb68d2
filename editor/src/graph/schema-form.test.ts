import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { getAt, numberInputValue, parseLines, parseNumber, setAt, widgetOf } from "./schema-form.ts";

describe("the schema-driven form", () => {
  it("picks a widget from the schema alone", () => {
    const cases: Array<[object, string]> = [
      [{ type: "string" }, "string"],
      [{ type: "integer", minimum: 0 }, "number"],
      [{ type: "number" }, "number"],
      [{ type: "boolean" }, "boolean"],
      [{ enum: ["high", "low"] }, "enum"],
      [{ type: "array", items: { type: "string" } }, "string-list"],
      [{ type: "array", items: { enum: ["mean", "rms"] } }, "enum-list"],
      [{ type: "array", items: { type: "object", properties: {} } }, "object-list"],
      [{ type: "array", items: { type: "object" } }, "json"],
      [{ type: "object", properties: { a: { type: "string" } } }, "object"],
      [{ type: "object" }, "json"],
      [{ anyOf: [{ type: "object", properties: { by: { const: "count" } } }] }, "variants"],
      [{ type: "string", const: "count" }, "const"],
    ];
    for (const [schema, widget] of cases) assert.equal(widgetOf(schema), widget, JSON.stringify(schema));
  });

  it("sets and clears values at a path without touching the original", () => {
    const config = { label: "a", faults: { spikeRate: 0.1 } };
    const next = setAt(config, ["faults", "spikeFactor"], 4);
    assert.deepEqual(next, { label: "a", faults: { spikeRate: 0.1, spikeFactor: 4 } });
    assert.deepEqual(config, { label: "a", faults: { spikeRate: 0.1 } });
    assert.deepEqual(setAt(next, ["label"], undefined), { faults: { spikeRate: 0.1, spikeFactor: 4 } });
    assert.equal(getAt(next, ["faults", "spikeFactor"]), 4);
    assert.equal(getAt(next, ["nope", "deeper"]), undefined);
  });

  it("reads numbers within the schema's bounds", () => {
    const field = { type: "integer", minimum: 0, maximum: 10 };
    assert.equal(parseNumber("7", field), 7);
    assert.equal(parseNumber("", field), undefined);
    assert.deepEqual(parseNumber("1.5", field), { error: "must be a whole number" });
    assert.deepEqual(parseNumber("-1", field), { error: "must be >= 0" });
    assert.deepEqual(parseNumber("11", field), { error: "must be <= 10" });
    assert.deepEqual(parseNumber("abc", { type: "number" }), { error: "not a number" });
  });

  it("keeps an out-of-range or malformed number as typed, with the reason, instead of dropping it", () => {
    const field = { type: "integer", minimum: 0, maximum: 1024 };
    assert.deepEqual(numberInputValue("-5", field), { value: -5, error: "must be >= 0" });
    assert.deepEqual(numberInputValue("5000", field), { value: 5000, error: "must be <= 1024" });
    assert.deepEqual(numberInputValue("1.5", field), { value: 1.5, error: "must be a whole number" });
    assert.deepEqual(numberInputValue("12", field), { value: 12 });
    assert.deepEqual(numberInputValue("", field), { value: undefined });
    assert.deepEqual(numberInputValue("1e", { type: "number" }), { value: "1e", error: "not a number" });
  });

  it("reads a list of strings one per line", () => {
    assert.deepEqual(parseLines(" pump-1\n\npump-2 \n"), ["pump-1", "pump-2"]);
  });
});
