import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { flowOf } from "../../../test/support/test-nodes.ts";
import { sampleFlow, startApi, type TestApi } from "../../../test/support/api.ts";
import { until, within } from "../../../test/support/wait.ts";

/** A flow with an unknown node type, a bad config value and an edge to a missing node. */
function brokenFlow(id = "line-1") {
  return flowOf([["src", "test-source"], ["a", "test-stpe"], ["b", "test-step", { add: "three" }]], ["src.out->ghost.in"], id);
}

describe("flow routes", () => {
  let t: TestApi;
  beforeEach(async () => (t = await startApi()));
  afterEach(() => t.close());

  const create = (document: unknown, as: "editor" | "viewer" = "editor") => t.request("POST", "/api/flows", { as, body: { document, message: "first" } });

  it("creates a flow as version 1, lists it and reads it back with its document", async () => {
    const created = await create(sampleFlow("line-1", "Line 1"));
    assert.equal(created.status, 201);
    assert.equal(created.body.flow.latestVersion, 1);
    assert.equal(created.body.version.author, "editor");
    assert.equal(created.body.version.message, "first");
    assert.equal(created.body.version.document, undefined);
    const list = await t.request("GET", "/api/flows", { as: "viewer" });
    assert.deepEqual(list.body.flows.map((f: { id: string }) => f.id), ["line-1"]);
    const read = await t.request("GET", "/api/flows/line-1", { as: "viewer" });
    assert.equal(read.body.version.document.name, "Line 1");
    const audit = t.audit.records.at(-1)!;
    assert.deepEqual([audit.action, audit.target, audit.after, audit.before], ["flow.create", "flow:line-1", created.body.version.hash, undefined]);
  });

  it("refuses a flow that fails validation with 422 listing every problem with code, path and body line", async () => {
    const reply = await t.request("POST", "/api/flows", { as: "editor", raw: JSON.stringify({ document: brokenFlow() }, null, 2) });
    assert.equal(reply.status, 422);
    assert.equal(reply.body.error.code, "FLOW_INVALID");
    assert.deepEqual(
      reply.body.error.problems.map((p: { code: string; path: string }) => `${p.path} ${p.code}`),
      ["nodes[1].type FLOW_UNKNOWN_NODE_TYPE", "nodes[2].config.add NODE_CONFIG_INVALID", "edges[0].to.node FLOW_EDGE_UNKNOWN_NODE"],
    );
    for (const problem of reply.body.error.problems) {
      assert.match(problem.location, /^body:\d+:\d+$/);
      assert.ok(problem.hint && problem.message);
    }
    assert.equal(t.flows.listFlows().length, 0);
  });

  it("validates without storing, with the same problems as `aiotflow validate`", async () => {
    const bad = await t.request("POST", "/api/flows/validate", { as: "viewer", body: brokenFlow() });
    assert.equal(bad.status, 200);
    assert.equal(bad.body.ok, false);
    assert.deepEqual(
      bad.body.problems.map((p: { path: string; message: string; code: string }) => `${p.path}: ${p.message} [${p.code}]`),
      [
        'nodes[1].type: unknown node type "test-stpe" (did you mean "test-step"?) [FLOW_UNKNOWN_NODE_TYPE]',
        "nodes[2].config.add: must be number [NODE_CONFIG_INVALID]",
        'edges[0].to.node: no node with id "ghost" [FLOW_EDGE_UNKNOWN_NODE]',
      ],
    );
    const good = await t.request("POST", "/api/flows/validate", { as: "viewer", body: sampleFlow() });
    assert.deepEqual(good.body, { ok: true, problems: [], nodes: 2, edges: 1 });
    assert.equal(t.flows.listFlows().length, 0);
    assert.equal(t.audit.records.length, 0);
  });

  it("refuses to create a flow whose id exists, or is only dots", async () => {
    await create(sampleFlow());
    const again = await create(sampleFlow());
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, "FLOW_EXISTS");
    const dots = await create(sampleFlow(".."));
    assert.equal(dots.status, 400);
    assert.equal(dots.body.error.code, "ID_INVALID");
  });

  it("saves a new version on top of the latest", async () => {
    await create(sampleFlow());
    const saved = await t.request("PUT", "/api/flows/line-1", { as: "editor", body: { document: sampleFlow("line-1", "Renamed"), baseVersion: 1, message: "rename" } });
    assert.equal(saved.status, 200);
    assert.equal(saved.body.version.version, 2);
    assert.equal(saved.body.flow.name, "Renamed");
    const [v1, v2] = t.flows.listVersions("line-1");
    const audit = t.audit.records.at(-1)!;
    assert.deepEqual([audit.action, audit.before, audit.after], ["flow.save", v1!.hash, v2!.hash]);
  });

  it("answers two editors saving on the same base: the second gets 409 with the diff, nothing stored", async () => {
    await create(sampleFlow());
    const first = flowOf([["src", "test-source"], ["step", "test-step"], ["out", "test-sink"]], ["src.out->step.in", "step.out->out.in"], "line-1");
    const second = { ...sampleFlow("line-1", "Line one") };
    assert.equal((await t.request("PUT", "/api/flows/line-1", { as: "editor", body: { document: first, baseVersion: 1 } })).status, 200);
    const conflict = await t.request("PUT", "/api/flows/line-1", { as: "editor", body: { document: second, baseVersion: 1 } });
    assert.equal(conflict.status, 409);
    assert.equal(conflict.body.error.code, "VERSION_CONFLICT");
    assert.equal(conflict.body.error.base, 1);
    assert.equal(conflict.body.error.latest.version, 2);
    assert.deepEqual(conflict.body.error.diff.nodes.added, ["step"]);
    assert.deepEqual(conflict.body.error.diff.edges, { added: ["e1"], removed: [], changed: ["e0"] });
    assert.equal(t.flows.getFlow("line-1")?.latestVersion, 2);
    assert.equal(t.audit.records.at(-1)?.outcome, "failed");
  });

  it("refuses a document whose id is not the flow's", async () => {
    await create(sampleFlow());
    const reply = await t.request("PUT", "/api/flows/line-1", { as: "editor", body: { document: sampleFlow("line-2"), baseVersion: 1 } });
    assert.equal(reply.status, 400);
    assert.equal(reply.body.error.code, "FLOW_ID_MISMATCH");
    assert.equal(reply.body.error.path, "document.id");
  });

  it("answers 404 for unknown flows on every flow route", async () => {
    const routes: Array<[string, string, unknown?]> = [
      ["GET", "/api/flows/ghost"],
      ["PUT", "/api/flows/ghost", { document: sampleFlow("ghost"), baseVersion: 1 }],
      ["DELETE", "/api/flows/ghost"],
      ["GET", "/api/flows/ghost/versions"],
      ["GET", "/api/flows/ghost/versions/1"],
      ["GET", "/api/flows/ghost/diff"],
      ["POST", "/api/flows/ghost/deploy"],
      ["POST", "/api/flows/ghost/stop"],
      ["POST", "/api/flows/ghost/rollback"],
      ["GET", "/api/flows/ghost/export"],
    ];
    for (const [method, path, body] of routes) {
      const reply = await t.request(method, path, { body });
      assert.equal(reply.status, 404, `${method} ${path}`);
      assert.equal(reply.body.error.code, "FLOW_NOT_FOUND", `${method} ${path}`);
    }
  });

  it("deletes a stopped flow, and refuses to delete a deployed one", async () => {
    await create(sampleFlow("a"));
    await create(sampleFlow("b"));
    await t.request("POST", "/api/flows/b/deploy", { as: "operator" });
    const refused = await t.request("DELETE", "/api/flows/b", { as: "editor" });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, "FLOW_DEPLOYED");
    assert.equal((await t.request("DELETE", "/api/flows/a", { as: "editor" })).body.deleted, "a");
    assert.deepEqual(t.flows.listFlows().map((f) => f.id), ["b"]);
    assert.equal(t.audit.records.at(-1)?.action, "flow.delete");
  });

  it("refuses to delete a flow the runtime knows in any state (stopped, failed), not only running", async () => {
    await create(sampleFlow("b"));
    for (const state of ["failed", "stopped"] as const) {
      t.runtime.states.set("b", { flowId: "b", version: 1, state, since: new Date().toISOString(), nodes: [] });
      const refused = await t.request("DELETE", "/api/flows/b", { as: "editor" });
      assert.equal(refused.status, 409, state);
      assert.equal(refused.body.error.code, "FLOW_DEPLOYED", state);
    }
    assert.ok(t.flows.getFlow("b"));
  });

  it("waits for a deploy in flight before deleting: the delete sees the flow running and refuses", async () => {
    await create(sampleFlow("b"));
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
    const deploying = t.request("POST", "/api/flows/b/deploy", { as: "operator" });
    await within(deployHeld, "the deploy to reach the runtime");
    // The delete route looks the flow up and, in the same turn, queues behind the deploy.
    let lookedUp = false;
    const getFlow = t.flows.getFlow;
    t.flows.getFlow = (id) => ((lookedUp = true), getFlow(id));
    const deleting = t.request("DELETE", "/api/flows/b", { as: "editor" });
    await until(() => lookedUp, "the delete to queue behind the deploy");
    release();
    const [deployed, deleted] = await Promise.all([deploying, deleting]);
    assert.equal(deployed.status, 200);
    assert.equal(deleted.status, 409);
    assert.equal(deleted.body.error.code, "FLOW_DEPLOYED");
    assert.equal(t.flows.getFlow("b")?.deployedVersion, 1);
  });
});
