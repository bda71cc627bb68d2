import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { lockDataDir } from "./data-dir-lock.ts";
import { JsonlAuditLog } from "./audit-log.ts";
import { resetPassword } from "./users-cli.ts";
import { LowdbUserStore } from "./users.ts";

async function dataDirWithAdmin(): Promise<{ dir: string; old: string }> {
  const dir = mkdtempSync(join(tmpdir(), "aiotflow-users-"));
  const users = await LowdbUserStore.open(dir);
  const { password } = await users.ensureAdmin("old-password-1");
  await users.issueToken({ username: "admin", name: "browser", kind: "session" });
  return { dir, old: password ?? "old-password-1" };
}

describe("aiotflow users reset-password", () => {
  it("prints a new password that logs in, logs the old sessions out and audits the reset", async () => {
    const { dir, old } = await dataDirWithAdmin();
    const result = await resetPassword(dir, "admin");
    assert.equal(result.code, 0);
    const fresh = /shown only now\): (\S+)/.exec(result.text)?.[1];
    assert.ok(fresh, result.text);
    assert.match(result.text, /1 session\(s\) logged out/);
    const users = await LowdbUserStore.open(dir);
    assert.ok(await users.checkPassword("admin", fresh));
    assert.equal(await users.checkPassword("admin", old), undefined);
    const audit = await JsonlAuditLog.open(dir);
    assert.deepEqual(audit.list().map((r) => [r.actor, r.action, r.target]), [["cli", "user.password.reset", "user:admin"]]);
  });

  it("takes the password from the caller when given one", async () => {
    const { dir } = await dataDirWithAdmin();
    const result = await resetPassword(dir, "admin", "chosen-password-2");
    assert.equal(result.code, 0);
    assert.ok(await (await LowdbUserStore.open(dir)).checkPassword("admin", "chosen-password-2"));
  });

  it("refuses while a server holds the data directory, naming the lock and what to do", async () => {
    const { dir } = await dataDirWithAdmin();
    const lock = lockDataDir(dir);
    try {
      const result = await resetPassword(dir, "admin");
      assert.equal(result.code, 1);
      assert.match(result.text, /STORE_LOCKED/);
      assert.match(result.text, /what to do: Stop the other aiotflow/);
    } finally {
      lock.release();
    }
  });

  it("refuses an unknown user, a too-short password and a missing data directory with coded errors", async () => {
    const { dir } = await dataDirWithAdmin();
    assert.match((await resetPassword(dir, "nobody")).text, /USER_NOT_FOUND/);
    assert.match((await resetPassword(dir, "admin", "short")).text, /USER_INVALID/);
    const missing = await resetPassword(join(dir, "nope"), "admin");
    assert.equal(missing.code, 1);
    assert.match(missing.text, /no data directory/);
  });
});
