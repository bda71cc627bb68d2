import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { conflictOf } from "./conflict.ts";
import { diffFlows } from "../../../runtime/contract/diff.ts";
import { demoFlow } from "../../../test/support/editor-fixtures.ts";

const latest = { flowId: "f", version: 5, author: "ana", createdAt: "2026-11-27T18:00:00.000Z", hash: "x", message: "wider window" };

describe("a save conflict from the API's error details", () => {
  it("reads base, latest and the diff, keeping the user's message", () => {
    const after = structuredClone(demoFlow());
    after.nodes = after.nodes.slice(1);
    const diff = diffFlows(demoFlow(), after);
    const conflict = conflictOf({ code: "VERSION_CONFLICT", message: "m", base: 4, latest, diff }, "my change");
    assert.deepEqual(conflict, {
      base: 4,
      latest: { version: 5, author: "ana", createdAt: latest.createdAt, message: "wider window" },
      diff,
      message: "my change",
    });
  });

  it("fills the parts an older answer may lack", () => {
    const diff = { nodes: { added: [], removed: [], changed: [] }, edges: { added: [], removed: [], changed: [] } };
    const conflict = conflictOf({ base: 1, latest: { ...latest, message: undefined }, diff }, "");
    assert.deepEqual(conflict?.diff.connections, { added: [], removed: [], changed: [] });
    assert.deepEqual(conflict?.diff.flow, []);
    assert.equal(conflict?.latest.message, "");
  });

  it("refuses details that are not a conflict", () => {
    const diff = diffFlows(demoFlow(), demoFlow());
    for (const details of [
      {},
      { base: "4", latest, diff },
      { base: 4, latest: null, diff },
      { base: 4, latest: { ...latest, version: "5" }, diff },
      { base: 4, latest: { ...latest, author: undefined }, diff },
      { base: 4, latest, diff: null },
      { base: 4, latest, diff: { nodes: { added: [] }, edges: diff.edges } },
      { base: 4, latest, diff: { ...diff, nodes: { ...diff.nodes, changed: ["avg"] } } },
      { base: 4, latest: [latest], diff },
    ]) {
      assert.equal(conflictOf(details, "m"), undefined, JSON.stringify(details));
    }
  });
});
