import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { flowOf } from "../../../test/support/test-nodes.ts";
import { sampleFlow, startApi, type TestApi } from "../test-support.ts";

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
});
