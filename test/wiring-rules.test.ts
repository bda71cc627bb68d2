import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadCatalog } from "../runtime/catalog/catalog.ts";
import { validateFlow } from "../runtime/core/validate.ts";
import { flowOf } from "./support/test-nodes.ts";

// The wiring rule on the real catalog: the shipped nodes' port kinds, and the converter it names.
describe("wiring the shipped nodes", () => {
  it("lets a reading feed a features input (a model takes named sensor fields) but not the other way round", async () => {
    const real = await loadCatalog();
    const exampleOf = (type: string) => real.get(type)!.examples[0]!.config as Record<string, unknown>;
    const direct = flowOf([["in", "http-in", exampleOf("http-in")], ["model", "onnx-inference", exampleOf("onnx-inference")]], ["in.out->model.in"]);
    const ok = validateFlow(direct, real);
    assert.deepEqual(ok.ok ? [] : ok.errors.map((e) => e.toString()), []);
    const backwards = flowOf([["win", "sliding-window", exampleOf("sliding-window")], ["clean", "range-check", exampleOf("range-check")]], ["win.out->clean.in"]);
    const refused = validateFlow(backwards, real);
    assert.equal(refused.ok, false);
    const [error] = refused.ok ? [] : refused.errors;
    assert.equal(error!.code, "FLOW_EDGE_KIND_MISMATCH");
    assert.match(error!.message, /put a "map" between them$/, "names a node of the catalog that converts");
  });
});
