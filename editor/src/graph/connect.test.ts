import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { Catalog } from "./catalog.ts";
import { checkWire } from "./connect.ts";
import { realCatalog } from "../../../test/support/editor-fixtures.ts";
import type { AiotNode } from "./mapping.ts";

const node = (id: string, nodeType: string): AiotNode => ({ id, type: "aiot", position: { x: 0, y: 0 }, data: { nodeType, config: {} } });
const nodes = [
  node("sensor", "simulated-sensor"), node("clean", "range-check"), node("win", "sliding-window"), node("gate", "threshold"), node("show", "debug"),
  node("model", "onnx-inference"), node("retrain", "retrain-trigger"),
];
const wire = (spec: string) => {
  const [from, to] = spec.split("->");
  const [source, sourceHandle] = from!.split(".");
  const [target, targetHandle] = to!.split(".");
  return { source: source!, sourceHandle: sourceHandle!, target: target!, targetHandle: targetHandle! };
};

describe("the wiring rule", () => {
  let catalog: Catalog;
  before(async () => ({ catalog } = await realCatalog()));

  const cases: Array<[string, string | undefined]> = [
    ["sensor.out->clean.in", undefined],
    ["win.out->gate.in", undefined],
    ["gate.events->show.in", undefined],
    ["sensor.error->win.in", 'sensor.error carries event but win.in accepts reading only; put a "map" between them'],
    ["win.out->clean.in", 'win.out carries features but clean.in accepts reading only; put a "map" between them'],
    ["sensor.out->model.in", undefined],
    ["win.out->model.in", undefined],
    ["model.out->retrain.events", 'model.out carries prediction but retrain.events accepts event only; put a "performance-monitor" between them'],
    ["gate.alarm->clean.in", undefined],
    ["clean.out->clean.in", `"clean" cannot feed itself`],
    ["sensor.nope->clean.in", `simulated-sensor has no output "nope"`],
    ["sensor.out->show.nope", `debug has no input "nope"`],
    ["ghost.out->show.in", `no node "ghost" on the canvas`],
  ];
  for (const [spec, reason] of cases) {
    it(reason ? `refuses ${spec}: ${reason}` : `accepts ${spec}`, () => {
      assert.deepEqual(checkWire(wire(spec), nodes, [], catalog), reason ? { ok: false, reason } : { ok: true });
    });
  }

  it("refuses the same wire twice", () => {
    const existing = [wire("sensor.out->clean.in")];
    assert.deepEqual(checkWire(wire("sensor.out->clean.in"), nodes, existing, catalog), { ok: false, reason: "sensor.out is already wired to clean.in" });
  });
});
