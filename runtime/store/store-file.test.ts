import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Type } from "../sdk/schema.ts";
import { AiotError } from "../sdk/errors.ts";
import { StoreDocument, type StoreFileSpec } from "./store-file.ts";

const Items = Type.Object(
  { format: Type.Literal("test@1"), items: Type.Array(Type.Object({ n: Type.Integer() }, { additionalProperties: false })) },
  { additionalProperties: false },
);
interface ItemsFile {
  readonly format: "test@1";
  readonly items: ReadonlyArray<{ readonly n: number }>;
}
const EMPTY: ItemsFile = { format: "test@1", items: [] };

function spec(file: string): StoreFileSpec<ItemsFile> {
  const check = (data: ItemsFile) => data.items.flatMap((item, i) => (item.n < 0 ? [{ path: `items[${i}].n`, message: "must not be negative" }] : []));
  return { file, schema: Items, check };
}

function tempFile(content?: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "aiotflow-store-")), "items.json");
  if (content !== undefined) writeFileSync(file, content);
  return file;
}

const add = (n: number) => (current: ItemsFile) => ({ next: { ...current, items: [...current.items, { n }] }, result: n });

/** Asserts that opening `content` fails with `code`, and returns the error for further checks. */
async function openFails(content: string, code = "STORE_CORRUPT"): Promise<AiotError> {
  const file = tempFile(content);
  const error = await StoreDocument.open(spec(file), EMPTY).then(
    () => assert.fail("open should have refused the file"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof AiotError, String(error));
  assert.equal(error.code, code);
  assert.equal(error.details.file, file);
  assert.ok(String(error).includes(file), "the one-line form names the file");
  assert.equal(readFileSync(file, "utf8"), content, "the damaged file is left as it was");
  return error;
}

describe("store file", () => {
  it("starts empty when the file does not exist, without creating it", async () => {
    const file = tempFile();
    const store = await StoreDocument.open(spec(file), EMPTY);
    assert.deepEqual(store.data, EMPTY);
    assert.equal(existsSync(file), false);
  });

  it("writes on update, owner-only, leaving no temp file behind", async () => {
    const file = tempFile();
    const store = await StoreDocument.open(spec(file), EMPTY);
    assert.equal(await store.update(add(1)), 1);
    assert.deepEqual(JSON.parse(readFileSync(file, "utf8")), { format: "test@1", items: [{ n: 1 }] });
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(join(file, "..")), ["items.json"]);
    const reopened = await StoreDocument.open(spec(file), EMPTY);
    assert.deepEqual(reopened.data.items, [{ n: 1 }]);
  });

  it("loses no change when many updates run at once", async () => {
    const file = tempFile();
    const store = await StoreDocument.open(spec(file), EMPTY);
    await Promise.all(Array.from({ length: 25 }, (_, n) => store.update(add(n))));
    const onDisk = JSON.parse(readFileSync(file, "utf8")) as ItemsFile;
    assert.deepEqual(onDisk.items.map((item) => item.n), Array.from({ length: 25 }, (_, n) => n));
  });

  it("writes nothing when the change throws, and keeps serving later updates", async () => {
    const file = tempFile();
    const store = await StoreDocument.open(spec(file), EMPTY);
    await assert.rejects(store.update(() => { throw new Error("refused"); }), /refused/);
    assert.equal(existsSync(file), false);
    await store.update(add(2));
    assert.deepEqual(store.data.items, [{ n: 2 }]);
  });

  it("keeps the old state in memory and on disk when a write fails (STORE_WRITE_FAILED)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aiotflow-store-"));
    const file = join(dir, "sub", "items.json");
    mkdirSync(join(dir, "sub"));
    const store = await StoreDocument.open(spec(file), EMPTY);
    await store.update(add(1));
    rmSync(join(dir, "sub"), { recursive: true });
    writeFileSync(join(dir, "sub"), "a file where the directory was");
    await assert.rejects(store.update(add(2)), (e: unknown) => e instanceof AiotError && e.code === "STORE_WRITE_FAILED" && e.details.file === file);
    assert.deepEqual(store.data.items, [{ n: 1 }]);
  });

  it("refuses to write data of the wrong shape, which would stop the next start (STORE_WRITE_FAILED)", async () => {
    const file = tempFile();
    const store = await StoreDocument.open(spec(file), EMPTY);
    await store.update(add(1));
    await assert.rejects(store.update(add(Number.NaN)), (e: unknown) => e instanceof AiotError && e.code === "STORE_WRITE_FAILED" && /items\[1\]\.n/.test(e.message));
    assert.deepEqual((await StoreDocument.open(spec(file), EMPTY)).data.items, [{ n: 1 }]);
  });

  it("refuses bad JSON with its line and column", async () => {
    const error = await openFails('{\n  "format": "test@1",\n  "items": [ { "n": 1 }, ]\n}\n');
    assert.equal(error.details["line"], 3);
    assert.equal(error.details["column"], 26);
    assert.match(error.message, /invalid JSON at line 3, column 26/);
  });

  const refused: Array<[string, string, RegExp]> = [
    ["an empty file (a write cut short)", "", /at end of file/],
    ["a file holding null (never read as 'no data')", "null", /\$: /],
    ["a wrong shape, naming the JSON path", '{"format":"test@1","items":[{"n":1},{"n":"2"}]}', /items\[1\]\.n: /],
    ["an unknown field", '{"format":"test@1","items":[],"extra":1}', /unknown field "extra"/],
    ["a wrong format marker", '{"format":"test@2","items":[]}', /format: must be "test@1"/],
    ["data the schema allows but the store's checks refuse", '{"format":"test@1","items":[{"n":-1}]}', /items\[0\]\.n: must not be negative/],
  ];
  for (const [name, content, message] of refused) {
    it(`refuses ${name} (STORE_CORRUPT)`, async () => {
      const error = await openFails(content);
      assert.match(error.message, message);
    });
  }

  it("reports a store path it cannot read as STORE_UNREADABLE", async () => {
    const file = tempFile();
    mkdirSync(file);
    await assert.rejects(StoreDocument.open(spec(file), EMPTY), (e: unknown) => e instanceof AiotError && e.code === "STORE_UNREADABLE");
  });
});
