import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { converterAdvice, convertersBetween, ERROR_PORT, isPortKind, PORT_KINDS, portKindsFit, type PortedNode, type PortKind } from "./ports.ts";

const KINDS = Object.keys(PORT_KINDS) as PortKind[];

describe("port kinds", () => {
  it("knows each kind it describes, and no other", () => {
    for (const kind of KINDS) assert.equal(isPortKind(kind), true);
    for (const other of ["", "telemetry", "READING", "toString", "__proto__"]) assert.equal(isPortKind(other), false, other);
  });

  it("names the implicit error output", () => assert.equal(ERROR_PORT, "error"));
});

describe("portKindsFit", () => {
  it("lets every kind feed itself, and any feed and take everything", () => {
    for (const kind of KINDS) {
      assert.equal(portKindsFit(kind, kind), true);
      assert.equal(portKindsFit("any", kind), true);
      assert.equal(portKindsFit(kind, "any"), true);
    }
  });

  const cases: Array<[PortKind, PortKind, boolean]> = [
    ["reading", "features", true],
    ["features", "reading", false],
    ["prediction", "features", false],
    ["reading", "prediction", false],
    ["event", "kpi", false],
  ];
  for (const [from, to, fits] of cases) it(`${fits ? "lets" : "does not let"} ${from} feed ${to}`, () => assert.equal(portKindsFit(from, to), fits));
});

describe("convertersBetween", () => {
  const node = (type: string, family: string, inputs: PortKind[], outputs: PortKind[]): PortedNode => ({
    type, family,
    inputs: Object.fromEntries(inputs.map((kind, i) => [`in${i}`, { kind }])),
    outputs: Object.fromEntries(outputs.map((kind, i) => [`out${i}`, { kind }])),
  });
  const catalog = [
    node("tumbling-window", "windows", ["reading"], ["features", "reading"]),
    node("sliding-window", "windows", ["reading"], ["features", "reading"]),
    node("onnx-inference", "inference", ["features"], ["prediction"]),
    node("threshold", "gates", ["prediction"], ["event"]),
    node("map", "util", ["any"], ["any"]),
    node("debug", "sinks", ["any"], []),
  ];

  it("offers the nodes that take exactly the one kind and give exactly the other, sorted", () => {
    assert.deepEqual(convertersBetween(catalog, "reading", "features"), ["sliding-window", "tumbling-window"]);
    assert.deepEqual(convertersBetween(catalog, "features", "prediction"), ["onnx-inference"]);
  });

  it("falls back to utility nodes whose ports fit both ends", () => {
    assert.deepEqual(convertersBetween(catalog, "event", "features"), ["map"]);
  });

  it("never offers a loop-safe node (delay, retry): it passes messages on unchanged", () => {
    const withDelay = [...catalog, { ...node("delay", "util", ["any"], ["any"]), loopSafe: true }];
    assert.deepEqual(convertersBetween(withDelay, "event", "features"), ["map"]);
  });

  it("never counts the implicit error output as converting", () => {
    const withError = [{ type: "x", family: "util", inputs: { in: { kind: "prediction" as PortKind } }, outputs: { [ERROR_PORT]: { kind: "event" as PortKind } } }];
    assert.deepEqual(convertersBetween(withError, "prediction", "event"), []);
  });

  it("offers nothing from an empty catalog", () => assert.deepEqual(convertersBetween([], "reading", "kpi"), []));
});

describe("converterAdvice", () => {
  const cases: Array<[string[], string]> = [
    [[], ""],
    [["map"], '; put a "map" between them'],
    [["sliding-window", "tumbling-window"], '; put one of "sliding-window", "tumbling-window" between them'],
  ];
  for (const [types, advice] of cases) it(`advises ${JSON.stringify(advice)} for ${types.length} converter(s)`, () => assert.equal(converterAdvice(types), advice));
});
