import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { AiotError } from "../sdk/errors.ts";
import { createKeyFile, loadSecretKey, parseKey } from "./secret-key.ts";

describe("secret key", () => {
  const key = randomBytes(32);
  const forms: Array<[string, string]> = [
    ["hex", key.toString("hex")],
    ["upper-case hex with a newline", `${key.toString("hex").toUpperCase()}\n`],
    ["base64", key.toString("base64")],
    ["base64url", key.toString("base64url")],
  ];
  for (const [name, text] of forms) it(`reads a key written as ${name}`, () => assert.deepEqual(parseKey(text), key));

  const refused = ["", "00", key.toString("hex").slice(1), `${key.toString("hex")}00`, randomBytes(24).toString("base64"), "z".repeat(64)];
  for (const text of refused) it(`refuses ${JSON.stringify(text.slice(0, 16))} (${text.length} characters)`, () => assert.equal(parseKey(text), undefined));

  it("prefers the environment, and has no key when there is neither", () => {
    const dir = mkdtempSync(join(tmpdir(), "aiotflow-store-"));
    const keyFile = join(dir, "secret.key");
    assert.equal(loadSecretKey(keyFile, {}), undefined);
    assert.equal(loadSecretKey(keyFile, { AIOTFLOW_SECRET_KEY: "" }), undefined, "an empty variable counts as unset");
    const created = createKeyFile(keyFile);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.deepEqual(loadSecretKey(keyFile, {})?.key, created.key);
    assert.deepEqual(loadSecretKey(keyFile, { AIOTFLOW_SECRET_KEY: key.toString("hex") })?.key, key);
    assert.equal(loadSecretKey(keyFile, {})?.id, created.id);
    assert.notEqual(created.id, created.key.toString("hex").slice(0, 16), "the fingerprint is not part of the key");
  });

  it("never overwrites an existing key file", () => {
    const keyFile = join(mkdtempSync(join(tmpdir(), "aiotflow-store-")), "secret.key");
    const first = createKeyFile(keyFile);
    assert.throws(() => createKeyFile(keyFile), (e: unknown) => e instanceof AiotError && e.code === "STORE_WRITE_FAILED");
    assert.deepEqual(loadSecretKey(keyFile, {})?.key, first.key);
  });
});
