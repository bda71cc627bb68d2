import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { lockDataDir } from "./data-dir-lock.ts";

const dataDir = () => join(mkdtempSync(join(tmpdir(), "aiotflow-lock-")), "data");

/** The PID of a process that has exited (it ran `node -e ""`). */
const deadPid = () => spawnSync(process.execPath, ["-e", ""]).pid!;

describe("lockDataDir", () => {
  it("creates the data directory, owner-only, and a lock file holding this PID", () => {
    const dir = dataDir();
    const lock = lockDataDir(dir);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(readFileSync(join(dir, ".lock"), "utf8"), String(process.pid));
    lock.release();
    assert.equal(existsSync(join(dir, ".lock")), false);
  });

  it("refuses a second server on the same directory in this process (STORE_LOCKED), until the first releases it", () => {
    const dir = dataDir();
    const first = lockDataDir(dir);
    assert.throws(() => lockDataDir(dir), { code: "STORE_LOCKED", message: `another aiotflow (PID ${process.pid}) is using this data directory`, details: { file: join(dir, ".lock") } });
    first.release();
    lockDataDir(dir).release();
  });

  it("refuses a directory locked by another running process, naming its PID", () => {
    const dir = dataDir();
    lockDataDir(dir).release();
    writeFileSync(join(dir, ".lock"), String(process.ppid));
    assert.throws(() => lockDataDir(dir), { code: "STORE_LOCKED", message: new RegExp(`PID ${process.ppid}`) });
  });

  const stale: Array<[string, () => string]> = [
    ["a process that has exited", () => String(deadPid())],
    ["this process, which no longer holds it (a restart with the same PID)", () => String(process.pid)],
    ["no PID at all", () => ""],
    ["garbage", () => "not-a-pid"],
    ["a negative number", () => "-5"],
  ];
  for (const [name, content] of stale) {
    it(`takes over a lock left by ${name}`, () => {
      const dir = dataDir();
      lockDataDir(dir).release();
      writeFileSync(join(dir, ".lock"), content());
      const lock = lockDataDir(dir);
      assert.equal(readFileSync(join(dir, ".lock"), "utf8"), String(process.pid));
      lock.release();
    });
  }

  it("leaves a lock another process took meanwhile in place on release, and releases twice harmlessly", () => {
    const dir = dataDir();
    const lock = lockDataDir(dir);
    writeFileSync(join(dir, ".lock"), String(process.ppid));
    lock.release();
    assert.equal(readFileSync(join(dir, ".lock"), "utf8"), String(process.ppid));
    lock.release();
  });

  it("fails with the file system's error when the data directory cannot be made", () => {
    const parent = mkdtempSync(join(tmpdir(), "aiotflow-lock-"));
    writeFileSync(join(parent, "file"), "");
    assert.throws(() => lockDataDir(join(parent, "file", "data")), { code: "ENOTDIR" });
  });
});
