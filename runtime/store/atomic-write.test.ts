import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import fsp from "node:fs/promises";
import { syncBuiltinESMExports } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, it, mock } from "node:test";
import { AiotError } from "../sdk/errors.ts";
import { writeFileAtomic } from "./atomic-write.ts";

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "aiotflow-atomic-"));
}

/**
 * Records the file-system steps of a write by wrapping `open` and `rename` (and the handles `open`
 * returns). `syncBuiltinESMExports` makes the module under test see the wrappers.
 */
function recordSteps(options: { failRename?: boolean } = {}): string[] {
  const steps: string[] = [];
  const realOpen = fsp.open;
  const realRename = fsp.rename;
  mock.method(fsp, "open", async (...args: Parameters<typeof fsp.open>) => {
    const handle = await realOpen(...args);
    const name = String(args[0]);
    steps.push(`open ${name}`);
    const realSync = handle.sync.bind(handle);
    const realWrite = handle.writeFile.bind(handle);
    handle.sync = () => (steps.push(`sync ${name}`), realSync());
    handle.writeFile = (...w: Parameters<typeof handle.writeFile>) => (steps.push(`write ${name}`), realWrite(...w));
    return handle;
  });
  mock.method(fsp, "rename", async (from: string, to: string) => {
    steps.push(`rename ${from} -> ${to}`);
    if (options.failRename) throw Object.assign(new Error("EXDEV: cross-device link not permitted"), { code: "EXDEV" });
    return realRename(from, to);
  });
  syncBuiltinESMExports();
  return steps;
}

afterEach(() => {
  mock.restoreAll();
  syncBuiltinESMExports();
});

describe("writeFileAtomic", () => {
  const contents: Array<[string, string | Uint8Array, string]> = [
    ["text", '{ "a": 1 }\n', '{ "a": 1 }\n'],
    ["bytes", new Uint8Array([104, 105]), "hi"],
    ["an empty file", "", ""],
  ];
  for (const [name, data, expected] of contents) {
    it(`writes ${name}, owner-only, leaving no temp file behind`, async () => {
      const file = join(tempDir(), "data.json");
      await writeFileAtomic(file, data);
      assert.equal(readFileSync(file, "utf8"), expected);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.deepEqual(readdirSync(dirname(file)), ["data.json"]);
    });
  }

  it("replaces a longer old file whole, keeping no tail of it", async () => {
    const file = join(tempDir(), "data.json");
    writeFileSync(file, "a much longer old content");
    await writeFileAtomic(file, "new");
    assert.equal(readFileSync(file, "utf8"), "new");
  });

  it("writes and fsyncs a temp file in the target's directory, renames it over the target, then fsyncs the directory", async () => {
    const dir = tempDir();
    const file = join(dir, "data.json");
    const steps = recordSteps();
    await writeFileAtomic(file, "x");
    const temporary = steps[0]!.replace(/^open /, "");
    assert.equal(dirname(temporary), dir, "a rename is atomic only within one file system");
    assert.notEqual(temporary, file);
    if (process.platform === "win32") return;
    assert.deepEqual(steps, [`open ${temporary}`, `write ${temporary}`, `sync ${temporary}`, `rename ${temporary} -> ${file}`, `open ${dir}`, `sync ${dir}`]);
  });

  it("uses a fresh temp file for each of several writes at once, the last one winning", async () => {
    const dir = tempDir();
    const file = join(dir, "data.json");
    const steps = recordSteps();
    await Promise.all(["1", "2", "3"].map((n) => writeFileAtomic(file, n)));
    const temporaries = steps.filter((s) => s.startsWith("rename ")).map((s) => s.split(" ")[1]);
    assert.equal(new Set(temporaries).size, 3);
    assert.match(readFileSync(file, "utf8"), /^[123]$/);
    assert.deepEqual(readdirSync(dir), ["data.json"]);
  });

  it("leaves the old file untouched and removes its temp file when the rename fails (STORE_WRITE_FAILED)", async () => {
    const dir = tempDir();
    const file = join(dir, "data.json");
    writeFileSync(file, "old");
    recordSteps({ failRename: true });
    await assert.rejects(
      writeFileAtomic(file, "new", { failure: "cannot store the model file" }),
      (e: unknown) => e instanceof AiotError && e.code === "STORE_WRITE_FAILED" && e.details.file === file && /^cannot store the model file: EXDEV/.test(e.message),
    );
    assert.equal(readFileSync(file, "utf8"), "old");
    assert.deepEqual(readdirSync(dir), ["data.json"]);
  });

  const unwritable: Array<[string, (dir: string) => string]> = [
    ["a directory that does not exist", (dir) => join(dir, "missing", "data.json")],
    ["a path whose parent is a file", (dir) => (writeFileSync(join(dir, "plain"), ""), join(dir, "plain", "data.json"))],
    ["a target that is a directory", (dir) => (mkdirSync(join(dir, "taken")), writeFileSync(join(dir, "taken", "inside"), ""), join(dir, "taken"))],
  ];
  for (const [name, target] of unwritable) {
    it(`refuses ${name} with STORE_WRITE_FAILED naming the file, and leaves no temp file`, async () => {
      const dir = tempDir();
      const file = target(dir);
      const before = readdirSync(dir).sort();
      await assert.rejects(writeFileAtomic(file, "x"), (e: unknown) => e instanceof AiotError && e.code === "STORE_WRITE_FAILED" && e.details.file === file && /^cannot write: /.test(e.message));
      assert.deepEqual(readdirSync(dir).sort(), before);
    });
  }
});
