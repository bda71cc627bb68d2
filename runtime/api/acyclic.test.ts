/**
 * The modules of runtime/api import each other without a cycle. A cycle means two modules can only
 * be read, tested and changed together (and, under ESM, one of them sees the other half-loaded);
 * shared types go to a module both import instead (deps.ts, events/limits.ts).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { describe, it } from "node:test";

const API_DIR = import.meta.dirname;
const SPECIFIER = /(?:^|[^\w.])(?:import|export)\s*(?:type\s+)?(?:[\w*{}\s,$]+\s+from\s+)?\(?\s*["']([^"']+)["']/g;

/** Module -> the modules it imports, by path relative to the folder. */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

/** The relative imports of `file` (relative to `root`) that stay inside `root`. */
export function importsOf(root: string, file: string, text: string): string[] {
  return [...text.matchAll(SPECIFIER)]
    .map((match) => match[1]!)
    .filter((spec) => spec.startsWith("."))
    .map((spec) => relative(root, resolve(root, dirname(file), spec)).split(sep).join("/"))
    .filter((target) => !target.startsWith(".."));
}

/** Every .ts module under `root` (tests too: a test importing a test could close a cycle). */
function importGraph(root: string): ImportGraph {
  const files = readdirSync(root, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)).split(sep).join("/"))
    .sort();
  return new Map(files.map((file) => [file, importsOf(root, file, readFileSync(join(root, file), "utf8"))]));
}

/**
 * A cycle in `graph` as the path that closes it (`a → b → a`), or undefined when there is none.
 * Depth-first search: a module met again while it is still on the path closes a cycle.
 */
export function findCycle(graph: ImportGraph): string[] | undefined {
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (module: string): string[] | undefined => {
    const onPath = path.indexOf(module);
    if (onPath >= 0) return [...path.slice(onPath), module];
    if (done.has(module)) return undefined;
    path.push(module);
    for (const target of graph.get(module) ?? []) {
      const cycle = visit(target);
      if (cycle) return cycle;
    }
    path.pop();
    done.add(module);
    return undefined;
  };
  for (const module of graph.keys()) {
    const cycle = visit(module);
    if (cycle) return cycle;
  }
  return undefined;
}

const graphOf = (edges: Record<string, string[]>): ImportGraph => new Map(Object.entries(edges));

describe("runtime/api imports", () => {
  it("finds the modules and their imports (the check below is not vacuous)", () => {
    const graph = importGraph(API_DIR);
    assert.ok(graph.size > 40, `only ${graph.size} modules found`);
    assert.ok(graph.get("route.ts")?.includes("auth.ts"), "route.ts imports auth.ts");
    assert.ok(graph.get("routes/users.ts")?.includes("deps.ts"), "imports from a subfolder resolve to the folder's paths");
  });

  it("form no cycle", () => {
    const cycle = findCycle(importGraph(API_DIR));
    assert.equal(cycle?.join(" → "), undefined);
  });

  const cases: Array<[name: string, edges: Record<string, string[]>, cycle: string[] | undefined]> = [
    ["no modules", {}, undefined],
    ["a chain", { "a.ts": ["b.ts"], "b.ts": ["c.ts"], "c.ts": [] }, undefined],
    ["a diamond (two paths to one module are no cycle)", { "a.ts": ["b.ts", "c.ts"], "b.ts": ["d.ts"], "c.ts": ["d.ts"], "d.ts": [] }, undefined],
    ["a module importing itself", { "a.ts": ["a.ts"] }, ["a.ts", "a.ts"]],
    ["two modules importing each other", { "a.ts": ["b.ts"], "b.ts": ["a.ts"] }, ["a.ts", "b.ts", "a.ts"]],
    [
      "the circle this test was written against",
      { "auth.ts": ["deps.ts"], "deps.ts": ["events.ts"], "events.ts": ["auth.ts", "route.ts"], "route.ts": ["auth.ts", "deps.ts"] },
      ["auth.ts", "deps.ts", "events.ts", "auth.ts"],
    ],
    ["a cycle behind an acyclic start", { "app.ts": ["x.ts"], "x.ts": ["y.ts"], "y.ts": ["z.ts"], "z.ts": ["x.ts"] }, ["x.ts", "y.ts", "z.ts", "x.ts"]],
  ];
  for (const [name, edges, cycle] of cases) {
    it(`finds ${cycle ? "the" : "no"} cycle in ${name}`, () => {
      assert.deepEqual(findCycle(graphOf(edges)), cycle);
    });
  }

  it("reads static, type-only, multi-line, re-exported and dynamic imports, and drops those leaving the folder", () => {
    const text = [
      'import a from "./a.ts";',
      'import type { B } from "../b.ts";',
      'import {\n  c,\n  type C,\n} from "./c.ts";',
      'export * from "./events/index.ts";',
      'const d = await import("./d.ts");',
      'import { e } from "../../e.ts";',
      'import "node:fs";',
    ].join("\n");
    assert.deepEqual(importsOf("/r/api", "routes/x.ts", text), ["routes/a.ts", "b.ts", "routes/c.ts", "routes/events/index.ts", "routes/d.ts"]);
  });
});
