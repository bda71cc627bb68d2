import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { flowOf } from "../../../test/support/test-nodes.ts";
import { sampleFlow, startApi, type TestApi } from "../../../test/support/api.ts";

describe("version routes", () => {
  let t: TestApi;
  const withStep = (add: number) =>
    flowOf([["src", "test-source"], ["step", "test-step", { add }], ["out", "test-sink"]], ["src.out->step.in", "step.out->out.in"], "line-1");

  beforeEach(async () => {
    t = await startApi();
    await t.request("POST", "/api/flows", { as: "editor", body: { document: sampleFlow() } });
    await t.request("PUT", "/api/flows/line-1", { as: "editor", body: { document: withStep(1), baseVersion: 1, message: "add a step" } });
    await t.request("PUT", "/api/flows/line-1", { as: "editor", body: { document: withStep(5), baseVersion: 2, message: "add more" } });
  });
  afterEach(() => t.close());

  it("lists every version with number, author, time, hash and message", async () => {
    const reply = await t.request("GET", "/api/flows/line-1/versions", { as: "viewer" });
    assert.deepEqual(
      reply.body.versions.map((v: { version: number; author: string; message: string }) => [v.version, v.author, v.message]),
      [[1, "editor", "created"], [2, "editor", "add a step"], [3, "editor", "add more"]],
    );
    for (const v of reply.body.versions) assert.match(v.hash, /^[0-9a-f]{64}$/);
  });

  it("fetches one version with its document, and 404s a version that does not exist", async () => {
    const v2 = await t.request("GET", "/api/flows/line-1/versions/2", { as: "viewer" });
    assert.equal(v2.body.version.document.nodes[1].config.add, 1);
    const missing = await t.request("GET", "/api/flows/line-1/versions/9", { as: "viewer" });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, "VERSION_NOT_FOUND");
  });

  it("diffs two versions: nodes, edges and config paths", async () => {
    const reply = await t.request("GET", "/api/flows/line-1/diff?from=1&to=3", { as: "viewer" });
    assert.equal(reply.status, 200);
    assert.deepEqual([reply.body.from, reply.body.to], [1, 3]);
    assert.deepEqual(reply.body.diff.nodes.added, ["step"]);
    const latest = await t.request("GET", "/api/flows/line-1/diff", { as: "viewer" });
    assert.deepEqual([latest.body.from, latest.body.to], [2, 3]);
    assert.deepEqual(latest.body.diff.nodes.changed, [{ id: "step", paths: ["config.add"] }]);
    const bad = await t.request("GET", "/api/flows/line-1/diff?from=0", { as: "viewer" });
    assert.equal(bad.body.error.code, "API_QUERY_INVALID");
    const missing = await t.request("GET", "/api/flows/line-1/diff?from=1&to=7", { as: "viewer" });
    assert.equal(missing.body.error.code, "VERSION_NOT_FOUND");
  });

  it("restores an old version as a new version, audited with before and after hashes", async () => {
    const reply = await t.request("POST", "/api/flows/line-1/versions/1/restore", { as: "editor" });
    assert.equal(reply.status, 201);
    assert.equal(reply.body.version.version, 4);
    assert.equal(reply.body.version.message, "restored version 1");
    const [v1, , v3, v4] = t.flows.listVersions("line-1");
    assert.equal(v4!.hash, v1!.hash);
    const audit = t.audit.records.at(-1)!;
    assert.deepEqual([audit.action, audit.before, audit.after], ["version.restore", v3!.hash, v4!.hash]);
  });

  it("refuses a restore on a stale base with 409 and the diff", async () => {
    const reply = await t.request("POST", "/api/flows/line-1/versions/1/restore", { as: "editor", body: { baseVersion: 2 } });
    assert.equal(reply.status, 409);
    assert.deepEqual(reply.body.error.diff.nodes.changed, [{ id: "step", paths: ["config.add"] }]);
    assert.equal(t.flows.getFlow("line-1")?.latestVersion, 3);
  });

  it("refuses to restore a version that no longer validates (422 with every problem), storing nothing", async () => {
    await t.flows.saveVersion({ document: flowOf([["x", "retired-type"], ["y", "retired-type"]], [], "line-1"), author: "editor", message: "old", baseVersion: 3 });
    await t.request("PUT", "/api/flows/line-1", { as: "editor", body: { document: withStep(7), baseVersion: 4 } });
    const reply = await t.request("POST", "/api/flows/line-1/versions/4/restore", { as: "editor" });
    assert.equal(reply.status, 422);
    assert.equal(reply.body.error.code, "FLOW_INVALID");
    assert.equal(reply.body.error.problems.length, 2);
    assert.equal(t.flows.getFlow("line-1")?.latestVersion, 5);
  });
});
