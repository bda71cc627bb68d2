import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { AiotError, ERROR_CATALOGUE } from "../../sdk/errors.ts";
import { sampleFlow, startApi, type TestApi } from "../../../test/support/api.ts";

describe("deploy routes", () => {
  let t: TestApi;
  beforeEach(async () => {
    t = await startApi();
    await t.request("POST", "/api/flows", { as: "editor", body: { document: sampleFlow("line-1", "one") } });
    await t.request("PUT", "/api/flows/line-1", { as: "editor", body: { document: sampleFlow("line-1", "two"), baseVersion: 1 } });
  });
  afterEach(() => t.close());

  const deploy = (body?: unknown) => t.request("POST", "/api/flows/line-1/deploy", { as: "operator", body });

  it("deploys the latest version, records the deployment and what runs, and audits it", async () => {
    const reply = await deploy();
    assert.equal(reply.status, 200);
    assert.equal(reply.body.deployment.version, 2);
    assert.equal(reply.body.deployment.outcome, "running");
    assert.deepEqual(reply.body.report.added, ["src", "out"]);
    assert.equal(reply.body.flow.deployedVersion, 2);
    assert.equal(reply.body.flow.lastGoodVersion, 2);
    assert.deepEqual(t.runtime.deploys, [{ flowId: "line-1", version: 2 }]);
    const audit = t.audit.records.at(-1)!;
    assert.deepEqual([audit.action, audit.actor, audit.outcome, audit.after], ["flow.deploy", "operator", "ok", t.flows.getVersion("line-1", 2)!.hash]);
  });

  it("deploys a chosen version and says what ran before it in the audit", async () => {
    await deploy({ version: 1 });
    const reply = await deploy({ version: 2 });
    assert.equal(reply.body.flow.deployedVersion, 2);
    const audit = t.audit.records.at(-1)!;
    assert.equal(audit.before, t.flows.getVersion("line-1", 1)!.hash);
    assert.equal(audit.detail?.["previous"], 1);
  });

  it("reports a failed start with why, keeps the previous version running and records the failure", async () => {
    await deploy({ version: 1 });
    t.runtime.failNextDeploy({ code: "NODE_START_FAILED", message: 'node "src": device unreachable' });
    const reply = await deploy({ version: 2 });
    assert.equal(reply.status, 500);
    assert.equal(reply.body.error.code, "DEPLOY_FAILED");
    assert.equal(reply.body.error.message, 'deploying flow "line-1" version 2 failed: node "src": device unreachable; version 1 keeps running');
    assert.deepEqual(reply.body.error.cause, { code: "NODE_START_FAILED", message: 'node "src": device unreachable', hint: ERROR_CATALOGUE.NODE_START_FAILED });
    assert.equal(reply.body.error.running, 1);
    const record = t.flows.getFlow("line-1")!;
    assert.deepEqual([record.deployedVersion, record.lastGoodVersion], [1, 1]);
    assert.deepEqual(t.flows.listDeployments("line-1").map((d) => d.outcome), ["running", "failed"]);
    assert.equal(t.audit.records.at(-1)?.outcome, "failed");
  });

  it("answers 422 with the cause's code and what to do when the flow refers to something missing (a model)", async () => {
    t.runtime.failNextDeploy({ code: "MODEL_NOT_FOUND", message: 'node "score" (onnx-inference) could not be created: no model "no-such-model"' });
    const reply = await deploy();
    assert.equal(reply.status, 422);
    assert.equal(reply.body.error.cause.code, "MODEL_NOT_FOUND");
    assert.equal(reply.body.error.cause.hint, ERROR_CATALOGUE.MODEL_NOT_FOUND);
  });

  it("answers 422 when the flow's content is at fault (with the problems)", async () => {
    const problems = [{ code: "SECRET_MISSING", message: 'no secret "db"', path: "nodes[0].config.password" }];
    t.runtime.failNextDeploy({ code: "FLOW_INVALID", message: "flow has 1 problem", problems });
    const reply = await deploy();
    assert.equal(reply.status, 422);
    assert.deepEqual(reply.body.error.problems, problems);
    assert.match(reply.body.error.message, /nothing was running before$/);
    assert.equal(reply.body.error.hint, ERROR_CATALOGUE.DEPLOY_FAILED);
    assert.match(reply.body.error.hint, /if none was, the flow stays stopped/, "a first deploy's hint does not claim a previous version keeps running");
  });

  it("rolls back to the last version that ran before the current one", async () => {
    await deploy({ version: 1 });
    await deploy({ version: 2 });
    const reply = await t.request("POST", "/api/flows/line-1/rollback", { as: "operator" });
    assert.equal(reply.status, 200);
    assert.equal(reply.body.deployment.version, 1);
    assert.equal(reply.body.deployment.outcome, "rolled-back");
    assert.equal(t.flows.getFlow("line-1")?.deployedVersion, 1);
    assert.equal(t.audit.records.at(-1)?.action, "flow.rollback");
  });

  it("refuses a rollback when no other version ever ran", async () => {
    await deploy();
    const reply = await t.request("POST", "/api/flows/line-1/rollback", { as: "operator" });
    assert.equal(reply.status, 409);
    assert.equal(reply.body.error.code, "ROLLBACK_UNAVAILABLE");
  });

  it("stops a flow and clears what runs", async () => {
    await deploy();
    const reply = await t.request("POST", "/api/flows/line-1/stop", { as: "operator" });
    assert.equal(reply.body.stopped, true);
    assert.equal(reply.body.flow.deployedVersion, undefined);
    assert.equal(reply.body.flow.lastGoodVersion, 2);
    assert.equal(t.runtime.flows().length, 0);
    assert.equal((await t.request("POST", "/api/flows/line-1/stop", { as: "operator" })).body.stopped, false);
  });

  it("runs concurrent deploys of one flow one after the other", async () => {
    const replies = await Promise.all([deploy({ version: 1 }), deploy({ version: 2 }), deploy({ version: 1 })]);
    assert.deepEqual(replies.map((r) => r.status), [200, 200, 200]);
    assert.deepEqual(t.runtime.deploys.map((d) => d.version), [1, 2, 1]);
    assert.equal(t.flows.getFlow("line-1")?.deployedVersion, 1);
  });

  it("lists deployments, and shows the runtime's flows and metrics", async () => {
    await deploy();
    t.runtime.nodeMetrics.set("line-1", []);
    assert.equal((await t.request("GET", "/api/flows/line-1/deployments", { as: "viewer" })).body.deployments.length, 1);
    const runtime = await t.request("GET", "/api/runtime", { as: "viewer" });
    assert.deepEqual(runtime.body.flows.map((f: { flowId: string; state: string }) => [f.flowId, f.state]), [["line-1", "running"]]);
    assert.deepEqual((await t.request("GET", "/api/runtime/line-1/metrics", { as: "viewer" })).body, { flowId: "line-1", nodes: [] });
    const missing = await t.request("GET", "/api/runtime/ghost/metrics", { as: "viewer" });
    assert.equal(missing.status, 404);
  });

  it("puts the runtime back when the store cannot record a deployment (nothing ran before: stopped)", async () => {
    t.flows.setDeployed = async () => {
      throw new AiotError("STORE_WRITE_FAILED", "disk full");
    };
    const reply = await deploy({ version: 2 });
    assert.equal(reply.status, 503);
    assert.equal(reply.body.error.code, "STORE_WRITE_FAILED");
    assert.deepEqual(t.runtime.flows(), []);
  });

  it("puts the runtime back when the store cannot record a deployment (the previous version runs again)", async () => {
    await deploy({ version: 1 });
    t.flows.setDeployed = async () => {
      throw new AiotError("STORE_WRITE_FAILED", "disk full");
    };
    const reply = await deploy({ version: 2 });
    assert.equal(reply.status, 503);
    assert.deepEqual(t.runtime.flows().map((f) => [f.version, f.state]), [[1, "running"]]);
    assert.deepEqual(t.runtime.deploys.map((d) => d.version), [1, 2, 1]);
  });

  it("reads a cut-off failure summary as the summary and its first problem", async () => {
    const problems = [{ code: "SECRET_MISSING", message: 'no secret "db"', path: "nodes[0].config.password" }];
    t.runtime.failNextDeploy({ code: "FLOW_INVALID", message: "flow has 1 problem:", problems });
    const reply = await deploy();
    assert.equal(reply.body.error.message, 'deploying flow "line-1" version 2 failed: flow has 1 problem: no secret "db"; nothing was running before');
    t.runtime.failNextDeploy({ code: "FLOW_INVALID", message: "flow has 2 problems:" });
    assert.doesNotMatch((await deploy()).body.error.message, /:;/);
  });

  it("refuses a JSON null body with 400 API_BODY_INVALID", async () => {
    const reply = await t.request("POST", "/api/flows/line-1/deploy", { as: "operator", raw: "null" });
    assert.equal(reply.status, 400);
    assert.equal(reply.body.error.code, "API_BODY_INVALID");
    assert.deepEqual(t.runtime.deploys, []);
  });
});
