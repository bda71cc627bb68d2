import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TokenCheck } from "../auth.ts";
import { ApiError } from "../http-errors.ts";
import { tokenRecheck } from "./token-recheck.ts";

const accepted = new Set(["good"]);
const gate = {
  check: (token: string | undefined): TokenCheck =>
    token !== undefined && accepted.has(token)
      ? { ok: true, principal: { username: "viewer", role: "viewer" } }
      : { ok: false, error: new ApiError("AUTH_INVALID", `the token is not accepted: it is unknown or revoked ${"!".repeat(200)}`) },
};

describe("token re-check", () => {
  it("is due every recheckMs", () => {
    const recheck = tokenRecheck({ gate, auth: true, everyMs: 5000, start: 0 });
    assert.deepEqual([4999, 5000, 6000, 10_000].map(recheck.due), [false, true, false, true]);
  });

  it("is never due without authentication (--no-auth: every caller is the admin)", () => {
    const recheck = tokenRecheck({ gate, auth: false, everyMs: 5000, start: 0 });
    assert.deepEqual([5000, 10_000, 60_000].map(recheck.due), [false, false, false]);
  });

  it("lets a client whose token is still accepted be, and closes one whose token is not with 1008 and why", () => {
    const recheck = tokenRecheck({ gate, auth: true, everyMs: 5000, start: 0 });
    assert.equal(recheck.refusal("good"), undefined);
    const refusal = recheck.refusal("revoked");
    assert.equal(refusal?.code, 1008);
    assert.match(refusal?.reason ?? "", /^the token is not accepted/);
    assert.equal(refusal?.reason.length, 120, "a close reason fits in a control frame");
  });
});
