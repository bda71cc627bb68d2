import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiFailure } from "../api.ts";
import { saveRefusal } from "./save-refusal.ts";

const refused = (problems: ApiFailure["problems"], message = `the flow has ${problems.length} problem${problems.length === 1 ? "" : "s"}`) => {
  const failure = new ApiFailure(422, "FLOW_INVALID", message, problems);
  failure.documentNodes = [{ id: "sensor" }, { id: "check", name: "Cleaner" }];
  return failure;
};

describe("a refused save in the user's words", () => {
  it("names the node and field first, the code apart", () => {
    const refusal = saveRefusal(refused([{ path: "nodes[1].config.stuckAfter", message: "must be >= 0" }]));
    assert.deepEqual(refusal, { text: "Not saved: node “Cleaner” (check), field stuckAfter: must be >= 0", detail: "FLOW_INVALID" });
    assert.doesNotMatch(refusal.text, /FLOW_INVALID|nodes\[/);
  });

  it("puts the count first and one line per problem when there are several", () => {
    const refusal = saveRefusal(refused([
      { path: "nodes[1].config.stuckAfter", message: "must be >= 0" },
      { path: "nodes[0]", message: "unknown node type nope" },
    ]));
    assert.equal(refusal.text, "Not saved: the flow has 2 problems\nnode “Cleaner” (check), field stuckAfter: must be >= 0\nnode “sensor”: unknown node type nope");
  });

  it("says the message of a refusal without problems, and any other failure plainly", () => {
    assert.deepEqual(saveRefusal(new ApiFailure(403, "FORBIDDEN", "needs the editor role")), { text: "Not saved: needs the editor role", detail: "FORBIDDEN" });
    assert.deepEqual(saveRefusal(new TypeError("Failed to fetch")), { text: "Not saved: Failed to fetch" });
  });
});
