import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { LowdbAssetStore } from "./assets.ts";

const tempDir = () => mkdtempSync(join(tmpdir(), "aiotflow-assets-"));
const clock = { now: () => Date.UTC(2026, 10, 27, 12) };
const pump = { name: "Pump 7", kind: "centrifugal-pump", signals: [{ name: "temperature", unit: "C", min: -20, max: 120 }, { name: "vibration", unit: "mm/s", min: 0, max: 50 }] };

describe("asset store", () => {
  it("stores, lists, replaces and deletes assets, surviving a reopen", async () => {
    const dir = tempDir();
    const assets = await LowdbAssetStore.open(dir, { clock });
    assert.deepEqual(await assets.put("pump-7", pump).then((r) => r.created), true);
    assert.equal((await assets.put("pump-7", { ...pump, location: "hall 2" })).created, false);
    await assets.put("meter-1", { signals: [{ name: "energy", unit: "kWh" }] });
    const reopened = await LowdbAssetStore.open(dir, { clock });
    assert.deepEqual(reopened.list().map((a) => a.id), ["pump-7", "meter-1"]);
    assert.deepEqual(reopened.get("pump-7"), { ...pump, location: "hall 2", id: "pump-7", updatedAt: "2026-11-27T12:00:00.000Z" });
    assert.deepEqual(reopened.signal("pump-7", "vibration"), { name: "vibration", unit: "mm/s", min: 0, max: 50 });
    assert.equal(reopened.signal("pump-7", "pressure"), undefined);
    assert.equal(reopened.signal("pump-8", "vibration"), undefined);
    assert.equal(await reopened.delete("pump-7"), true);
    assert.equal(await reopened.delete("pump-7"), false);
    assert.equal(reopened.get("pump-7"), undefined);
  });

  const bad: Array<{ name: string; id: string; asset: Parameters<LowdbAssetStore["put"]>[1]; path: string; message: RegExp }> = [
    { name: "an unknown unit, suggesting the closest", id: "p", asset: { signals: [{ name: "t", unit: "degc" }] }, path: "signals[0].unit", message: /unknown unit "degc"; did you mean "degC"\?/ },
    { name: "min above max", id: "p", asset: { signals: [{ name: "t", min: 5, max: 1 }] }, path: "signals[0].max", message: /must be >= min \(5\)/ },
    { name: "a signal declared twice", id: "p", asset: { signals: [{ name: "t" }, { name: "t" }] }, path: "signals[1].name", message: /declared twice/ },
    { name: "an id with a slash", id: "a/b", asset: { signals: [] }, path: "id", message: /letters, digits/ },
  ];
  for (const { name, id, asset, path, message } of bad) {
    it(`refuses ${name} with ASSET_INVALID at ${path}, storing nothing`, async () => {
      const assets = await LowdbAssetStore.open(tempDir(), { clock });
      await assert.rejects(assets.put(id, asset), (error: { code: string; message: string; details: { path: string } }) => {
        assert.equal(error.code, "ASSET_INVALID");
        assert.equal(error.details.path, path);
        assert.match(error.message, message);
        return true;
      });
      assert.deepEqual(assets.list(), []);
    });
  }

  it("refuses to open a damaged file, naming the place, instead of resetting it", async () => {
    const dir = tempDir();
    const file = join(dir, "assets.json");
    writeFileSync(file, JSON.stringify({ format: "aiotflow/assets@1", assets: [{ id: "p", signals: [{ name: "t", unit: "furlong" }], updatedAt: "x" }] }));
    await assert.rejects(LowdbAssetStore.open(dir), { code: "STORE_CORRUPT", message: 'assets[0].signals[0].unit: unknown unit "furlong"' });
    assert.match(readFileSync(file, "utf8"), /furlong/);
  });
});
