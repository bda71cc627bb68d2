import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { lineageOf, metaLineage, pathsFrom } from "./lineage.ts";

const wire = (spec: string) => spec.split(" ").map((w) => {
  const [source, target] = w.split(">") as [string, string];
  return { source, target };
});

describe("message lineage", () => {
  it("lists every path from the sources to a debug node", () => {
    const lineage = lineageOf("show", wire("pumps>clean clean>window window>show pumps>show fans>window"));
    assert.deepEqual(lineage.sources, ["pumps", "fans"]);
    assert.deepEqual(lineage.paths, [["pumps", "clean", "window", "show"], ["fans", "window", "show"], ["pumps", "show"]]);
    assert.equal(lineage.truncated, false);
  });

  it("ends on cycles, has no paths for an unwired node, and stops at the limit", () => {
    const cyclic = lineageOf("c", wire("src>a a>b b>a b>c"));
    assert.deepEqual(cyclic.paths, [["src", "a", "b", "c"]]);
    assert.deepEqual(lineageOf("alone", wire("a>b")), { sources: [], paths: [], truncated: false });
    // A ladder of 2^6 paths, cut at 5.
    const ladder = Array.from({ length: 6 }, (_, i) => `n${i}>x${i} n${i}>y${i} x${i}>n${i + 1} y${i}>n${i + 1}`).join(" ");
    const cut = lineageOf("n6", wire(ladder), 5);
    assert.equal(cut.paths.length, 5);
    assert.equal(cut.truncated, true);
  });

  it("reads the lineage fields of meta and prefers the paths from the source it names", () => {
    assert.deepEqual(metaLineage({ source: "pumps", units: { a: "b" }, model: "pump-v3@2" }), [["source", "pumps"], ["model", "pump-v3@2"]]);
    for (const meta of [undefined, null, "pumps", [1]]) assert.deepEqual(metaLineage(meta), []);
    const lineage = lineageOf("show", wire("pumps>show fans>show"));
    assert.deepEqual(pathsFrom(lineage, "fans"), [["fans", "show"]]);
    assert.deepEqual(pathsFrom(lineage, "elsewhere"), lineage.paths);
    assert.deepEqual(pathsFrom(lineage, 42), lineage.paths);
  });
});
