import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { Role } from "../store/types.ts";
import { auditOf, PASSWORD, sampleFlow, startApi, type TestApi } from "./test-support.ts";

describe("authentication and roles", () => {
  let t: TestApi;
  beforeEach(async () => (t = await startApi()));
  afterEach(() => t.close());

  it("exchanges a username and password for a session token that works", async () => {
    const login = await t.request("POST", "/api/auth/login", { as: "nobody", body: { username: "editor", password: PASSWORD } });
    assert.equal(login.status, 200);
    assert.deepEqual(login.body.user, { username: "editor", role: "editor" });
    assert.ok(login.body.expiresAt);
    const me = await t.request("GET", "/api/auth/me", { as: { token: login.body.token } });
    assert.equal(me.body.principal.username, "editor");
    assert.deepEqual(
      t.audit.records.filter((r) => r.action === "auth.login").map((r) => [r.actor, r.outcome]),
      [["editor", "ok"]],
    );
  });

  it("refuses a wrong password and an unknown user alike, after a delay, and audits both", async () => {
    for (const [username, password] of [["editor", "guess"], ["mallory", PASSWORD]] as const) {
      const started = performance.now();
      const reply = await t.request("POST", "/api/auth/login", { as: "nobody", body: { username, password } });
      assert.ok(performance.now() - started >= 45, "answered before the delay");
      assert.equal(reply.status, 401);
      assert.equal(reply.body.error.code, "AUTH_LOGIN_FAILED");
      assert.equal(reply.body.error.message, "wrong username or password");
    }
    assert.deepEqual(
      auditOf(t.audit, "refused").map((r) => [r.action, r.actor, r.target]),
      [["auth.login", "editor", "user:editor"], ["auth.login", "mallory", "user:mallory"]],
    );
  });

  it("refuses missing, unknown, malformed, expired and disabled tokens with 401, changes nothing and audits each", async () => {
    const expiring = await t.users.issueToken({ username: "editor", name: "short", kind: "api", ttlMs: 1000 });
    await t.users.createUser("leaver", "editor", PASSWORD);
    const leaver = await t.users.issueToken({ username: "leaver", name: "laptop", kind: "api" });
    await t.users.setUserDisabled("leaver", true);
    t.users.skewMs = 5000;
    const cases: Array<[string, Parameters<TestApi["request"]>[2], string]> = [
      ["no token", { as: "nobody" }, "AUTH_REQUIRED"],
      ["an unknown token", { as: { token: "not-a-token" } }, "AUTH_INVALID"],
      ["a Basic header", { as: "nobody", headers: { authorization: "Basic YWRtaW46YWRtaW4=" } }, "AUTH_INVALID"],
      ["an expired token", { as: { token: expiring.token } }, "AUTH_EXPIRED"],
      ["a disabled user's token", { as: { token: leaver.token } }, "AUTH_INVALID"],
    ];
    for (const [what, options, code] of cases) {
      const reply = await t.request("POST", "/api/flows", { ...options, body: { document: sampleFlow() } });
      assert.equal(reply.status, 401, what);
      assert.equal(reply.body.error.code, code, what);
    }
    assert.equal(t.flows.listFlows().length, 0);
    const refusals = auditOf(t.audit, "refused");
    assert.equal(refusals.length, cases.length);
    for (const record of refusals) {
      assert.equal(record.action, "flow.create");
      assert.equal(record.actor, "(unauthenticated)");
      assert.equal(record.detail?.["status"], 401);
    }
  });

  it("refuses a role below the route's with 403, changes nothing and audits the refusal", async () => {
    await t.request("POST", "/api/flows", { as: "editor", body: { document: sampleFlow() } });
    const before = t.audit.records.length;
    const cases: Array<[Role, string, string, unknown?]> = [
      ["viewer", "PUT", "/api/flows/line-1", { document: sampleFlow(), baseVersion: 1 }],
      ["viewer", "DELETE", "/api/flows/line-1"],
      ["editor", "POST", "/api/flows/line-1/deploy"],
      ["editor", "GET", "/api/audit"],
      ["operator", "GET", "/api/users"],
      ["operator", "PUT", "/api/secrets/db-url", { value: "postgres://x" }],
      ["operator", "POST", "/api/tokens", { name: "ci" }],
    ];
    for (const [role, method, path, body] of cases) {
      const reply = await t.request(method, path, { as: role, body });
      assert.equal(reply.status, 403, `${role} ${method} ${path}`);
      assert.equal(reply.body.error.code, "AUTH_FORBIDDEN");
    }
    assert.equal(t.flows.getFlow("line-1")?.latestVersion, 1);
    assert.equal(t.runtime.deploys.length, 0);
    assert.equal(t.secrets.list().length, 0);
    const refusals = t.audit.records.slice(before);
    assert.deepEqual(
      refusals.map((r) => [r.actor, r.outcome, r.target]),
      cases.map(([role, , path]) => [role, "refused", path.startsWith("/api/flows/") ? "flow:line-1" : path.startsWith("/api/secrets/") ? "secret:db-url" : path]),
    );
  });

  it("lets each role do what the roles before it may", async () => {
    const allowed = async (role: Role, method: string, path: string, body?: unknown) => (await t.request(method, path, { as: role, body })).status < 400;
    const table: Array<[string, string, (role: Role) => unknown, Role]> = [
      ["GET", "/api/flows", () => undefined, "viewer"],
      ["POST", "/api/flows", (role) => ({ document: sampleFlow(`by-${role}`) }), "editor"],
      ["GET", "/api/audit", () => undefined, "operator"],
      ["GET", "/api/users", () => undefined, "admin"],
    ];
    const order: Role[] = ["viewer", "editor", "operator", "admin"];
    for (const [method, path, body, least] of table) {
      for (const role of order) {
        assert.equal(await allowed(role, method, path, body(role)), order.indexOf(role) >= order.indexOf(least), `${role} ${method} ${path}`);
      }
    }
  });

  it("revokes the session token on logout", async () => {
    const login = await t.request("POST", "/api/auth/login", { as: "nobody", body: { username: "viewer", password: PASSWORD } });
    const as = { token: login.body.token };
    assert.equal((await t.request("POST", "/api/auth/logout", { as })).body.revoked, true);
    const after = await t.request("GET", "/api/auth/me", { as });
    assert.equal(after.status, 401);
    assert.equal(after.body.error.code, "AUTH_INVALID");
  });
});

describe("--no-auth demo mode", () => {
  it("treats every caller as the admin anonymous, and still audits", async () => {
    const t = await startApi({ auth: false });
    try {
      const created = await t.request("POST", "/api/flows", { as: "nobody", body: { document: sampleFlow() } });
      assert.equal(created.status, 201);
      assert.equal((await t.request("GET", "/api/users", { as: "nobody" })).status, 200);
      const me = await t.request("GET", "/api/auth/me", { as: "nobody" });
      assert.deepEqual(me.body.principal, { username: "anonymous", role: "admin" });
      assert.deepEqual(
        t.audit.records.map((r) => [r.actor, r.action]),
        [["anonymous", "flow.create"]],
      );
    } finally {
      await t.close();
    }
  });
});
