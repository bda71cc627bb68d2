import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Config, Secret, Type } from "./schema.ts";
import { parseConfig, schemaProblems } from "./config.ts";

const windowed = {
  type: "windowed",
  config: Config({
    field: Type.String({ description: "Field." }),
    window: Type.Union(
      [
        Type.Object({ by: Type.Literal("count"), count: Type.Integer({ minimum: 2, default: 10 }) }, { additionalProperties: false }),
        Type.Object({ by: Type.Literal("time"), sizeMs: Type.Number({ default: 1000 }), latenessMs: Type.Number({ minimum: 0, default: 0 }) }, { additionalProperties: false }),
      ],
      { default: { by: "count" } },
    ),
    password: Type.Optional(Secret("A password.")),
  }),
};

function problems(raw: unknown): string[] {
  const result = parseConfig(windowed, raw, "nodes[2].config");
  return result.ok ? [] : result.errors.map(String);
}

describe("config parsing", () => {
  it("fills defaults, including those of the union branch the discriminant names", () => {
    const result = parseConfig(windowed, { field: "v", window: { by: "time" } });
    assert.deepEqual(result.ok && result.config, { field: "v", window: { by: "time", sizeMs: 1000, latenessMs: 0 } });
    const fallback = parseConfig(windowed, { field: "v" });
    assert.deepEqual(fallback.ok && fallback.config.window, { by: "count", count: 10 });
  });

  const cases: Array<[string, unknown, string[]]> = [
    ["a bad value in the branch the user chose", { field: "v", window: { by: "time", latenessMs: -1 } }, ["nodes[2].config.window.latenessMs: must be >= 0 [NODE_CONFIG_INVALID]"]],
    ["a missing discriminant", { field: "v", window: { sizeMs: 5 } }, ['nodes[2].config.window.by: is missing: one of ["count","time"] [NODE_CONFIG_INVALID]']],
    ["an unknown discriminant", { field: "v", window: { by: "hours" } }, ['nodes[2].config.window.by: must be one of ["count","time"] [NODE_CONFIG_INVALID]']],
    ["an unknown field and a missing one", { fiedl: "v" }, ['nodes[2].config: missing required field "field" [NODE_CONFIG_INVALID]', 'nodes[2].config: unknown field "fiedl" (did you mean "field"?) [NODE_CONFIG_INVALID]']],
    ["a secret in clear text", { field: "v", password: "hunter2" }, ["nodes[2].config.password: holds a secret in clear text [FLOW_SECRET_INLINE]"]],
    ["a reserved field name", JSON.parse('{ "field": "v", "__proto__": { "x": 1 } }'), ["nodes[2].config.__proto__: this field name is reserved; choose another [NODE_CONFIG_INVALID]"]],
  ];
  for (const [name, raw, expected] of cases) {
    it(`reports ${name} with its path`, () => assert.deepEqual(problems(raw), expected));
  }

  it("lists every allowed value of a union of literals, once", () => {
    const stage = Config({ stage: Type.Union([Type.Literal("candidate"), Type.Literal("production"), Type.Literal("archived")], { description: "Stage." }) });
    const result = parseConfig({ type: "promote", config: stage }, { stage: "prod" }, "body");
    assert.deepEqual(result.ok ? [] : result.errors.map(String), ['body.stage: must be one of ["candidate","production","archived"] [NODE_CONFIG_INVALID]']);
    const mixed = Config({ size: Type.Union([Type.Literal("auto"), Type.Integer({ minimum: 1 })], { description: "Size." }) });
    const wrong = parseConfig({ type: "mixed", config: mixed }, { size: "big" }, "body");
    assert.equal(wrong.ok, false, "a union that is not only literals is still refused");
  });
});

describe("schemaProblems on a union whose wrong branch uses up the reported errors", () => {
  it("still refuses the value instead of passing it for lack of problems", () => {
    // Branch "a" refuses every field of "b" as additional: those errors crowd out the one that matters.
    const extra = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`p${i}`, Type.Number()]));
    const schema = Type.Object({
      mode: Type.Union([
        Type.Object({ type: Type.Literal("a"), x: Type.Optional(Type.Number()) }, { additionalProperties: false }),
        Type.Object({ type: Type.Literal("b"), messages: Type.Integer({ minimum: 1 }), ...extra }, { additionalProperties: false }),
      ]),
    });
    const fields = Object.fromEntries(Object.keys(extra).map((k) => [k, 1]));
    const problems = schemaProblems(schema, { mode: { type: "b", messages: 0, ...fields } }, "config");
    assert.ok(problems.length > 0, "a value that fails the schema has at least one problem");
    assert.match(problems[0]!.path, /^config\.mode/);
    assert.deepEqual(schemaProblems(schema, { mode: { type: "b", messages: 1, ...fields } }, "config"), []);
  });
});
