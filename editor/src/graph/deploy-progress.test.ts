import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deploySummary, describeProblem, onDeployAnswer, onDeployEvent, onDeployFailure, phaseTrack, startDeploy } from "./deploy-progress.ts";

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
    assert.match(deploySummary(state), /Deploy of line failed: DEPLOY_FAILED: .*The previous version 2 keeps running\.$/);
    assert.deepEqual(phaseTrack(state).map((p) => p.phase), ["validating", "starting", "failed"]);
    assert.equal(phaseTrack(state)[2]?.detail, "flow has 1 problem; version 2 keeps running");
  });

  it("uses the cause as the problem when no list came, and says when nothing ran before", () => {
    const state = onDeployFailure(startDeploy("line", "deploy"), { code: "DEPLOY_FAILED", message: "x", details: { cause: { code: "SECRET_MISSING", message: 'no secret "db"' }, running: null } });
    assert.deepEqual(state.failure?.problems, [{ code: "SECRET_MISSING", message: 'no secret "db"' }]);
    assert.match(deploySummary(state), /Nothing was running before\.$/);
    const refused = onDeployFailure(startDeploy("line", "rollback"), { code: "ROLLBACK_UNAVAILABLE", message: "no other version ran" });
    assert.equal(deploySummary(refused), "Rollback of line failed: ROLLBACK_UNAVAILABLE: no other version ran.");
    assert.deepEqual(refused.failure?.problems, []);
  });
});
