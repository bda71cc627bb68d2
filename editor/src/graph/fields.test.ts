import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { addSeen, payloadFields, pickerOf, upstreamFields, type FlowFieldsAnswer } from "./fields.ts";
import { realCatalog } from "../../../test/support/editor-fixtures.ts";

describe("field and secret pickers", () => {
  it("are chosen from schema metadata alone", () => {
    const cases: Array<[object, string | undefined]> = [
      [{ type: "object", secret: true, properties: { $secret: { type: "string" } } }, "secret"],
      [{ type: "string", widget: "field" }, "field"],
      [{ type: "array", items: { type: "string", widget: "field" } }, "field-list"],
      [{ type: "array", widget: "field", items: { type: "string" } }, "field-list"],
      [{ type: "string" }, undefined],
      [{ type: "number", widget: "field" }, undefined],
      [{ type: "array", items: { type: "number", widget: "field" } }, undefined],
      [{ type: "string", widget: "colour" }, undefined],
    ];
    for (const [schema, picker] of cases) assert.equal(pickerOf(schema), picker, JSON.stringify(schema));
  });

  it("are offered by the shipped nodes that name payload fields", async () => {
    const { catalog } = await realCatalog();
    assert.equal(pickerOf(catalog.get("threshold")!.config.properties!["field"]!), "field");
    assert.equal(pickerOf(catalog.get("sliding-window")!.config.properties!["fields"]!), "field-list");
    assert.equal(pickerOf(catalog.get("range-check")!.config.properties!["rules"]!.items!.properties!["field"]!), "field");
  });
});

describe("fields known upstream", () => {
  const computed: FlowFieldsAnswer = { nodes: { alarm: { inputs: ["vibration_rms", "count"], outputs: {} } }, problems: [] };
  const wires = [
    { source: "window", sourceHandle: "out", target: "alarm" },
    { source: "window", sourceHandle: "out", target: "peek" },
    { source: "window", sourceHandle: "late", target: "late-peek" },
  ];

  it("start with the runtime's answer and add what debug sinks on the same wire saw", () => {
    const seen = new Map([["peek", ["vibration_rms", "vibration_p2p"]], ["late-peek", ["raw"]]]);
    assert.deepEqual(upstreamFields("alarm", computed, wires, seen), ["vibration_rms", "count", "vibration_p2p"]);
  });

  it("come from live messages alone when the runtime knows none, and are empty for an unwired node", () => {
    const seen = new Map([["peek", ["speed"]]]);
    assert.deepEqual(upstreamFields("alarm", undefined, wires, seen), ["speed"]);
    assert.deepEqual(upstreamFields("peek", undefined, wires, seen), ["speed"]);
    assert.deepEqual(upstreamFields("lonely", computed, wires, seen), []);
  });

  it("are collected from message payloads, ignoring payloads that are not objects", () => {
    let seen: ReadonlyMap<string, readonly string[]> = new Map();
    seen = addSeen(seen, "peek", { payload: { a: 1, b: 2 } });
    const same = addSeen(seen, "peek", { payload: { b: 3 } });
    assert.equal(same, seen, "nothing new: the same map, so nothing re-renders");
    seen = addSeen(seen, "peek", { payload: { c: 1 } });
    assert.deepEqual(seen.get("peek"), ["a", "b", "c"]);
    for (const msg of [null, 42, "text", { payload: [1, 2] }, { payload: null }, { payload: "x" }, {}]) assert.deepEqual(payloadFields(msg), [], JSON.stringify(msg));
  });
});
