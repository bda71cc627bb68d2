import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AiotError, ERROR_CATALOGUE, errorMessage, isAiotError, type ErrorCode } from "./errors.ts";

describe("the error catalogue", () => {
  it("says what to do for every code, in a sentence", () => {
    for (const [code, hint] of Object.entries(ERROR_CATALOGUE)) {
      assert.match(code, /^[A-Z][A-Z0-9_]+$/, `${code} is an upper-case code`);
      assert.ok(hint.length >= 20, `${code} has advice, not a word`);
    }
  });
});

describe("AiotError", () => {
  it("carries its code, the catalogue's hint, its details and its cause", () => {
    const cause = new Error("EACCES");
    const error = new AiotError("STORE_WRITE_FAILED", "cannot write: EACCES", { file: "/data/flows.json" }, { cause });
    assert.deepEqual([error.name, error.code, error.message, error.hint, error.details, error.cause], [
      "AiotError", "STORE_WRITE_FAILED", "cannot write: EACCES", ERROR_CATALOGUE.STORE_WRITE_FAILED, { file: "/data/flows.json" }, cause,
    ]);
    assert.ok(error instanceof Error);
  });

  const lines: Array<[string, AiotError, string]> = [
    ["a JSON path first", new AiotError("NODE_CONFIG_INVALID", "must be >= 1", { path: "nodes[3].config.size", file: "f.json", node: "n" }), "nodes[3].config.size: must be >= 1 [NODE_CONFIG_INVALID]"],
    ["else the file", new AiotError("FLOW_FILE_UNREADABLE", "no such file", { file: "flow.json", node: "n" }), "flow.json: no such file [FLOW_FILE_UNREADABLE]"],
    ["else the node", new AiotError("NODE_FAILED", "boom", { node: "pump-model" }), "pump-model: boom [NODE_FAILED]"],
    ["no place at all", new AiotError("NODE_FAILED", "boom"), "boom [NODE_FAILED]"],
  ];
  for (const [name, error, line] of lines) it(`prints one line with ${name}`, () => assert.equal(String(error), line));

  it("serialises to its details plus code, message and hint, which the details cannot override", () => {
    const error = new AiotError("NODE_FAILED", "boom", { node: "n", code: "FAKE", line: 3 });
    assert.deepEqual(JSON.parse(JSON.stringify(error)), { node: "n", line: 3, code: "NODE_FAILED", message: "boom", hint: ERROR_CATALOGUE.NODE_FAILED });
  });

  it("is told apart from other errors", () => {
    const code: ErrorCode = "NODE_FAILED";
    assert.equal(isAiotError(new AiotError(code, "x")), true);
    for (const other of [new Error("x"), { code: "NODE_FAILED", message: "x" }, undefined, "NODE_FAILED"]) assert.equal(isAiotError(other), false);
  });
});

describe("errorMessage", () => {
  const cases: Array<[string, unknown, string]> = [
    ["an Error", new TypeError("bad type"), "bad type"],
    ["an AiotError", new AiotError("NODE_FAILED", "boom"), "boom"],
    ["a thrown string", "plain text", "plain text"],
    ["a thrown object", { reason: "refused", code: 5 }, '{"reason":"refused","code":5}'],
    ["a thrown number", 42, "42"],
    ["a thrown null", null, "null"],
  ];
  for (const [name, thrown, message] of cases) it(`reads the message of ${name}`, () => assert.equal(errorMessage(thrown), message));
});
