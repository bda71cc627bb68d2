import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { AiotError } from "../sdk/errors.ts";
import { parseKey } from "./secret-key.ts";
import { EncryptedSecretStore } from "./secrets.ts";

const NO_ENV = {};
const tempDir = () => mkdtempSync(join(tmpdir(), "aiotflow-store-"));
const hexKey = () => randomBytes(32).toString("hex");

const coded = (code: string, message?: RegExp) => (error: unknown) => {
  assert.ok(error instanceof AiotError, String(error));
  assert.equal(error.code, code, error.message);
  if (message) assert.match(error.message, message);
  return true;
};

interface StoredSecrets {
  secrets: Array<{ name: string; iv: string; tag: string; ciphertext: string }>;
}

describe("secret store: encryption", () => {
  it("round-trips values, keeping only ciphertexts in the file", async () => {
    const dir = tempDir();
    const secrets = await EncryptedSecretStore.open(dir, { env: NO_ENV });
    const values = { "broker-password": "s3cret-broker", "db.url": "postgres://u:p@host/db", empty: "", unicode: "Grüße 🔑" };
    for (const [name, value] of Object.entries(values)) await secrets.set(name, value);
    for (const [name, value] of Object.entries(values)) assert.equal(secrets.get(name), value);
    const text = readFileSync(join(dir, "secrets.json"), "utf8");
    for (const value of Object.values(values).filter(Boolean)) {
      assert.equal(text.includes(value), false, `clear value "${value}" in the file`);
      assert.equal(text.includes(Buffer.from(value).toString("base64")), false);
    }
    assert.deepEqual(Object.keys((JSON.parse(text) as StoredSecrets).secrets[0]!).sort(), ["ciphertext", "iv", "keyId", "name", "tag", "updatedAt"]);
    assert.equal(secrets.get("missing"), undefined);
  });

  it("uses a fresh IV for every value", async () => {
    const dir = tempDir();
    const secrets = await EncryptedSecretStore.open(dir, { env: NO_ENV });
    await secrets.set("a", "same value");
    await secrets.set("b", "same value");
    const [a, b] = (JSON.parse(readFileSync(join(dir, "secrets.json"), "utf8")) as StoredSecrets).secrets;
    assert.equal(Buffer.from(a!.iv, "base64").length, 12);
    assert.notEqual(a!.iv, b!.iv);
    assert.notEqual(a!.ciphertext, b!.ciphertext);
  });

  it("lists, replaces and deletes secrets by name", async () => {
    const secrets = await EncryptedSecretStore.open(tempDir(), { env: NO_ENV, clock: { now: () => 0 } });
    await secrets.set("a", "one");
    await secrets.set("a", "two");
    assert.equal(secrets.get("a"), "two");
    assert.deepEqual(secrets.list(), [{ name: "a", updatedAt: "1970-01-01T00:00:00.000Z" }]);
    assert.equal(secrets.has("a"), true);
    assert.equal(await secrets.delete("a"), true);
    assert.equal(await secrets.delete("a"), false);
    assert.equal(secrets.has("a"), false);
  });

  for (const name of ["", "../key", "a/b", "with space", "x".repeat(129), "a\u0000"]) {
    it(`refuses the secret name ${JSON.stringify(name.slice(0, 20))} (SECRET_NAME_INVALID)`, async () => {
      const secrets = await EncryptedSecretStore.open(tempDir(), { env: NO_ENV });
      await assert.rejects(secrets.set(name, "v"), coded("SECRET_NAME_INVALID"));
      assert.deepEqual(secrets.list(), []);
    });
  }
});

describe("secret store: tampering and wrong keys", () => {
  async function stored(env: Record<string, string> = NO_ENV) {
    const dir = tempDir();
    const secrets = await EncryptedSecretStore.open(dir, { env });
    await secrets.set("broker-password", "s3cret-broker");
    await secrets.set("db-url", "postgres://u:p@host/db");
    const file = join(dir, "secrets.json");
    const edit = (change: (data: StoredSecrets) => void) => {
      const data = JSON.parse(readFileSync(file, "utf8")) as StoredSecrets;
      change(data);
      writeFileSync(file, JSON.stringify(data));
    };
    return { dir, edit };
  }
  const flipFirstByte = (base64: string) => {
    const bytes = Buffer.from(base64, "base64");
    bytes[0] = bytes[0]! ^ 1;
    return bytes.toString("base64");
  };

  const tampering: Array<[string, (data: StoredSecrets) => void]> = [
    ["an altered ciphertext", (d) => (d.secrets[0]!.ciphertext = flipFirstByte(d.secrets[0]!.ciphertext))],
    ["an altered tag", (d) => (d.secrets[0]!.tag = flipFirstByte(d.secrets[0]!.tag))],
    ["an altered IV", (d) => (d.secrets[0]!.iv = flipFirstByte(d.secrets[0]!.iv))],
    ["a ciphertext moved from another secret", (d) => Object.assign(d.secrets[0]!, { ...d.secrets[1]!, name: d.secrets[0]!.name })],
  ];
  for (const [name, change] of tampering) {
    it(`detects ${name} (SECRET_DECRYPT_FAILED naming the secret)`, async () => {
      const { dir, edit } = await stored();
      edit(change);
      const reopened = await EncryptedSecretStore.open(dir, { env: NO_ENV });
      assert.throws(() => reopened.get("broker-password"), coded("SECRET_DECRYPT_FAILED", /secret "broker-password": its ciphertext or tag was altered/));
      assert.equal(reopened.get("db-url"), "postgres://u:p@host/db");
    });
  }

  it("refuses to decrypt with another key, naming the secret and both keys", async () => {
    const { dir } = await stored({ AIOTFLOW_SECRET_KEY: hexKey() });
    const other = await EncryptedSecretStore.open(dir, { env: { AIOTFLOW_SECRET_KEY: hexKey() } });
    assert.throws(() => other.get("broker-password"), coded("SECRET_DECRYPT_FAILED", /secret "broker-password": it was written with key [0-9a-f]{16} but the key in use \(\$AIOTFLOW_SECRET_KEY\) is [0-9a-f]{16}/));
  });

  it("refuses to open stored secrets with no key at all (SECRET_KEY_MISSING)", async () => {
    const { dir } = await stored({ AIOTFLOW_SECRET_KEY: hexKey() });
    await assert.rejects(EncryptedSecretStore.open(dir, { env: NO_ENV }), coded("SECRET_KEY_MISSING", /2 secrets are stored/));
  });

  it("refuses a damaged secrets file (STORE_CORRUPT)", async () => {
    const { dir, edit } = await stored();
    edit((d) => (d.secrets[0]!.iv = "not base64!"));
    await assert.rejects(EncryptedSecretStore.open(dir, { env: NO_ENV }), coded("STORE_CORRUPT", /secrets\[0\]\.iv/));
  });
});

describe("secret store: the key", () => {
  it("creates <dataDir>/secret.key (0600) on the first set, not on open, and reuses it", async () => {
    const dir = tempDir();
    const keyFile = join(dir, "secret.key");
    const secrets = await EncryptedSecretStore.open(dir, { env: NO_ENV });
    assert.equal(existsSync(keyFile), false);
    await secrets.set("a", "value");
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.match(readFileSync(keyFile, "utf8"), /^[0-9a-f]{64}\n$/);
    assert.equal((await EncryptedSecretStore.open(dir, { env: NO_ENV })).get("a"), "value");
  });

  for (const mode of [0o644, 0o640, 0o604]) {
    it(`refuses a key file with mode ${mode.toString(8)} (SECRET_KEY_INSECURE), naming the file and the chmod`, async () => {
      const dir = tempDir();
      await (await EncryptedSecretStore.open(dir, { env: NO_ENV })).set("a", "value");
      const keyFile = join(dir, "secret.key");
      chmodSync(keyFile, mode);
      await assert.rejects(EncryptedSecretStore.open(dir, { env: NO_ENV }), (error: unknown) => {
        coded("SECRET_KEY_INSECURE")(error);
        assert.equal((error as AiotError).details.file, keyFile);
        assert.ok((error as AiotError).message.includes(`chmod 600 ${keyFile}`));
        return true;
      });
    });
  }

  it("refuses a key file that holds no key (SECRET_KEY_INVALID)", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "secret.key"), "too short\n", { mode: 0o600 });
    await assert.rejects(EncryptedSecretStore.open(dir, { env: NO_ENV }), coded("SECRET_KEY_INVALID"));
  });

  it("takes the key from AIOTFLOW_SECRET_KEY as hex or base64, before any key file", async () => {
    const key = randomBytes(32);
    const dir = tempDir();
    await (await EncryptedSecretStore.open(dir, { env: { AIOTFLOW_SECRET_KEY: key.toString("hex") } })).set("a", "value");
    assert.equal(existsSync(join(dir, "secret.key")), false);
    for (const form of [key.toString("base64"), key.toString("base64url"), key.toString("hex").toUpperCase()]) {
      assert.equal((await EncryptedSecretStore.open(dir, { env: { AIOTFLOW_SECRET_KEY: form } })).get("a"), "value", form);
    }
  });

  const badKeys = ["abc", "0".repeat(63), "g".repeat(64), randomBytes(31).toString("base64"), randomBytes(33).toString("base64"), "not a key at all"];
  for (const bad of badKeys) {
    it(`refuses AIOTFLOW_SECRET_KEY=${JSON.stringify(bad.slice(0, 12))}... (SECRET_KEY_INVALID)`, async () => {
      await assert.rejects(EncryptedSecretStore.open(tempDir(), { env: { AIOTFLOW_SECRET_KEY: bad } }), coded("SECRET_KEY_INVALID"));
      assert.equal(parseKey(bad), undefined);
    });
  }
});
