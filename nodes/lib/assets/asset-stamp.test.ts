import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Config, configOf, defineNode, type Message, type NodeContext } from "../../../runtime/sdk/index.ts";
import { ASSETS, type Asset, type AssetDirectory } from "../../../runtime/sdk/assets.ts";
import { provide, services, type Services } from "../../../runtime/sdk/services.ts";
import { deepFreeze } from "../../../runtime/sdk/state.ts";
import { harness } from "../../../runtime/sdk/testing.ts";
import { ASSETS_DOCS, AssetsOption, assetStamper } from "./asset-stamp.ts";

/** An in-memory registry: what the runtime's asset store offers nodes, and edits between messages. */
function directory(...assets: Asset[]): AssetDirectory & { put(asset: Asset): void } {
  const byId = new Map(assets.map((a) => [a.id, a]));
  return {
    get: (id) => byId.get(id),
    signal: (id, name) => byId.get(id)?.signals.find((s) => s.name === name),
    list: () => [...byId.values()],
    put: (asset) => void byId.set(asset.id, asset),
  };
}

const pump: Asset = {
  id: "pump-7",
  signals: [{ name: "temperature", unit: "C" }, { name: "pressure", unit: "bar" }, { name: "label" }],
  updatedAt: "2026-01-01T00:00:00.000Z",
};

/** A source with `assets` on or off, built by the harness; returns its stamper and counters. */
function stamperFor(enabled: boolean, provided?: Services) {
  let ctx: NodeContext<string> | undefined;
  const source = defineNode({
    type: "test-source", version: 1, family: "sources", title: "Source", summary: "Hands its context to the test.", config: Config({ assets: AssetsOption }), inputs: {},
    outputs: { out: { kind: "reading", description: "Readings." } }, examples: [],
    create: (_config, context) => ((ctx = context), {}),
  });
  const h = harness(source, {}, provided ? { services: provided } : {});
  return { stamp: assetStamper(ctx!, enabled), counters: h.counters, source };
}

/** A frozen reading of `key` (null: a message without a key). */
const reading = (payload: unknown, key: string | null = "pump-7", meta?: Record<string, unknown>): Message =>
  deepFreeze({ topic: "plant/pump-7", ts: 0, ...(key !== null ? { key } : {}), payload, ...(meta ? { meta } : {}) });

describe("assetStamper", () => {
  it("is off by default and then asks for no registry", () => {
    const { stamp, source } = stamperFor(false);
    assert.equal(stamp, undefined);
    assert.equal(configOf(source, {}).assets, false);
  });

  it("refuses to start on a runtime without an asset registry (SERVICE_UNAVAILABLE)", () => {
    assert.throws(() => stamperFor(true), { code: "SERVICE_UNAVAILABLE" });
  });

  it("stamps the asset id and the unit of each payload field that is one of its signals", () => {
    const { stamp } = stamperFor(true, services(provide(ASSETS, directory(pump))));
    const out = stamp!(reading({ temperature: 61.5, pressure: 2.1, label: "ok", other: 3 }));
    assert.deepEqual(out.meta, { asset: "pump-7", units: { temperature: "C", pressure: "bar" } });
    assert.deepEqual(out.payload, { temperature: 61.5, pressure: 2.1, label: "ok", other: 3 });
  });

  it("stamps units only for the signals the message carries", () => {
    const { stamp } = stamperFor(true, services(provide(ASSETS, directory(pump))));
    assert.deepEqual(stamp!(reading({ temperature: 60 })).meta, { asset: "pump-7", units: { temperature: "C" } });
  });

  it("keeps the message's other meta and the units it had, the registry's unit winning for its signals", () => {
    const { stamp } = stamperFor(true, services(provide(ASSETS, directory(pump))));
    const out = stamp!(reading({ temperature: 60, flow: 3 }, "pump-7", { source: "opcua", units: { flow: "l/min", temperature: "F" } }));
    assert.deepEqual(out.meta, { source: "opcua", asset: "pump-7", units: { flow: "l/min", temperature: "C" } });
  });

  const unstamped: Array<[string, Message]> = [
    ["an unregistered key", reading({ temperature: 60 }, "pump-99")],
    ["a message without a key", reading({ temperature: 60 }, null)],
  ];
  for (const [name, msg] of unstamped) {
    it(`passes ${name} on unchanged and counts it as asset_unknown`, () => {
      const { stamp, counters } = stamperFor(true, services(provide(ASSETS, directory(pump))));
      assert.equal(stamp!(msg), msg);
      assert.equal(counters.get("asset_unknown"), 1);
    });
  }

  const notObjects: Array<[string, unknown]> = [["a number", 42], ["null", null], ["a string", "61.5"]];
  for (const [name, payload] of notObjects) {
    it(`stamps the asset on ${name} payload, with no units from it`, () => {
      const { stamp } = stamperFor(true, services(provide(ASSETS, directory(pump))));
      const out = stamp!(reading(payload));
      assert.deepEqual(out.meta, { asset: "pump-7", units: {} });
      assert.equal(out.payload, payload);
    });
  }

  it("does not take a field inherited from the payload's prototype for a signal", () => {
    const { stamp } = stamperFor(true, services(provide(ASSETS, directory(pump))));
    const payload = deepFreeze(Object.assign(Object.create({ temperature: 1 }) as object, { pressure: 2 }));
    assert.deepEqual(stamp!(reading(payload)).meta, { asset: "pump-7", units: { pressure: "bar" } });
  });

  it("reads the registry per message, so an asset registered while the flow runs applies at once", () => {
    const registry = directory();
    const { stamp, counters } = stamperFor(true, services(provide(ASSETS, registry)));
    assert.equal(stamp!(reading({ temperature: 60 })).meta, undefined);
    registry.put(pump);
    assert.deepEqual(stamp!(reading({ temperature: 60 })).meta, { asset: "pump-7", units: { temperature: "C" } });
    registry.put({ ...pump, signals: [{ name: "temperature", unit: "K" }] });
    assert.deepEqual(stamp!(reading({ temperature: 60 })).meta, { asset: "pump-7", units: { temperature: "K" } });
    assert.equal(counters.get("asset_unknown"), 1);
  });

  it("documents where units come from and what an unknown key does", () => {
    assert.match(ASSETS_DOCS, /meta\.units/);
    assert.match(ASSETS_DOCS, /asset_unknown/);
  });
});
