import { contentHash } from "../../store/canonical.ts";
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { flowOf } from "../../../test/support/test-nodes.ts";
import { sampleFlow, startApi, type TestApi } from "../../../test/support/api.ts";
import { until, within } from "../../../test/support/wait.ts";

describe("import and export", () => {
  let t: TestApi;
  beforeEach(async () => {
    t = await startApi();
    await t.request("POST", "/api/flows", { as: "editor", body: { document: sampleFlow("line-1", "one") } });
    await t.request("PUT", "/api/flows/line-1", { as: "editor", body: { document: sampleFlow("line-1", "two"), baseVersion: 1 } });
  });
  afterEach(() => t.close());

  const exported = async () => (await t.request("GET", "/api/flows/line-1/export", { as: "viewer" })).body;
  const importing = (bundle: unknown, query = "") => t.request("POST", `/api/flows/import${query}`, { as: "editor", body: bundle });

  it("exports a flow with every version as one attachment and imports it back", async () => {
    const reply = await t.request("GET", "/api/flows/line-1/export", { as: "viewer" });
    assert.equal(reply.headers.get("content-disposition"), 'attachment; filename="line-1.flow-bundle.json"');
    assert.equal(reply.body.format, "aiotflow/flow-bundle@1");
    assert.equal(reply.body.versions.length, 2);
    await t.request("DELETE", "/api/flows/line-1", { as: "editor" });
    const back = await importing(reply.body);
    assert.equal(back.status, 201);
    assert.equal(back.body.flow.latestVersion, 2);
    assert.deepEqual(t.flows.listVersions("line-1").map((v) => v.message), ["created", ""]);
    const audit = t.audit.records.at(-1)!;
    assert.deepEqual([audit.action, audit.target, audit.after], ["flow.import", "flow:line-1", reply.body.versions[1].hash]);
  });

  it("refuses to overwrite a flow unless asked, and never a deployed one", async () => {
    const bundle = await exported();
    const refused = await importing(bundle);
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, "FLOW_EXISTS");
    assert.equal((await importing(bundle, "?replace=true")).status, 201);
    await t.request("POST", "/api/flows/line-1/deploy", { as: "operator" });
    const deployed = await importing(bundle, "?replace=true");
    assert.equal(deployed.body.error.code, "FLOW_DEPLOYED");
  });

  it("refuses bundles with misnumbered versions, foreign versions or a broken latest version", async () => {
    const bundle = await exported();
    const cases: Array<[string, (b: typeof bundle) => void, number, string, string?]> = [
      ["a gap in the numbers", (b) => (b.versions[1].version = 3), 400, "IMPORT_INVALID", "versions[1].version"],
      ["a version of another flow", (b) => (b.versions[0].flowId = "other"), 400, "IMPORT_INVALID", "versions[0].flowId"],
      ["a document of another flow", (b) => (b.versions[0].document.id = "other"), 400, "IMPORT_INVALID", "versions[0].document.id"],
      ["a path trick as the id", (b) => (b.flow.id = "../etc"), 400, "API_BODY_INVALID", "body.flow.id"],
      ["no versions", (b) => (b.versions = []), 400, "API_BODY_INVALID"],
      ["an unknown format", (b) => (b.format = "zip"), 400, "API_BODY_INVALID"],
      ["an invalid latest version", (b) => (b.versions[1].document = flowOf([["x", "no-such-type"]], [], "line-1")), 422, "FLOW_INVALID"],
    ];
    for (const [what, spoil, status, code, path] of cases) {
      const copy = structuredClone(bundle);
      spoil(copy);
      const reply = await importing(copy, "?replace=true");
      assert.equal(reply.status, status, what);
      assert.equal(reply.body.error.code, code, what);
      if (path) assert.equal(reply.body.error.path, path, what);
    }
    assert.equal(t.flows.listVersions("line-1").length, 2);
  });

  it("refuses to replace a flow the runtime knows in any state, and waits for a deploy in flight", async () => {
    const bundle = await exported();
    t.runtime.states.set("line-1", { flowId: "line-1", version: 2, state: "failed", since: new Date().toISOString(), nodes: [] });
    const failed = await importing(bundle, "?replace=true");
    assert.equal(failed.status, 409);
    assert.equal(failed.body.error.code, "FLOW_DEPLOYED");
    t.runtime.states.clear();

    const deploy = t.runtime.deploy.bind(t.runtime);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let held!: () => void;
    const deployHeld = new Promise<void>((resolve) => (held = resolve));
    t.runtime.deploy = async (...args) => {
      held();
      await gate;
      return deploy(...args);
    };
    const deploying = t.request("POST", "/api/flows/line-1/deploy", { as: "operator" });
    await within(deployHeld, "the deploy to reach the runtime");
    // The import route checks the bundle's graphs against the catalog and, in the same turn, queues
    // behind the deploy: its first catalog lookup says it is there.
    let checked = false;
    const catalog = t.deps.catalog;
    const lookUp = catalog.get.bind(catalog);
    catalog.get = (type) => ((checked = true), lookUp(type));
    const replacing = importing(bundle, "?replace=true");
    await until(() => checked, "the import to queue behind the deploy");
    release();
    const [deployed, replaced] = await Promise.all([deploying, replacing]);
    assert.equal(deployed.status, 200);
    assert.equal(replaced.body.error?.code, "FLOW_DEPLOYED");
    assert.equal(t.flows.getFlow("line-1")?.deployedVersion, 2);
  });

  it("checks every version's graph (ids, edges), keeps authors and times, and audits the importer", async () => {
    const bundle = await exported();
    const dangling = structuredClone(bundle);
    dangling.versions[0].document.edges[0].to.node = "ghost";
    const refused = await importing(dangling, "?replace=true");
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.code, "IMPORT_INVALID");
    assert.equal(refused.body.error.path, "versions[0].document.edges[0].to.node");

    // An old version whose node type has left the catalog is still history worth keeping.
    const oldType = structuredClone(bundle);
    oldType.versions[0].document = flowOf([["x", "retired-type"]], [], "line-1");
    oldType.versions[0].hash = contentHash(oldType.versions[0].document);
    const reply = await t.request("POST", "/api/flows/import?replace=true", { as: "admin", body: oldType });
    assert.equal(reply.status, 201);
    assert.deepEqual(t.flows.listVersions("line-1").map((v) => [v.author, v.createdAt]), bundle.versions.map((v: { author: string; createdAt: string }) => [v.author, v.createdAt]));
    const audit = t.audit.records.at(-1)!;
    assert.equal(audit.actor, "admin");
    assert.equal(audit.detail?.["importedBy"], "admin");
    assert.deepEqual(audit.detail?.["authors"], ["editor"]);
  });
});
