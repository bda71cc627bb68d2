import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { describeUnit, unitConverter } from "./units.ts";

const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-6 * Math.max(1, Math.abs(expected)), `${actual} != ${expected}`);

describe("units", () => {
  const conversions: Array<[string, string, number, number]> = [
    ["C", "F", 20, 68],
    ["°C", "K", 0, 273.15],
    ["degF", "C", 212, 100],
    ["bar", "kPa", 1.5, 150],
    ["rpm", "Hz", 1500, 25],
    ["mm/s", "m/s", 2500, 2.5],
    ["l/min", "m3/h", 1000, 60],
  ];
  for (const [from, to, value, expected] of conversions) {
    it(`converts ${value} ${from} to ${expected} ${to}`, () => close(unitConverter(from, to)(value), expected));
  }

  it("names the measure, ratios included", () => {
    assert.deepEqual(describeUnit("degC"), { unit: "C", measure: "temperature" });
    assert.deepEqual(describeUnit("mm/s"), { unit: "mm/s", measure: "length/time" });
  });

  it("refuses an unknown unit with the closest known one", () => {
    assert.throws(() => describeUnit("barr", "config.to"), { code: "UNIT_UNKNOWN", message: 'unknown unit "barr"; did you mean "bar"?', details: { path: "config.to", unit: "barr", suggestion: "bar" } });
  });

  it("refuses to convert between measures, and temperature ratios", () => {
    assert.throws(() => unitConverter("C", "bar"), { code: "UNIT_INCOMPATIBLE", message: "cannot convert C (temperature) to bar (pressure)" });
    assert.throws(() => unitConverter("C/s", "K/s"), { code: "UNIT_UNKNOWN" });
  });
});
