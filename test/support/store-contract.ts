/**
 * One contract suite per store interface, run against every implementation (the files behind
 * `aiotflow serve` and the in-memory fakes of api-stores.ts) by test/store-contract.test.ts: API
 * tests run on the fakes, so a fake that drifts from the real store would make them prove nothing.
 * Each `open()` gives a new, empty store. What is implementation-specific (files, fsync, a chain
 * broken on disk, timestamps from a clock) stays in the implementation's own tests.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { diffFlows } from "../../runtime/contract/diff.ts";
import type { FlowDocument } from "../../runtime/contract/flow-format.ts";
import type { DeploymentRecord, FlowBundle, FlowVersion, SaveResult } from "../../runtime/contract/flow-records.ts";
import type { AuditLog } from "../../runtime/store/audit-log.ts";
import { contentHash } from "../../runtime/store/canonical.ts";
import type { FlowStore } from "../../runtime/store/flow-store.ts";
import type { SecretStore } from "../../runtime/store/secrets.ts";
import { flowOf } from "./test-nodes.ts";

/** A flow `id` of a source and a sink, plus the `extra` nodes; `name` defaults to `Flow <id>`. */
function flow(id = "pump", { name = `Flow ${id}`, extra = [] as string[] } = {}): FlowDocument {
  const nodes: Array<[string, string, Record<string, unknown>?]> = [["src", "test-source", { rateHz: 10 }], ["out", "test-sink"], ...extra.map((n): [string, string] => [n, "test-sink"])];
  return { ...flowOf(nodes, ["src.out->out.in"], id), name };
}

function saved(result: SaveResult): FlowVersion {
  assert.ok(result.ok, `expected the save to succeed, got ${JSON.stringify(result)}`);
  return result.version;
}

const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const deployment = (flowId: string, version: number, outcome: DeploymentRecord["outcome"] = "running"): Omit<DeploymentRecord, "id"> =>
  ({ flowId, version, by: "olga", at: "2026-01-05T10:00:00.000Z", outcome, durationMs: 12 });

export function flowStoreContract(name: string, open: () => Promise<FlowStore>): void {
  /** A store holding `pump` at versions 1 (two nodes) and 2 (one more node). */
  const withTwoVersions = async () => {
    const store = await open();
    const v1 = saved(await store.saveVersion({ document: flow(), author: "ana", message: "first" }));
    const v2 = saved(await store.saveVersion({ document: flow("pump", { extra: ["alarm"] }), author: "ben", message: "alarm", baseVersion: 1 }));
    return { store, v1, v2 };
  };

  describe(`FlowStore contract: ${name}`, () => {
    it("creates the flow with version 1 on the first save, then saves version 2 on top of it", async () => {
      const store = await open();
      const first = await store.saveVersion({ document: flow(), author: "ana", message: "first" });
      assert.ok(first.ok && first.created);
      assert.deepEqual({ ...first.version, createdAt: "" }, { flowId: "pump", version: 1, author: "ana", createdAt: "", hash: contentHash(flow()), message: "first", document: flow() });
      assert.match(first.version.createdAt, ISO_TIME);
      const second = await store.saveVersion({ document: flow("pump", { name: "Pump 2" }), author: "ben", message: "renamed", baseVersion: 1 });
      assert.ok(second.ok && !second.created);
      assert.equal(second.version.version, 2);
      const record = store.getFlow("pump");
      assert.deepEqual({ ...record, updatedAt: "" }, { id: "pump", name: "Pump 2", createdAt: first.version.createdAt, updatedAt: "", latestVersion: 2 });
      assert.equal(record?.updatedAt, second.version.createdAt);
      assert.deepEqual(store.listFlows(), [record]);
    });

    it("lists versions without their documents and gets each one with its document", async () => {
      const { store, v1, v2 } = await withTwoVersions();
      const { document: _d1, ...info1 } = v1;
      const { document: _d2, ...info2 } = v2;
      assert.deepEqual(store.listVersions("pump"), [info1, info2]);
      assert.deepEqual(store.getVersion("pump", 1), v1);
      assert.deepEqual(store.getVersion("pump", 2)?.document, flow("pump", { extra: ["alarm"] }));
      assert.equal(store.getVersion("pump", 3), undefined);
      assert.equal(store.getVersion("valve", 1), undefined);
      assert.deepEqual(store.listVersions("valve"), []);
      assert.equal(store.getFlow("valve"), undefined);
    });

    it("refuses a stale baseVersion with the diff base -> latest, and writes nothing", async () => {
      const { store, v2 } = await withTwoVersions();
      const result = await store.saveVersion({ document: flow("pump", { name: "mine" }), author: "cai", message: "late", baseVersion: 1 });
      assert.ok(!result.ok);
      const { document: _d, ...latest } = v2;
      assert.deepEqual(result.conflict, { base: 1, latest, diff: diffFlows(flow(), v2.document) });
      assert.deepEqual(result.conflict.diff.nodes.added, ["alarm"]);
      assert.equal(store.getFlow("pump")?.latestVersion, 2);
      assert.equal(store.listVersions("pump").length, 2);
    });

    it("takes baseVersion 0 as create only: a conflict against the empty flow once it exists", async () => {
      const store = await open();
      assert.ok((await store.saveVersion({ document: flow(), author: "ana", message: "new", baseVersion: 0 })).ok);
      const again = await store.saveVersion({ document: flow(), author: "ben", message: "new too", baseVersion: 0 });
      assert.ok(!again.ok);
      const empty: FlowDocument = { format: "aiotflow/flow@1", id: "pump", name: "", nodes: [], edges: [], connections: {} };
      assert.deepEqual(again.conflict.diff, diffFlows(empty, flow()));
      assert.deepEqual([again.conflict.base, again.conflict.diff.nodes.added, again.conflict.diff.flow], [0, ["src", "out"], ["name"]]);
    });

    it("refuses a save on top of a flow deleted meanwhile or of a version that never was", async () => {
      const { store } = await withTwoVersions();
      await assert.rejects(store.saveVersion({ document: flow("valve"), author: "ana", message: "", baseVersion: 1 }), { code: "FLOW_NOT_FOUND" });
      await assert.rejects(store.saveVersion({ document: flow(), author: "ana", message: "", baseVersion: 7 }), { code: "VERSION_NOT_FOUND" });
      assert.equal(store.getFlow("valve"), undefined);
    });

    it("refuses an unusable flow id or a document that is not a flow, and fills in the format's defaults", async () => {
      const store = await open();
      assert.throws(() => store.getFlow(".."), { code: "FLOW_ID_INVALID" });
      await assert.rejects(store.saveVersion({ document: flow("a/b"), author: "ana", message: "" }), { code: "FLOW_ID_INVALID" });
      const { edges: _e, connections: _c, ...bare } = flow();
      const noNodes = { ...bare, nodes: "none" } as unknown as FlowDocument;
      await assert.rejects(store.saveVersion({ document: noNodes, author: "ana", message: "" }), { code: "FLOW_FORMAT_INVALID" });
      const version = saved(await store.saveVersion({ document: bare as FlowDocument, author: "ana", message: "" }));
      assert.deepEqual(version.document, { ...bare, edges: [], connections: {} });
    });

    it("hands out copies: changing what it returned changes nothing stored", async () => {
      const { store, v1 } = await withTwoVersions();
      (v1.document.nodes as unknown[]).length = 0;
      (store.getVersion("pump", 1)!.document.nodes as unknown[]).length = 0;
      (store.exportFlow("pump")!.versions[0]!.document.nodes as unknown[]).length = 0;
      assert.deepEqual(store.getVersion("pump", 1)?.document, flow());
    });

    it("records deployments and lists each flow's, oldest first", async () => {
      const { store } = await withTwoVersions();
      saved(await store.saveVersion({ document: flow("valve"), author: "ana", message: "" }));
      const first = await store.recordDeployment(deployment("pump", 1));
      const failed = await store.recordDeployment({ ...deployment("pump", 2, "failed"), error: { code: "DEPLOY_FAILED", message: "no broker" } });
      await store.recordDeployment(deployment("valve", 1));
      assert.equal(typeof first.id, "string");
      assert.notEqual(first.id, failed.id);
      assert.deepEqual(first, { ...deployment("pump", 1), id: first.id });
      assert.deepEqual(store.listDeployments("pump"), [first, failed]);
      assert.equal(store.listDeployments("valve").length, 1);
      assert.deepEqual(store.listDeployments("tank"), []);
    });

    it("refuses to record a deployment of a flow or version that does not exist", async () => {
      const { store } = await withTwoVersions();
      await assert.rejects(store.recordDeployment(deployment("pump", 3)), { code: "VERSION_NOT_FOUND" });
      await assert.rejects(store.recordDeployment(deployment("tank", 1)), { code: "FLOW_NOT_FOUND" });
      assert.deepEqual(store.listDeployments("pump"), []);
    });

    it("marks what runs, moving lastGoodVersion only on a good deploy", async () => {
      const { store } = await withTwoVersions();
      const marks = ({ deployedVersion, lastGoodVersion } = store.getFlow("pump")!) => ({ deployedVersion, lastGoodVersion });
      const steps: Array<[version: number | undefined, good: boolean, deployed: number | undefined, lastGood: number | undefined]> = [
        [1, false, 1, undefined],
        [1, true, 1, 1],
        [2, false, 2, 1],
        [undefined, false, undefined, 1],
        [undefined, true, undefined, 1],
        [2, true, 2, 2],
      ];
      for (const [version, good, deployedVersion, lastGoodVersion] of steps) {
        await store.setDeployed("pump", version, good);
        assert.deepEqual(marks(), { deployedVersion, lastGoodVersion }, `after setDeployed(${version}, ${good})`);
      }
      await store.setDeployed("pump", undefined, false);
      assert.equal("deployedVersion" in store.getFlow("pump")!, false, "stopped: the field goes");
      await assert.rejects(store.setDeployed("pump", 3, true), { code: "VERSION_NOT_FOUND" });
      await assert.rejects(store.setDeployed("tank", undefined, false), { code: "FLOW_NOT_FOUND" });
    });

    it("exports a flow with its versions that imports into another store as it was", async () => {
      const { store } = await withTwoVersions();
      const bundle = store.exportFlow("pump");
      assert.ok(bundle);
      assert.equal(bundle.format, "aiotflow/flow-bundle@1");
      assert.deepEqual(bundle.flow, store.getFlow("pump"));
      assert.deepEqual(bundle.versions, [store.getVersion("pump", 1), store.getVersion("pump", 2)]);
      assert.equal(store.exportFlow("tank"), undefined);
      const other = await open();
      const record = await other.importFlow(bundle);
      assert.deepEqual(record, bundle.flow);
      assert.deepEqual(other.getFlow("pump"), bundle.flow);
      assert.deepEqual(other.exportFlow("pump"), bundle);
      saved(await other.saveVersion({ document: flow("pump", { name: "after import" }), author: "ana", message: "", baseVersion: 2 }));
    });

    it("imports a flow that ran elsewhere as not deployed", async () => {
      const { store } = await withTwoVersions();
      await store.setDeployed("pump", 2, true);
      const other = await open();
      const record = await other.importFlow(store.exportFlow("pump")!);
      assert.equal(record.deployedVersion, undefined);
      assert.equal(record.lastGoodVersion, undefined);
      assert.deepEqual(other.getFlow("pump"), record);
    });

    it("refuses to import over an existing flow unless asked to replace it, and never over one that runs", async () => {
      const { store } = await withTwoVersions();
      await store.recordDeployment(deployment("pump", 2));
      const elsewhere = await open();
      saved(await elsewhere.saveVersion({ document: flow("pump", { name: "Pump elsewhere" }), author: "dan", message: "" }));
      const bundle = elsewhere.exportFlow("pump")!;
      await assert.rejects(store.importFlow(bundle), { code: "FLOW_EXISTS" });
      await store.setDeployed("pump", 2, true);
      await assert.rejects(store.importFlow(bundle, { replace: true }), { code: "FLOW_DEPLOYED" });
      assert.equal(store.getFlow("pump")?.latestVersion, 2, "a refused import changes nothing");
      await store.setDeployed("pump", undefined, false);
      const replaced = await store.importFlow(bundle, { replace: true });
      assert.deepEqual(replaced, bundle.flow);
      assert.deepEqual(store.listVersions("pump"), elsewhere.listVersions("pump"));
      assert.deepEqual(store.listDeployments("pump"), [], "the replaced flow's deployment records went with it");
    });

    type Editable = { versions: Array<{ version: number; document: { name: string } }>; flow: { latestVersion: number } };
    const tampered: Array<[name: string, change: (bundle: Editable) => void]> = [
      ["a document changed after it was saved", (b) => (b.versions[0]!.document.name = "edited")],
      ["a gap in the version numbers", (b) => (b.versions[1]!.version = 3)],
      ["a latestVersion that is not the last version", (b) => (b.flow.latestVersion = 5)],
      ["no versions at all", (b) => ((b.versions.length = 0), (b.flow.latestVersion = 0))],
    ];
    for (const [what, change] of tampered) {
      it(`refuses to import a bundle with ${what} (IMPORT_INVALID)`, async () => {
        const { store } = await withTwoVersions();
        const bundle = structuredClone(store.exportFlow("pump")!);
        change(bundle as unknown as Editable);
        const other = await open();
        await assert.rejects(other.importFlow(bundle as FlowBundle), { code: "IMPORT_INVALID" });
        assert.equal(other.getFlow("pump"), undefined);
      });
    }

    it("deletes a flow with its versions and deployment records, once", async () => {
      const { store } = await withTwoVersions();
      saved(await store.saveVersion({ document: flow("valve"), author: "ana", message: "" }));
      await store.recordDeployment(deployment("pump", 1));
      assert.equal(await store.deleteFlow("pump"), true);
      assert.equal(store.getFlow("pump"), undefined);
      assert.deepEqual(store.listVersions("pump"), []);
      assert.deepEqual(store.listDeployments("pump"), []);
      assert.deepEqual(store.listFlows().map((f) => f.id), ["valve"]);
      assert.equal(await store.deleteFlow("pump"), false);
      const again = saved(await store.saveVersion({ document: flow(), author: "ana", message: "anew", baseVersion: 0 }));
      assert.equal(again.version, 1, "a flow saved again after deletion starts at version 1");
    });
  });
}

export function auditLogContract(name: string, open: () => Promise<AuditLog>): void {
  const entry = (n: number) => ({ actor: "ana", action: "flow.save", target: `flow:pump-${n}`, outcome: "ok" as const });

  describe(`AuditLog contract: ${name}`, () => {
    it("numbers records and chains each to the one before by its hash", async () => {
      const audit = await open();
      const first = await audit.append({ ...entry(1), after: "h1", detail: { version: 1 } });
      const second = await audit.append({ ...entry(2), outcome: "refused" });
      assert.deepEqual({ ...first, at: "", hash: "" }, { seq: 1, at: "", ...entry(1), after: "h1", detail: { version: 1 }, prev: "", hash: "" });
      assert.match(first.at, ISO_TIME);
      const { hash, ...body } = second;
      assert.equal(hash, contentHash(body));
      assert.deepEqual([second.seq, second.prev, second.outcome], [2, first.hash, "refused"]);
    });

    it("keeps a record as its JSON reads back: no fields the entry did not give, detail values as JSON", async () => {
      const audit = await open();
      const bare = await audit.append(entry(1));
      assert.deepEqual(Object.keys(bare).sort(), ["action", "actor", "at", "hash", "outcome", "prev", "seq", "target"]);
      const detailed = await audit.append({ ...entry(2), detail: { when: new Date(0), skipped: undefined } });
      assert.deepEqual(detailed.detail, { when: "1970-01-01T00:00:00.000Z" });
      const { hash, ...body } = detailed;
      assert.equal(hash, contentHash(body), "the hash is of the record as stored");
      assert.deepEqual(audit.list(), [bare, detailed]);
    });

    it("lists oldest first: after `since` the first `limit`, without it the last `limit`", async () => {
      const audit = await open();
      assert.deepEqual(audit.list(), []);
      for (let n = 1; n <= 5; n++) await audit.append(entry(n));
      const seqs = (options?: { since?: number; limit?: number }) => audit.list(options).map((r) => r.seq);
      const cases: Array<[{ since?: number; limit?: number } | undefined, number[]]> = [
        [undefined, [1, 2, 3, 4, 5]],
        [{ limit: 2 }, [4, 5]],
        [{ limit: 0 }, []],
        [{ since: 2 }, [3, 4, 5]],
        [{ since: 2, limit: 2 }, [3, 4]],
        [{ since: 5 }, []],
        [{ since: 0, limit: 10 }, [1, 2, 3, 4, 5]],
        [{ limit: -1 }, []],
        [{ since: 2, limit: -1 }, []],
      ];
      for (const [options, expected] of cases) assert.deepEqual(seqs(options), expected, JSON.stringify(options));
    });

    it("verifies a sound chain, counting its records", async () => {
      const audit = await open();
      assert.deepEqual(audit.verify(), { ok: true, records: 0 });
      for (let n = 1; n <= 3; n++) await audit.append(entry(n));
      assert.deepEqual(audit.verify(), { ok: true, records: 3 });
    });
  });
}

export function secretStoreContract(name: string, open: () => Promise<SecretStore>): void {
  describe(`SecretStore contract: ${name}`, () => {
    it("keeps a value by name and hands it back exactly", async () => {
      const secrets = await open();
      for (const [key, value] of [["broker-password", "s3cret"], ["db.url", "postgres://u:p@h/db?x=ü€"], ["empty", ""]] as const) {
        await secrets.set(key, value);
        assert.deepEqual([secrets.get(key), secrets.has(key)], [value, true]);
      }
      assert.deepEqual([secrets.get("missing"), secrets.has("missing")], [undefined, false]);
    });

    it("replaces a value set again, and lists each name once with when it was set, never the value", async () => {
      const secrets = await open();
      await secrets.set("b", "one");
      await secrets.set("a", "two");
      await secrets.set("b", "three");
      assert.equal(secrets.get("b"), "three");
      const listed = [...secrets.list()].sort((x, y) => x.name.localeCompare(y.name));
      assert.deepEqual(listed.map((s) => Object.keys(s).sort()), [["name", "updatedAt"], ["name", "updatedAt"]]);
      assert.deepEqual(listed.map((s) => s.name), ["a", "b"]);
      for (const { updatedAt } of listed) assert.match(updatedAt, ISO_TIME);
    });

    it("deletes a secret once", async () => {
      const secrets = await open();
      await secrets.set("token", "x");
      assert.equal(await secrets.delete("token"), true);
      assert.deepEqual([secrets.get("token"), secrets.has("token"), secrets.list()], [undefined, false, []]);
      assert.equal(await secrets.delete("token"), false);
    });

    for (const bad of ["", "a/b", "with space", "x".repeat(129)]) {
      it(`refuses the name ${JSON.stringify(bad.slice(0, 20))} (SECRET_NAME_INVALID)`, async () => {
        const secrets = await open();
        await assert.rejects(secrets.set(bad, "v"), { code: "SECRET_NAME_INVALID" });
        assert.deepEqual(secrets.list(), []);
      });
    }
  });
}
