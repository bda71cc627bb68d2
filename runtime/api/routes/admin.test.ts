import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { PASSWORD, sampleFlow, startApi, type TestApi } from "../../../test/support/api.ts";

describe("users, tokens, secrets and the audit log", () => {
  let t: TestApi;
  beforeEach(async () => (t = await startApi()));
  afterEach(() => t.close());

  it("creates users, refuses a taken name and a weak password, and never shows passwords", async () => {
    const created = await t.request("POST", "/api/users", { body: { username: "ana", role: "operator", password: "long enough" } });
    assert.equal(created.status, 201);
    assert.deepEqual([created.body.user.username, created.body.user.role], ["ana", "operator"]);
    assert.equal((await t.request("POST", "/api/users", { body: { username: "ana", role: "viewer", password: "long enough" } })).body.error.code, "USER_EXISTS");
    assert.equal((await t.request("POST", "/api/users", { body: { username: "bob", role: "viewer", password: "short" } })).body.error.path, "body.password");
    assert.equal((await t.request("POST", "/api/users", { body: { username: "Bob/..", role: "viewer", password: "long enough" } })).status, 400);
    const list = await t.request("GET", "/api/users");
    assert.ok(list.body.users.some((u: { username: string }) => u.username === "ana"));
    assert.doesNotMatch(list.text, /long enough|correct horse/);
    assert.equal(t.audit.records.at(-1)?.target, "user:ana");
  });

  it("disables a user, whose tokens then stop working, but not the admin themself", async () => {
    const disabled = await t.request("PUT", "/api/users/editor", { body: { disabled: true } });
    assert.equal(disabled.body.user.disabled, true);
    assert.equal((await t.request("GET", "/api/flows", { as: "editor" })).status, 401);
    const self = await t.request("PUT", "/api/users/admin", { body: { disabled: true } });
    assert.equal(self.status, 400);
  });

  it("issues an API token once, at most the user's role, lists it without its value and revokes it", async () => {
    const issued = await t.request("POST", "/api/tokens", { body: { name: "ci", username: "operator", role: "editor", expiresInDays: 30 } });
    assert.equal(issued.status, 201);
    assert.equal(issued.body.info.role, "editor");
    assert.ok(issued.body.info.expiresAt);
    const ci = { token: issued.body.token };
    assert.equal((await t.request("POST", "/api/flows", { as: ci, body: { document: sampleFlow() } })).status, 201);
    for (const expiresInDays of [1e-9, 0.0001, 0]) {
      const tiny = await t.request("POST", "/api/tokens", { body: { name: "tiny", expiresInDays } });
      assert.equal(tiny.status, 400, String(expiresInDays));
      assert.equal(tiny.body.error.code, "API_BODY_INVALID");
    }
    assert.equal((await t.request("POST", "/api/tokens", { body: { name: "minute", expiresInDays: 1 / 1440 } })).status, 201);
    const tooHigh = await t.request("POST", "/api/tokens", { body: { name: "x", username: "editor", role: "admin" } });
    assert.equal(tooHigh.body.error.code, "ROLE_NOT_ALLOWED");
    const nobody = await t.request("POST", "/api/tokens", { body: { name: "x", username: "ghost" } });
    assert.equal(nobody.status, 404);
    const list = await t.request("GET", "/api/tokens?username=operator");
    assert.deepEqual(list.body.tokens.map((k: { name: string }) => k.name), ["test", "ci"]);
    assert.ok(!list.text.includes(issued.body.token));
    const revoked = await t.request("DELETE", `/api/tokens/${issued.body.info.id}`);
    assert.equal(revoked.body.revoked, issued.body.info.id);
    assert.equal((await t.request("GET", "/api/flows", { as: ci })).status, 401);
    assert.equal((await t.request("DELETE", `/api/tokens/${issued.body.info.id}`)).status, 404);
  });

  it("stores secrets and never sends a value back, not even in the audit log", async () => {
    const value = "postgres://scada:hunter2@db:5432/plant";
    assert.equal((await t.request("PUT", "/api/secrets/db-url", { body: { value } })).status, 201);
    assert.equal((await t.request("PUT", "/api/secrets/db-url", { body: { value: `${value}?ssl=1` } })).status, 200);
    assert.equal(t.secrets.get("db-url"), `${value}?ssl=1`);
    const list = await t.request("GET", "/api/secrets");
    assert.deepEqual(list.body.secrets.map((s: { name: string }) => s.name), ["db-url"]);
    const everything = [list.text, (await t.request("GET", "/api/audit", { as: "operator" })).text, JSON.stringify(t.audit.records)].join();
    assert.doesNotMatch(everything, /hunter2/);
    assert.equal((await t.request("DELETE", "/api/secrets/db-url")).body.deleted, "db-url");
    assert.equal((await t.request("DELETE", "/api/secrets/db-url")).body.error.code, "NOT_FOUND");
  });

  it("pages through the audit log with since and limit, and verifies its chain", async () => {
    for (const id of ["a", "b", "c"]) await t.request("POST", "/api/flows", { as: "editor", body: { document: sampleFlow(id) } });
    const latest = await t.request("GET", "/api/audit?limit=2", { as: "operator" });
    assert.deepEqual(latest.body.records.map((r: { target: string }) => r.target), ["flow:b", "flow:c"]);
    const first = await t.request("GET", "/api/audit?since=0&limit=2", { as: "operator" });
    assert.deepEqual(first.body.records.map((r: { target: string }) => r.target), ["flow:a", "flow:b"]);
    const rest = await t.request("GET", `/api/audit?since=${first.body.records[1].seq}`, { as: "operator" });
    assert.deepEqual(rest.body.records.map((r: { target: string }) => r.target), ["flow:c"]);
    assert.deepEqual((await t.request("GET", "/api/audit/verify", { as: "operator" })).body, { ok: true, records: 3 });
  });

  it("serves the catalog: every node type and one by name", async () => {
    const list = await t.request("GET", "/api/catalog", { as: "viewer" });
    assert.ok(list.body.nodes.some((n: { type: string }) => n.type === "test-step"));
    const one = await t.request("GET", "/api/catalog/test-step", { as: "viewer" });
    assert.equal(one.body.node.config.properties.add.type, "number");
    assert.ok(one.body.node.outputs.error, "the error port is listed");
    assert.equal((await t.request("GET", "/api/catalog/no-such", { as: "viewer" })).status, 404);
  });

  it("logs in a user created through the API", async () => {
    await t.request("POST", "/api/users", { body: { username: "ana", role: "viewer", password: PASSWORD } });
    assert.equal((await t.request("POST", "/api/auth/login", { as: "nobody", body: { username: "ana", password: PASSWORD } })).status, 200);
  });
});
