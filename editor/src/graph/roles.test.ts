import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { can, NEEDS, refusalFor, ROLES, userOf, type Action } from "./roles.ts";

const user = (role: (typeof ROLES)[number]) => ({ username: "ana", role });

describe("what a role may do in the editor", () => {
  it("lets a viewer only look", () => {
    for (const action of Object.keys(NEEDS) as Action[]) assert.equal(can(user("viewer"), action), false, action);
  });

  it("lets an editor save and restore but not deploy, roll back or stop", () => {
    assert.deepEqual((Object.keys(NEEDS) as Action[]).filter((a) => can(user("editor"), a)), ["save", "import", "delete", "restore"]);
    assert.equal(refusalFor(user("editor"), "deploy"), "Needs the operator role (ana is editor)");
    assert.equal(refusalFor(user("editor"), "save"), undefined);
  });

  it("lets operators and admins do everything here", () => {
    for (const role of ["operator", "admin"] as const) {
      for (const action of Object.keys(NEEDS) as Action[]) assert.ok(can(user(role), action), `${role} ${action}`);
    }
  });

  it("allows nothing to an unknown user and refuses malformed principals", () => {
    assert.equal(can(undefined, "save"), false);
    assert.equal(refusalFor(undefined, "stop"), "Needs the operator role");
    assert.equal(userOf({ username: "x", role: "root" }), undefined);
    assert.equal(userOf({ role: "admin" }), undefined);
    assert.equal(userOf(null), undefined);
    assert.equal(userOf("admin"), undefined);
    assert.deepEqual(userOf({ username: "anonymous", role: "admin", tokenId: undefined }), { username: "anonymous", role: "admin" });
  });
});
