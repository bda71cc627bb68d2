import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { ASSETS } from "../../runtime/sdk/assets.ts";
import { configOf, type Message } from "../../runtime/sdk/index.ts";
import { provide, services } from "../../runtime/sdk/services.ts";
import { harness } from "../../runtime/sdk/testing.ts";
import { LowdbAssetStore } from "../../runtime/store/assets.ts";
import unitConvert from "./unit-convert.ts";

const reading = (key: string, payload: Record<string, unknown>, meta?: Record<string, unknown>): Message => ({ topic: `plant/${key}`, key, ts: 0, payload, ...(meta ? { meta } : {}) });

let registry: LowdbAssetStore;
before(async () => {
  registry = await LowdbAssetStore.open(mkdtempSync(join(tmpdir(), "aiotflow-unit-convert-")));
  await registry.put("pump-7", { signals: [{ name: "temperature", unit: "C", min: -20, max: 120 }, { name: "pressure", unit: "bar" }, { name: "flow" }] });
});
const withAssets = () => ({ services: services(provide(ASSETS, registry)) });
/** Runs `msg` through the node; returns what came out or the coded error it raised. */
function run(h: ReturnType<typeof harness<typeof unitConvert.config, "in", "out">>, msg: Message): { out?: Message; error?: { code: string; message: string } } {
  const before = h.out("out").length;
  try {
    void h.send(msg);
  } catch (error) {
    return { error: error as { code: string; message: string } };
  }
  return h.out("out").length > before ? { out: h.out("out").at(-1)! } : {};
}

describe("unit-convert", () => {
  for (const example of unitConvert.examples) {
    it(`accepts its example "${example.title}"`, () => assert.ok(configOf(unitConvert, example.config)));
  }

  it("converts with the unit from the config and records the new unit in meta.units", () => {
    const h = harness(unitConvert, { conversions: [{ field: "temperature", from: "C", to: "F" }, { field: "speed", from: "rpm", to: "Hz" }] });
    const { out } = run(h, reading("pump-1", { temperature: 20, speed: 1500, label: "x" }, { source: "s" }));
    assert.deepEqual(out?.payload, { temperature: 68, speed: 25, label: "x" });
    assert.deepEqual(out?.meta, { source: "s", units: { temperature: "F", speed: "Hz" } });
  });

  it("takes the source unit from meta.units when the rule names none, ratios included", () => {
    const h = harness(unitConvert, { conversions: [{ field: "vibration", to: "m/s" }] });
    const { out } = run(h, reading("pump-1", { vibration: 2500 }, { units: { vibration: "mm/s", current: "A" } }));
    assert.equal(out?.payload && (out.payload as { vibration: number }).vibration, 2.5);
    assert.deepEqual(out?.meta?.["units"], { vibration: "m/s", current: "A" });
  });

  it("uses the asset registry's unit, stamps the asset and flags values outside the registered range", () => {
    const h = harness(unitConvert, { conversions: [{ field: "temperature", to: "K" }, { field: "pressure", to: "kPa" }], useAssets: true }, withAssets());
    const ok = run(h, reading("pump-7", { temperature: 25, pressure: 2 })).out;
    assert.deepEqual(ok?.payload, { temperature: 298.15, pressure: 200 });
    assert.deepEqual(ok?.meta, { units: { temperature: "K", pressure: "kPa" }, asset: "pump-7" });
    const hot = run(h, reading("pump-7", { temperature: 400, pressure: 2 })).out;
    assert.deepEqual(hot?.meta?.["quality"], { temperature: "out_of_range" });
    assert.equal(h.counters.get("out_of_range"), 1);
  });

  it("leaves absent and non-numeric fields as they are", () => {
    const h = harness(unitConvert, { conversions: [{ field: "temperature", from: "C", to: "F" }] });
    assert.deepEqual(run(h, reading("p", { temperature: "hot" })).out?.payload, { temperature: "hot" });
    assert.deepEqual(run(h, reading("p", {})).out?.payload, {});
  });

  const celsius = reading("pump-7", { temperature: 10 }, { units: { temperature: "C" } });
  const badInput: Array<{ name: string; config: Record<string, unknown>; msg: Message; code: string; message: RegExp; good: Message }> = [
    { name: "an asset the registry does not know", config: { conversions: [{ field: "temperature", to: "F" }], useAssets: true }, msg: reading("pump-99", { temperature: 1 }), code: "ASSET_NOT_FOUND", message: /no asset "pump-99"/, good: celsius },
    { name: "a signal without a unit anywhere", config: { conversions: [{ field: "flow", to: "l/min" }], useAssets: true }, msg: reading("pump-7", { flow: 1 }), code: "SIGNAL_NOT_FOUND", message: /asset "pump-7" declares no unit for it/, good: reading("pump-7", { flow: 1 }, { units: { flow: "m3/h" } }) },
    { name: "an unknown unit in meta.units", config: { conversions: [{ field: "temperature", to: "F" }] }, msg: reading("p", { temperature: 1 }, { units: { temperature: "Celcius" } }), code: "UNIT_UNKNOWN", message: /temperature: unknown unit "Celcius".*\(unit from the meta\.units\)/, good: celsius },
    { name: "incompatible units (C to bar)", config: { conversions: [{ field: "pressure", to: "bar" }] }, msg: reading("p", { pressure: 1 }, { units: { pressure: "C" } }), code: "UNIT_INCOMPATIBLE", message: /cannot convert C \(temperature\) to bar \(pressure\)/, good: reading("p", { pressure: 1 }, { units: { pressure: "psi" } }) },
    { name: "a payload that is not an object", config: { conversions: [{ field: "temperature", from: "C", to: "F" }] }, msg: { ...celsius, payload: 42 }, code: "MESSAGE_SHAPE_INVALID", message: /not an object/, good: celsius },
  ];
  for (const { name, config, msg, code, message, good } of badInput) {
    it(`raises ${code} for ${name}, and converts the next good message`, () => {
      const h = harness(unitConvert, config, withAssets());
      const { error } = run(h, msg);
      assert.equal(error?.code, code);
      assert.match(error?.message ?? "", message);
      const next = run(h, good);
      assert.equal(next.error, undefined);
      assert.ok(next.out);
    });
  }

  it("passes a message of an unknown asset on when onUnknownAsset is pass", () => {
    const h = harness(unitConvert, { conversions: [{ field: "temperature", to: "F" }], useAssets: true, onUnknownAsset: "pass" }, withAssets());
    assert.deepEqual(run(h, reading("pump-99", { temperature: 0 }, { units: { temperature: "C" } })).out?.payload, { temperature: 32 });
  });

  it("checks config units when the flow loads, suggesting the closest", () => {
    assert.throws(() => configOf(unitConvert, { conversions: [{ field: "t", to: "farenheit" }] }), { code: "NODE_CONFIG_INVALID", details: { path: "config.conversions[0].to", nodeType: "unit-convert" } });
    assert.throws(() => configOf(unitConvert, { conversions: [{ field: "t", from: "barr", to: "psi" }] }), (e: { message: string; details: { path: string } }) => e.details.path === "config.conversions[0].from" && /did you mean "bar"/.test(e.message));
    assert.throws(() => configOf(unitConvert, { conversions: [{ field: "t", from: "C", to: "bar" }] }), /UNIT_INCOMPATIBLE/);
  });

  it("fails the deploy with SERVICE_UNAVAILABLE when useAssets is on but no registry is provided", () => {
    assert.throws(() => harness(unitConvert, { conversions: [{ field: "t", to: "F" }], useAssets: true }), { code: "SERVICE_UNAVAILABLE" });
  });
});
