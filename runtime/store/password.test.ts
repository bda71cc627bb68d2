import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hashPassword, verifyPassword } from "./password.ts";

describe("password hashing", () => {
  it("stores scrypt with its cost, a random salt and a 64-byte key", async () => {
    const stored = await hashPassword("correct horse");
    const [scheme, n, r, p, salt, key] = stored.split("$");
    assert.deepEqual([scheme, n, r, p], ["scrypt", "16384", "8", "1"]);
    assert.equal(Buffer.from(salt!, "base64").length, 16);
    assert.equal(Buffer.from(key!, "base64").length, 64);
    assert.notEqual(await hashPassword("correct horse"), stored, "a new salt each time");
  });

  it("accepts the right password, including the same text in another Unicode form", async () => {
    const stored = await hashPassword("caf\u00e9 pass");
    assert.equal(await verifyPassword("caf\u00e9 pass", stored), true);
    assert.equal(await verifyPassword("cafe\u0301 pass", stored), true);
  });

  it("refuses a wrong password, an empty one and one differing in case", async () => {
    const stored = await hashPassword("correct horse");
    for (const attempt of ["correct hors", "", "Correct horse", "correct horse "]) assert.equal(await verifyPassword(attempt, stored), false, attempt);
  });

  const malformed = ["", "plain", "bcrypt$2b$10$abc", "scrypt$16384$8$1$c2FsdA==$", "scrypt$1099511627776$8$1$c2FsdA==$aGFzaA==", "scrypt$16384$0$1$c2FsdA==$aGFzaA=="];
  for (const stored of malformed) {
    it(`refuses everything against a malformed or abusive stored hash ${JSON.stringify(stored.slice(0, 30))}`, async () => {
      assert.equal(await verifyPassword("anything", stored), false);
    });
  }
});
