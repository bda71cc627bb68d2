import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { featureHash, FeatureStore, trainingSetCsv } from "./feature-store.ts";

const T0 = Date.UTC(2026, 0, 1);
const dir = mkdtempSync(join(tmpdir(), "aiot-fs-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const fresh = (options: Parameters<typeof FeatureStore.open>[1] = {}) => FeatureStore.open(join(dir, `f${files++}.sqlite`), { now: () => T0 + 86_400_000, flushMs: 0, ...options });

describe("feature store", () => {
  it("records vectors with flow version, feature hash, model and score, and attaches labels later by key and ts", () => {
    const versions: Record<string, number> = { pumps: 3 };
    const store = fresh({ flowVersion: (id) => versions[id] });
    store.record({ flowId: "pumps", key: "p1", ts: T0, features: { rms: 2.1, temp: 60 }, model: "pump@2", score: 0.8 });
    store.record({ flowId: "pumps", key: "p2", ts: T0, features: { rms: 1.1, temp: 55 }, model: "pump@2", score: 0.1 });
    assert.equal(store.label("p1", T0, 1), 1);
    assert.equal(store.label("p9", T0, 1), 0, "no row, nothing labelled");
    const rows = store.query();
    assert.deepEqual(
      rows.map((r) => [r.key, r.flowVersion, r.featureHash, r.features, r.model, r.score, r.label]),
      [
        ["p1", 3, featureHash(["rms", "temp"]), { rms: 2.1, temp: 60 }, "pump@2", 0.8, 1],
        ["p2", 3, featureHash(["rms", "temp"]), { rms: 1.1, temp: 55 }, "pump@2", 0.1, null],
      ],
    );
    store.close();
  });

  it("writes in batches and keeps the rows across a reopen (WAL file in the data dir)", () => {
    const file = join(dir, "reopen.sqlite");
    const store = FeatureStore.open(file, { batchSize: 100, flushMs: 0, now: () => T0 });
    for (let i = 0; i < 250; i++) store.record({ flowId: "f", key: "k", ts: T0 + i, features: { x: i } });
    const raw = new Database(file, { readonly: true });
    assert.equal(raw.prepare<[], { n: number }>("SELECT count(*) AS n FROM feature_rows").get()!.n, 200, "two full batches are on disk, 50 wait");
    assert.equal(raw.pragma("journal_mode", { simple: true }), "wal");
    raw.close();
    store.close();
    const again = FeatureStore.open(file, { flushMs: 0, now: () => T0 });
    assert.equal(again.count(), 250);
    again.close();
  });

  it("queries by time range, flow version and labelled state", () => {
    let version = 1;
    const store = fresh({ flowVersion: () => version });
    for (let i = 0; i < 10; i++) {
      if (i === 5) version = 2;
      store.record({ flowId: "f", key: "k", ts: T0 + i * 1000, features: { x: i }, ...(i % 2 ? { label: 1 } : {}) });
    }
    assert.deepEqual(store.query({ from: T0 + 2000, to: T0 + 5000 }).map((r) => r.features["x"]), [2, 3, 4]);
    assert.deepEqual(store.query({ flowVersion: 2 }).map((r) => r.features["x"]), [5, 6, 7, 8, 9]);
    assert.deepEqual(store.query({ labelled: true, flowVersion: 1 }).map((r) => r.features["x"]), [1, 3]);
    assert.equal(store.query({ limit: 4 }).length, 4);
    store.close();
  });

  it("deletes rows older than maxAgeMs and beyond maxRows", () => {
    const store = fresh({ maxAgeMs: 3_600_000, maxRows: 5, now: () => T0 + 7_200_000 });
    store.record({ flowId: "f", key: "old", ts: T0, features: { x: 0 } });
    for (let i = 0; i < 8; i++) store.record({ flowId: "f", key: "new", ts: T0 + 7_000_000 + i, features: { x: i } });
    store.flush();
    assert.deepEqual(store.query().map((r) => [r.key, r.features["x"]]), [["new", 3], ["new", 4], ["new", 5], ["new", 6], ["new", 7]]);
    store.close();
  });

  it("exports one feature definition as a training set, in CSV too", () => {
    const store = fresh();
    store.record({ flowId: "f", key: "a", ts: T0, features: { old: 1 } });
    store.record({ flowId: "f", key: "a,b", ts: T0 + 1, features: { rms: 2, temp: 3 }, label: 1, score: 0.5 });
    store.record({ flowId: "f", key: "c", ts: T0 + 2, features: { rms: 4, temp: 5 } });
    const set = store.trainingSet();
    assert.deepEqual(set.featureNames, ["rms", "temp"]);
    assert.equal(set.rows.length, 2, "the row of the older definition is left out");
    assert.equal(trainingSetCsv(set), `key,ts,rms,temp,label,score\n"a,b",${T0 + 1},2,3,1,0.5\nc,${T0 + 2},4,5,,\n`);
    assert.deepEqual(store.trainingSet({ from: T0 + 100 }), { featureNames: [], featureHash: "", rows: [] });
    store.close();
  });

  it("refuses a file that is not a database with FEATURE_STORE_UNREADABLE naming it", () => {
    const file = join(dir, "not-a-db.sqlite");
    writeFileSync(file, "this is a text file, not SQLite\n".repeat(200));
    assert.throws(() => FeatureStore.open(file), { code: "FEATURE_STORE_UNREADABLE", details: { file } });
  });

  it("refuses to record after close", () => {
    const store = fresh();
    store.close();
    assert.throws(() => store.record({ flowId: "f", key: "k", ts: T0, features: { x: 1 } }), { code: "FEATURE_STORE_UNREADABLE" });
  });
});
