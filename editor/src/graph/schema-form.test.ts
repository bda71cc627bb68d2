import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mqttBrokerConnection as mqttBroker } from "../../../test/support/editor-fixtures.ts";
import type { JsonSchema } from "./catalog.ts";
import { chosenVariant } from "./config-check.ts";
import { getAt, numberInputValue, parseLines, parseNumber, setAt, variantKey, variantLabel, variantStart, widgetOf } from "./schema-form.ts";

describe("the schema-driven form", () => {
  it("picks a widget from the schema alone", () => {
    const cases: Array<[object, string]> = [
      [{ type: "string" }, "string"],
      [{ type: "integer", minimum: 0 }, "number"],
      [{ type: "number" }, "number"],
      [{ type: "boolean" }, "boolean"],
      [{ enum: ["high", "low"] }, "enum"],
      [{ type: "array", items: { type: "string" } }, "string-list"],
      [{ type: "array", items: { enum: ["mean", "rms"] } }, "enum-list"],
      [{ type: "array", items: { type: "object", properties: {} } }, "object-list"],
      [{ type: "array", items: { type: "object" } }, "json"],
      [{ type: "object", properties: { a: { type: "string" } } }, "object"],
      [{ type: "object" }, "json"],
      [{ anyOf: [{ type: "object", properties: { by: { const: "count" } } }] }, "variants"],
      [{ type: "string", const: "count" }, "const"],
    ];
    for (const [schema, widget] of cases) assert.equal(widgetOf(schema), widget, JSON.stringify(schema));
  });

  it("sets and clears values at a path without touching the original", () => {
    const config = { label: "a", faults: { spikeRate: 0.1 } };
    const next = setAt(config, ["faults", "spikeFactor"], 4);
    assert.deepEqual(next, { label: "a", faults: { spikeRate: 0.1, spikeFactor: 4 } });
    assert.deepEqual(config, { label: "a", faults: { spikeRate: 0.1 } });
    assert.deepEqual(setAt(next, ["label"], undefined), { faults: { spikeRate: 0.1, spikeFactor: 4 } });
    assert.equal(getAt(next, ["faults", "spikeFactor"]), 4);
    assert.equal(getAt(next, ["nope", "deeper"]), undefined);
  });

  it("reads numbers within the schema's bounds", () => {
    const field = { type: "integer", minimum: 0, maximum: 10 };
    assert.equal(parseNumber("7", field), 7);
    assert.equal(parseNumber("", field), undefined);
    assert.deepEqual(parseNumber("1.5", field), { error: "must be a whole number" });
    assert.deepEqual(parseNumber("-1", field), { error: "must be >= 0" });
    assert.deepEqual(parseNumber("11", field), { error: "must be <= 10" });
    assert.deepEqual(parseNumber("abc", { type: "number" }), { error: "not a number" });
  });

  it("keeps an out-of-range or malformed number as typed, with the reason, instead of dropping it", () => {
    const field = { type: "integer", minimum: 0, maximum: 1024 };
    assert.deepEqual(numberInputValue("-5", field), { value: -5, error: "must be >= 0" });
    assert.deepEqual(numberInputValue("5000", field), { value: 5000, error: "must be <= 1024" });
    assert.deepEqual(numberInputValue("1.5", field), { value: 1.5, error: "must be a whole number" });
    assert.deepEqual(numberInputValue("12", field), { value: 12 });
    assert.deepEqual(numberInputValue("", field), { value: undefined });
    assert.deepEqual(numberInputValue("1e", { type: "number" }), { value: "1e", error: "not a number" });
  });

  it("labels the TLS file/secret choices of the mqtt-broker connection and recognises each", () => {
    // Through JSON, as GET /api/connection-types serves it.
    const config = JSON.parse(JSON.stringify(mqttBroker.config)) as JsonSchema;
    const tls = config.properties!["tls"]!;
    const examples: Record<string, string> = { ca: "ca.pem", cert: "gateway.crt", key: "gateway.key" };
    for (const [field, file] of Object.entries(examples)) {
      const pem = tls.properties![field]!;
      assert.equal(widgetOf(pem), "variants");
      assert.deepEqual(pem.anyOf!.map(variantLabel), ["File", "Secret store"], field);
      assert.match(pem.description ?? "", new RegExp(`"/etc/aiotflow/${file.replace(".", "\\.")}"`), `${field} names its own example file`);
      const [byFile, bySecret] = pem.anyOf!;
      assert.deepEqual([variantStart(byFile!), variantStart(bySecret!)], [{ file: "" }, { $secret: "" }]);
      assert.equal(chosenVariant(pem.anyOf!, variantStart(bySecret!)), bySecret, "picking the secret store sticks");
      assert.equal(chosenVariant(pem.anyOf!, { $secret: "gateway-key" }), bySecret);
      assert.equal(chosenVariant(pem.anyOf!, { file: "/etc/x.pem" }), byFile);
      assert.equal(chosenVariant(pem.anyOf!, undefined), byFile, "nothing set: the first branch");
      assert.deepEqual(pem.anyOf!.map(variantKey), ["0", "1"]);
    }
  });

  it("labels a discriminated union by its tag and starts a picked branch with the tag only", () => {
    const byCount: JsonSchema = { type: "object", required: ["by", "size"], properties: { by: { const: "count" }, size: { type: "integer" } } };
    const byTime: JsonSchema = { type: "object", required: ["by"], properties: { by: { const: "time" } } };
    assert.deepEqual([variantLabel(byCount, 0), variantKey(byTime, 1), variantLabel({ type: "object", properties: {} }, 2)], ["count", "time", "option 3"]);
    assert.deepEqual(variantStart(byCount), { by: "count" });
    assert.equal(chosenVariant([byCount, byTime], { by: "time", extra: 1 }), byTime, "the tag decides, unknown keys or not");
  });

  it("reads a list of strings one per line", () => {
    assert.deepEqual(parseLines(" pump-1\n\npump-2 \n"), ["pump-1", "pump-2"]);
  });
});
