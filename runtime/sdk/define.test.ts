import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineNode, FAMILIES, isSource, type AnyNodeDefinition, type PortSpec } from "./index.ts";
import { Config } from "./schema.ts";

type Ports = Record<string, PortSpec>;
const definition = (inputs: Ports, outputs: Ports) => ({
  type: "scale", version: 1, family: "util" as const, title: "Scale", summary: "Multiplies a field.", config: Config({}),
  inputs, outputs, examples: [], create: () => ({}),
});
const reading: PortSpec = { kind: "reading", description: "Readings." };

describe("defineNode", () => {
  it("returns the definition, frozen", () => {
    const node = defineNode(definition({ in: reading }, { out: reading }));
    assert.equal(node.type, "scale");
    assert.ok(Object.isFrozen(node));
  });

  const refused: Array<[string, Ports, Ports, RegExp, string]> = [
    ["an input of unknown kind", { in: { kind: "telemetry" as PortSpec["kind"], description: "x" } }, {}, /^node scale: port "in" has the unknown kind "telemetry" \(kinds: reading, features/, "inputs.in.kind"],
    ["an output of unknown kind", {}, { out: { kind: "" as PortSpec["kind"], description: "x" } }, /^node scale: port "out" has the unknown kind ""/, "outputs.out.kind"],
    ["a declared error output", { in: reading }, { error: { kind: "event", description: "Errors." } }, /the "error" output is implicit; do not declare it/, "outputs.error"],
  ];
  for (const [name, inputs, outputs, message, path] of refused) {
    it(`refuses ${name} when the module loads (NODE_DEFINITION_INVALID at ${path})`, () => {
      assert.throws(() => defineNode(definition(inputs, outputs)), { code: "NODE_DEFINITION_INVALID", message, details: { nodeType: "scale", path } });
    });
  }

  it("knows the families the palette groups nodes by", () => {
    assert.deepEqual([...FAMILIES], ["sources", "cleaners", "windows", "inference", "gates", "kpi", "sinks", "util"]);
  });
});

describe("isSource", () => {
  const cases: Array<[string, Ports, boolean]> = [
    ["a node without inputs", {}, true],
    ["a node with an input", { in: reading }, false],
  ];
  for (const [name, inputs, expected] of cases) {
    it(`takes ${name} ${expected ? "for" : "not for"} a source`, () => {
      const node: AnyNodeDefinition = defineNode(definition(inputs, { out: reading }));
      assert.equal(isSource(node), expected);
    });
  }
});
