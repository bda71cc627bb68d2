import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deploySummary, describeProblem, failedNodes, onDeployAnswer, onDeployEvent, onDeployFailure, phaseTrack, rollbackTarget, startDeploy } from "./deploy-progress.ts";

const event = (phase: string, extra: Record<string, unknown> = {}) => ({ type: "deploy", flowId: "line", version: 3, phase, at: 1_700_000_000_000, ...extra });

describe("deploy progress", () => {
  it("follows the runtime's phases, then the API's answer", () => {
    let state = startDeploy("line", "deploy");
    assert.equal(deploySummary(state), "Deploying line…");
    state = onDeployEvent(state, event("validating"));
    state = onDeployEvent(state, event("starting"));
    assert.deepEqual(phaseTrack(state).map((p) => [p.phase, p.reached]), [["validating", true], ["starting", true], ["running", false]]);
    state = onDeployEvent(state, event("running"));
    state = onDeployAnswer(state, { deployment: { version: 3, at: "2026-11-27T18:00:00.000Z", durationMs: 12.4, by: "ana" } });
    assert.equal(state.status, "running");
    assert.match(deploySummary(state), /^Deployed line version 3: running \(12 ms\), took effect at /);
    assert.ok(phaseTrack(state).every((p) => p.reached));
  });

  it("ignores events of other flows, other types and malformed ones", () => {
    const state = startDeploy("line", "deploy");
    for (const bad of [null, "deploy", 7, { type: "debug", flowId: "line" }, event("running", { flowId: "other" }), event("exploded"), event("running", { version: "3" }), event("running", { at: undefined })]) {
      assert.equal(onDeployEvent(state, bad), state, JSON.stringify(bad));
    }
  });

  it("names the coded problems of a failed deploy and says the previous version keeps running", () => {
    let state = onDeployEvent(startDeploy("line", "deploy"), event("failed", { detail: "flow has 1 problem; version 2 keeps running" }));
    state = onDeployFailure(state, {
      code: "DEPLOY_FAILED",
      message: 'deploying flow "line" version 3 failed: bad config; version 2 keeps running',
      details: {
        cause: { code: "FLOW_INVALID", message: "flow has 1 problem" },
        problems: [{ code: "NODE_CONFIG_INVALID", message: "must be >= 1", node: "avg", path: "nodes[2].config.window.sizeMs" }, "junk", { code: "X" }],
        running: 2,
      },
    });
    assert.equal(state.status, "failed");
    assert.deepEqual(state.failure?.problems.map(describeProblem), ["node avg nodes[2].config.window.sizeMs: must be >= 1 (NODE_CONFIG_INVALID)"]);
    assert.equal(deploySummary(state), 'Deploy of line failed: DEPLOY_FAILED: deploying flow "line" version 3 failed: bad config; version 2 keeps running.', "said once");
    assert.deepEqual(state.failure?.nodes, ["avg"]);
    assert.deepEqual(phaseTrack(state).map((p) => p.phase), ["validating", "starting", "failed"]);
    assert.equal(phaseTrack(state)[2]?.detail, "flow has 1 problem; version 2 keeps running");
  });

  it("uses the cause as the problem when no list came, and says when nothing ran before", () => {
    const state = onDeployFailure(startDeploy("line", "deploy"), { code: "DEPLOY_FAILED", message: "x", details: { cause: { code: "SECRET_MISSING", message: 'no secret "db"' }, running: null } });
    assert.deepEqual(state.failure?.problems, [{ code: "SECRET_MISSING", message: 'no secret "db"' }]);
    assert.match(deploySummary(state), /: x\. Nothing was running before\.$/);
    const kept = onDeployFailure(startDeploy("line", "deploy"), { code: "DEPLOY_FAILED", message: "it broke.", details: { running: 5 } });
    assert.equal(deploySummary(kept), "Deploy of line failed: DEPLOY_FAILED: it broke. The previous version 5 keeps running.", "no doubled full stop");
  });

  it("shows a refusal as a refusal with no phases, not as a failed deploy", () => {
    const refused = onDeployFailure(startDeploy("line", "rollback"), { code: "ROLLBACK_UNAVAILABLE", message: "no other version ran" });
    assert.equal(refused.status, "refused");
    assert.equal(deploySummary(refused), "Rollback of line refused: ROLLBACK_UNAVAILABLE: no other version ran.");
    assert.deepEqual(phaseTrack(refused), []);
    assert.deepEqual(refused.failure?.problems, []);
    const afterPhases = onDeployFailure(onDeployEvent(startDeploy("line", "deploy"), event("validating")), { code: "NETWORK", message: "server away" });
    assert.equal(afterPhases.status, "failed", "once a phase ran, it is a failed deploy");
  });

  it("takes the cause's hint and names the failing node for the canvas", () => {
    const state = onDeployFailure(startDeploy("line", "deploy"), {
      code: "MODEL_NOT_FOUND",
      message: 'deploying flow "line" version 5 failed: node "score": no model "no-such-model"; version 4 keeps running',
      details: { cause: { code: "MODEL_NOT_FOUND", message: 'node "score": no model "no-such-model"', hint: "Register the model first." }, running: 4 },
    });
    assert.equal(state.status, "failed");
    assert.equal(state.failure?.hint, "Register the model first.");
    assert.deepEqual(state.failure?.nodes, ["score"], "from the cause's message when no field names it");
    assert.equal(deploySummary(state).match(/keeps running/g)?.length, 1);
    assert.deepEqual(failedNodes({ message: "m", details: { cause: { node: "a", path: "nodes[1].config.model" }, node: "a" } }, ["x", "b"]), ["a", "b"]);
    assert.deepEqual(failedNodes({ message: "m", details: { problems: [null, 7, { path: "nodes[9]" }, { path: "edges[0]" }] } }, ["x"]), [], "bad paths and junk name nothing");
    assert.deepEqual(failedNodes({ message: 'node "" and node "q"' }), ["q"]);
    assert.deepEqual(failedNodes({ message: 'flow failed: source "replay" (replay) failed', details: { problems: [{ message: 'source "rep" (replay) failed to start' }] } }), ["rep"], "the first message that names one");
  });

  it("knows when there is nothing to roll back to, as the server decides it", () => {
    const d = (version: number, at: string, outcome: string) => ({ version, at, outcome });
    assert.equal(rollbackTarget([], undefined, undefined), undefined, "never deployed");
    assert.equal(rollbackTarget([d(1, "2026-01-01T00:00:00Z", "running")], 1, 1), undefined, "only the running version ever ran");
    assert.equal(rollbackTarget([d(1, "2026-01-01T00:00:00Z", "running"), d(2, "2026-01-02T00:00:00Z", "failed")], 1, 1), undefined, "a failed deploy is no target");
    const history = [d(2, "2026-01-03T00:00:00Z", "running"), d(1, "2026-01-01T00:00:00Z", "running"), d(3, "2026-01-04T00:00:00Z", "rolled-back"), d(4, "2026-01-05T00:00:00Z", "running")];
    assert.equal(rollbackTarget(history, 4, 4), 3, "the latest other good one");
    assert.equal(rollbackTarget([], 2, 1), 1, "the last good version when no record says more");
  });
});
