import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { FlowDocument, FlowNode } from "../contract/flow-format.ts";
import { AiotError } from "../sdk/errors.ts";
import { contentHash } from "./canonical.ts";
import { LowdbFlowStore } from "./flow-store.ts";
import type { FlowBundle, SaveResult } from "../contract/flow-records.ts";

const tempDir = () => mkdtempSync(join(tmpdir(), "aiotflow-store-"));

function flow(id = "pump", sizeMs = 1000, extraNode?: string): FlowDocument {
  const nodes: FlowNode[] = [
    { id: "src", type: "sim-sensor", config: { rateHz: 10 }, position: { x: 0, y: 0 } },
    { id: "avg", type: "window-sliding", config: { window: { sizeMs } }, position: { x: 200, y: 0 } },
  ];
  if (extraNode) nodes.push({ id: extraNode, type: "debug", config: {}, position: { x: 400, y: 0 } });
  return { format: "aiotflow/flow@1", id, name: `Flow ${id}`, nodes, edges: [{ id: "e1", from: { node: "src", port: "out" }, to: { node: "avg", port: "in" } }], connections: {} };
}

async function open(dir = tempDir()) {
  let now = Date.parse("2025-03-01T08:00:00Z");
  const clock = { now: () => now };
  const store = await LowdbFlowStore.open(dir, { clock });
  return { dir, store, tick: (ms: number) => void (now += ms) };
}

function saved(result: SaveResult) {
  assert.ok(result.ok, "expected the save to succeed");
  return result.version;
}

const coded = (code: string, message?: RegExp) => (error: unknown) => {
  assert.ok(error instanceof AiotError, String(error));
  assert.equal(error.code, code, error.message);
  if (message) assert.match(error.message, message);
  return true;
};

describe("flow store: versions", () => {
  it("makes an immutable, numbered version with author, time, hash and message on every save", async () => {
    const { store, tick } = await open();
    const first = await store.saveVersion({ document: flow(), author: "ana", message: "first" });
    assert.ok(first.ok && first.created);
    tick(60_000);
    const second = await store.saveVersion({ document: flow("pump", 2000), author: "ben", message: "wider window", baseVersion: 1 });
    assert.ok(second.ok && !second.created);
    assert.deepEqual(store.listVersions("pump"), [
      { flowId: "pump", version: 1, author: "ana", createdAt: "2025-03-01T08:00:00.000Z", hash: contentHash(flow()), message: "first" },
      { flowId: "pump", version: 2, author: "ben", createdAt: "2025-03-01T08:01:00.000Z", hash: contentHash(flow("pump", 2000)), message: "wider window" },
    ]);
    assert.deepEqual(store.getFlow("pump"), { id: "pump", name: "Flow pump", createdAt: "2025-03-01T08:00:00.000Z", updatedAt: "2025-03-01T08:01:00.000Z", latestVersion: 2 });
    assert.deepEqual(store.getVersion("pump", 1)?.document, flow());
    assert.equal(store.getVersion("pump", 3), undefined);
  });

  it("hashes the canonical JSON, so key order does not change the hash", async () => {
    const { store } = await open();
    const document = flow();
    const reordered = JSON.parse(JSON.stringify({ nodes: document.nodes, connections: {}, edges: document.edges, name: document.name, id: "pump", format: document.format })) as FlowDocument;
    const a = saved(await store.saveVersion({ document, author: "ana", message: "" }));
    const b = saved(await store.saveVersion({ document: reordered, author: "ana", message: "" }));
    assert.equal(a.hash, b.hash);
  });

  it("fills the format's defaults before saving and refuses what is not a flow document (FLOW_FORMAT_INVALID)", async () => {
    const { store } = await open();
    const minimal = { format: "aiotflow/flow@1", id: "min", name: "Minimal", nodes: [{ id: "a", type: "debug" }] } as unknown as FlowDocument;
    const version = saved(await store.saveVersion({ document: minimal, author: "ana", message: "" }));
    assert.deepEqual(version.document.edges, []);
    assert.deepEqual(version.document.nodes[0]?.position, { x: 0, y: 0 });
    const broken = { ...flow(), nodes: "not a list" } as unknown as FlowDocument;
    await assert.rejects(store.saveVersion({ document: broken, author: "ana", message: "" }), (e: unknown) => coded("FLOW_FORMAT_INVALID")(e) && (e as AiotError).details.path === "nodes");
    assert.equal(store.getFlow("pump"), undefined);
  });

  it("hands out copies: changing a returned document changes nothing stored", async () => {
    const { store } = await open();
    await store.saveVersion({ document: flow(), author: "ana", message: "" });
    store.getVersion("pump", 1)!.document.nodes.length = 0;
    store.exportFlow("pump")!.versions[0]!.document.name = "changed";
    assert.deepEqual(store.getVersion("pump", 1)?.document, flow());
  });

  it("keeps everything across a restart", async () => {
    const { dir, store } = await open();
    await store.saveVersion({ document: flow(), author: "ana", message: "one" });
    await store.saveVersion({ document: flow("pump", 5), author: "ana", message: "two" });
    const reopened = await LowdbFlowStore.open(dir);
    assert.deepEqual(reopened.listVersions("pump"), store.listVersions("pump"));
    assert.deepEqual(readdirSync(dir), ["flows.json"], "no temp file is left behind");
  });
});

describe("flow store: conflicts and concurrency", () => {
  it("refuses a save on a stale base with the diff base -> latest, writing nothing", async () => {
    const { dir, store } = await open();
    await store.saveVersion({ document: flow(), author: "ana", message: "" });
    await store.saveVersion({ document: flow("pump", 2000, "out"), author: "ana", message: "", baseVersion: 1 });
    const before = readFileSync(join(dir, "flows.json"), "utf8");
    const result = await store.saveVersion({ document: flow("pump", 3000), author: "ben", message: "", baseVersion: 1 });
    assert.ok(!result.ok);
    assert.equal(result.conflict.base, 1);
    assert.equal(result.conflict.latest.version, 2);
    assert.deepEqual(result.conflict.diff.nodes, { added: ["out"], removed: [], changed: [{ id: "avg", paths: ["config.window.sizeMs"] }] });
    assert.equal(readFileSync(join(dir, "flows.json"), "utf8"), before);
  });

  it("gives the second of two editors saving on the same base the conflict", async () => {
    const { store } = await open();
    await store.saveVersion({ document: flow(), author: "ana", message: "" });
    const [ana, ben] = await Promise.all([
      store.saveVersion({ document: flow("pump", 2000), author: "ana", message: "", baseVersion: 1 }),
      store.saveVersion({ document: flow("pump", 3000), author: "ben", message: "", baseVersion: 1 }),
    ]);
    assert.equal(ana.ok, true);
    assert.ok(!ben.ok);
    assert.deepEqual(ben.conflict.diff.nodes.changed, [{ id: "avg", paths: ["config.window.sizeMs"] }]);
  });

  it("loses no save when many run at once", async () => {
    const { dir, store } = await open();
    await Promise.all(Array.from({ length: 12 }, (_, i) => store.saveVersion({ document: flow("pump", i + 1), author: `user${i}`, message: `${i}` })));
    const reopened = await LowdbFlowStore.open(dir);
    assert.deepEqual(reopened.listVersions("pump").map((v) => v.version), Array.from({ length: 12 }, (_, i) => i + 1));
    assert.deepEqual(reopened.listVersions("pump").map((v) => v.author).sort(), Array.from({ length: 12 }, (_, i) => `user${i}`).sort());
  });

  it("treats baseVersion 0 as create-only: a conflict when the flow exists", async () => {
    const { store } = await open();
    assert.equal((await store.saveVersion({ document: flow(), author: "ana", message: "", baseVersion: 0 })).ok, true);
    const again = await store.saveVersion({ document: flow(), author: "ben", message: "", baseVersion: 0 });
    assert.ok(!again.ok);
    assert.deepEqual(again.conflict.diff.nodes.added, ["src", "avg"]);
  });

  it("refuses a base version that never existed, and a base for a deleted flow", async () => {
    const { store } = await open();
    await store.saveVersion({ document: flow(), author: "ana", message: "" });
    for (const baseVersion of [7, -1, 1.5]) {
      await assert.rejects(store.saveVersion({ document: flow(), author: "ana", message: "", baseVersion }), coded("VERSION_NOT_FOUND"));
    }
    await store.deleteFlow("pump");
    await assert.rejects(store.saveVersion({ document: flow(), author: "ana", message: "", baseVersion: 1 }), coded("FLOW_NOT_FOUND", /no longer exists/));
  });
});

describe("flow store: ids", () => {
  const badIds = ["../x", "..", ".", "...", "%2e%2e", "%2e%2e%2fetc", "a/b", "a\\b", "/etc/passwd", "a\u0000b", "", " pump", "pümp", "x".repeat(129)];
  for (const id of badIds) {
    it(`refuses the id ${JSON.stringify(id)} everywhere (FLOW_ID_INVALID)`, async () => {
      const { dir, store } = await open();
      await assert.rejects(store.saveVersion({ document: { ...flow(), id }, author: "ana", message: "" }), coded("FLOW_ID_INVALID"));
      for (const read of [() => store.getFlow(id), () => store.listVersions(id), () => store.getVersion(id, 1), () => store.exportFlow(id), () => store.listDeployments(id)]) {
        assert.throws(read, coded("FLOW_ID_INVALID"));
      }
      await assert.rejects(store.deleteFlow(id), coded("FLOW_ID_INVALID"));
      await assert.rejects(store.setDeployed(id, 1, true), coded("FLOW_ID_INVALID"));
      assert.deepEqual(readdirSync(dir), []);
    });
  }

  it("accepts every character the flow format allows, and keeps __proto__ as plain data", async () => {
    const { dir } = await open();
    const store = await LowdbFlowStore.open(dir);
    for (const id of ["Pump-1.v2:line_3", "__proto__", "constructor"]) saved(await store.saveVersion({ document: flow(id), author: "ana", message: "" }));
    const reopened = await LowdbFlowStore.open(dir);
    assert.deepEqual(reopened.listFlows().map((f) => f.id), ["Pump-1.v2:line_3", "__proto__", "constructor"]);
    assert.equal(reopened.getVersion("__proto__", 1)?.document.id, "__proto__");
  });
});

describe("flow store: deployments", () => {
  it("records deployments and moves deployed and last-good versions", async () => {
    const { store } = await open();
    await store.saveVersion({ document: flow(), author: "ana", message: "" });
    await store.saveVersion({ document: flow("pump", 2), author: "ana", message: "" });
    await store.setDeployed("pump", 1, true);
    const failed = await store.recordDeployment({ flowId: "pump", version: 2, by: "op", at: "2025-03-01T09:00:00.000Z", outcome: "failed", durationMs: 12.5, error: { code: "NODE_START_FAILED", message: "broker down" } });
    await store.setDeployed("pump", 1, false);
    assert.match(failed.id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(store.listDeployments("pump"), [failed]);
    assert.equal(store.getFlow("pump")?.deployedVersion, 1);
    assert.equal(store.getFlow("pump")?.lastGoodVersion, 1);
    await store.setDeployed("pump", 2, true);
    assert.equal(store.getFlow("pump")?.lastGoodVersion, 2);
    await store.setDeployed("pump", undefined, false);
    assert.equal("deployedVersion" in store.getFlow("pump")!, false);
    assert.equal(store.getFlow("pump")?.lastGoodVersion, 2);
  });

  it("refuses deployments of unknown flows and versions", async () => {
    const { store } = await open();
    await store.saveVersion({ document: flow(), author: "ana", message: "" });
    const record = { flowId: "pump", version: 1, by: "op", at: "2025-03-01T09:00:00.000Z", outcome: "running", durationMs: 3 } as const;
    await assert.rejects(store.recordDeployment({ ...record, flowId: "nope" }), coded("FLOW_NOT_FOUND"));
    await assert.rejects(store.recordDeployment({ ...record, version: 2 }), coded("VERSION_NOT_FOUND"));
    await assert.rejects(store.recordDeployment({ ...record, durationMs: Number.NaN }), coded("STORE_WRITE_FAILED", /durationMs/));
    await assert.rejects(store.setDeployed("pump", 0, true), coded("VERSION_NOT_FOUND"));
    await assert.rejects(store.setDeployed("nope", undefined, false), coded("FLOW_NOT_FOUND"));
    assert.deepEqual(store.listDeployments("pump"), []);
  });

  it("deletes a flow with its versions and deployments", async () => {
    const { dir, store } = await open();
    await store.saveVersion({ document: flow(), author: "ana", message: "" });
    await store.saveVersion({ document: flow("other"), author: "ana", message: "" });
    await store.recordDeployment({ flowId: "pump", version: 1, by: "op", at: "2025-03-01T09:00:00.000Z", outcome: "running", durationMs: 3 });
    assert.equal(await store.deleteFlow("pump"), true);
    assert.equal(await store.deleteFlow("pump"), false);
    const reopened = await LowdbFlowStore.open(dir);
    assert.deepEqual(reopened.listFlows().map((f) => f.id), ["other"]);
    assert.deepEqual([reopened.listVersions("pump"), reopened.listDeployments("pump")], [[], []]);
  });
});

describe("flow store: export and import", () => {
  async function exported(): Promise<FlowBundle> {
    const { store } = await open();
    await store.saveVersion({ document: flow(), author: "ana", message: "one" });
    await store.saveVersion({ document: flow("pump", 2000), author: "ben", message: "two" });
    await store.setDeployed("pump", 2, true);
    return store.exportFlow("pump")!;
  }

  it("round-trips a flow with all its versions into another store, not deployed there", async () => {
    const bundle = await exported();
    const { store } = await open();
    const record = await store.importFlow(JSON.parse(JSON.stringify(bundle)) as FlowBundle);
    assert.deepEqual(record, { id: "pump", name: "Flow pump", createdAt: bundle.flow.createdAt, updatedAt: bundle.flow.updatedAt, latestVersion: 2 });
    assert.deepEqual(store.listVersions("pump"), bundle.versions.map(({ document: _d, ...info }) => info));
    const next = await store.saveVersion({ document: flow("pump", 3), author: "ana", message: "", baseVersion: 2 });
    assert.equal(saved(next).version, 3);
  });

  it("replaces an existing flow only when asked and only when it is not deployed", async () => {
    const bundle = await exported();
    const { store } = await open();
    await store.saveVersion({ document: flow("pump", 1, "x"), author: "local", message: "" });
    await assert.rejects(store.importFlow(bundle), coded("FLOW_EXISTS"));
    await store.setDeployed("pump", 1, true);
    await assert.rejects(store.importFlow(bundle, { replace: true }), coded("FLOW_DEPLOYED"));
    await store.setDeployed("pump", undefined, false);
    await store.importFlow(bundle, { replace: true });
    assert.deepEqual(store.listVersions("pump").map((v) => v.author), ["ana", "ben"]);
  });

  const tampered: Array<[string, (bundle: FlowBundle) => unknown, RegExp]> = [
    ["a document edited after export, naming the version", (b) => ((b.versions[1]!.document.nodes[0]!.config["rateHz"] = 99), b), /versions\[1\]\.hash: version 2's document does not match its hash/],
    ["a removed version", (b) => (b.versions.splice(0, 1), b), /versions\[0\]\.version: must be 1/],
    ["versions of another flow", (b) => ((b.versions[0] = { ...b.versions[0]!, flowId: "other" }), b), /versions\[0\]\.flowId/],
    ["a wrong format marker", (b) => ({ ...b, format: "aiotflow/flow-bundle@9" }), /format/],
    ["a version without a document", (b) => (delete (b.versions[0] as unknown as Record<string, unknown>)["document"], b), /versions\[0\]/],
    ["no versions at all", (b) => ({ ...b, versions: [] }), /no versions/],
    ["a latestVersion that does not match", (b) => ({ ...b, flow: { ...b.flow, latestVersion: 5 } }), /latestVersion/],
    ["null", () => null, /not a flow bundle/],
    ["a flow document instead of a bundle", () => flow(), /not a flow bundle/],
  ];
  for (const [name, change, message] of tampered) {
    it(`refuses a bundle with ${name} (IMPORT_INVALID), importing nothing`, async () => {
      const bundle = change(await exported()) as FlowBundle;
      const { store } = await open();
      await assert.rejects(store.importFlow(bundle), coded("IMPORT_INVALID", message));
      assert.deepEqual(store.listFlows(), []);
    });
  }

  it("refuses a bundle whose flow id escapes (FLOW_ID_INVALID)", async () => {
    const bundle = await exported();
    const { store } = await open();
    await assert.rejects(store.importFlow({ ...bundle, flow: { ...bundle.flow, id: ".." } }), coded("FLOW_ID_INVALID"));
  });
});

describe("flow store: damaged files", () => {
  async function storeFile(): Promise<{ dir: string; file: string; data: Record<string, unknown[]> }> {
    const { dir, store } = await open();
    await store.saveVersion({ document: flow(), author: "ana", message: "" });
    await store.saveVersion({ document: flow("pump", 2), author: "ana", message: "" });
    const file = join(dir, "flows.json");
    return { dir, file, data: JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown[]> };
  }

  const damage: Array<[string, (text: string, data: Record<string, unknown[]>) => string, RegExp]> = [
    ["text cut short", (text) => text.slice(0, text.length / 2), /invalid JSON at line \d+, column \d+/],
    ["a document edited by hand", (_t, data) => JSON.stringify(data).replace('"sizeMs":2', '"sizeMs":3'), /versions\[1\]\.hash: version 2's document does not match/],
    ["a version deleted by hand", (_t, data) => JSON.stringify({ ...data, versions: data["versions"]!.slice(1) }), /latestVersion/],
    ["a field of the wrong type", (_t, data) => JSON.stringify({ ...data, flows: [{ ...(data["flows"]![0] as object), latestVersion: "2" }] }), /flows\[0\]\.latestVersion/],
    ["a missing section", (_t, data) => JSON.stringify({ ...data, deployments: undefined }), /missing required field "deployments"/],
  ];
  for (const [name, change, message] of damage) {
    it(`refuses to open a store file with ${name} (STORE_CORRUPT), naming the file`, async () => {
      const { dir, file, data } = await storeFile();
      writeFileSync(file, change(readFileSync(file, "utf8"), data));
      await assert.rejects(LowdbFlowStore.open(dir), (e: unknown) => coded("STORE_CORRUPT", message)(e) && (e as AiotError).details.file === file);
    });
  }
});
