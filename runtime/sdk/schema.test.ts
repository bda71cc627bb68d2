import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseConfig } from "./config.ts";
import { Config, Secret, Type } from "./schema.ts";

const node = (config: ReturnType<typeof Config>) => ({ type: "schema-under-test", config });
/** A schema as the JSON it is published as. */
const json = (schema: unknown) => JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;

describe("Config", () => {
  it("accepts the fields it declares, with their defaults", () => {
    const result = parseConfig(node(Config({ size: Type.Integer({ minimum: 1, default: 10 }) })), {});
    assert.deepEqual(result, { ok: true, config: { size: 10 } });
  });

  it("reports an unknown field instead of ignoring it (a typo in a config)", () => {
    const result = parseConfig(node(Config({ size: Type.Integer({ default: 10 }) })), { szie: 5 });
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.errors[0]!.code === "NODE_CONFIG_INVALID");
  });

  it("carries a description only when given one", () => {
    assert.equal(json(Config({}, "What the node does."))["description"], "What the node does.");
    assert.equal(Object.hasOwn(json(Config({})), "description"), false);
    assert.equal(json(Config({}))["additionalProperties"], false);
  });
});

describe("Secret", () => {
  const config = Config({ password: Type.Optional(Secret("Broker password.")) });

  it("is a closed { $secret } object marked secret, with its description", () => {
    const schema = json(Secret("Broker password."));
    assert.deepEqual([schema["description"], schema["secret"], schema["additionalProperties"], schema["required"]], ["Broker password.", true, false, ["$secret"]]);
  });

  it("accepts a reference to the secret store", () => {
    assert.deepEqual(parseConfig(node(config), { password: { $secret: "broker-password" } }), { ok: true, config: { password: { $secret: "broker-password" } } });
  });

  const refused: Array<[string, unknown, string]> = [
    ["the secret in clear text", { password: "hunter2" }, "FLOW_SECRET_INLINE"],
    ["an empty secret name", { password: { $secret: "" } }, "NODE_CONFIG_INVALID"],
    ["a reference with extra fields", { password: { $secret: "a", value: "b" } }, "NODE_CONFIG_INVALID"],
  ];
  for (const [name, raw, code] of refused) {
    it(`refuses ${name} (${code})`, () => {
      const result = parseConfig(node(config), raw);
      assert.ok(!result.ok, "refused");
      assert.equal(result.errors[0]!.code, code);
    });
  }
});
