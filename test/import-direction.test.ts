/**
 * The direction of imports, checked on every source file (docs/architecture.md draws it):
 *   contract ← sdk ← core ← services (store, ml, connections, local, catalog) ← api ← serve ← cli
 *   nodes → sdk and nodes/lib only; runtime never imports nodes; the editor imports only the contract.
 * Tests may also import test/support (the fakes and in-process servers); a node's test may also use
 * real runtime services and other nodes' definitions, never another node's parts.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { describe, it } from "node:test";

const ROOT = resolve(import.meta.dirname, "..");
const SPECIFIER = /(?:^|[^\w.])(?:import|export)\s*(?:type\s+)?(?:[\w*{}\s,$]+\s+from\s+)?\(?\s*["']([^"']+)["']/g;

/** Every .ts / .tsx file under `dir`, as repository-relative paths with forward slashes. */
export function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name) && !e.parentPath.includes("node_modules"))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)).split(sep).join("/"));
}

/** The repository-relative files `file` imports by relative path (packages and node: builtins are not listed). */
export function relativeImports(file: string, text = readFileSync(join(ROOT, file), "utf8")): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(SPECIFIER)) {
    const spec = match[1]!;
    if (spec.startsWith(".")) found.push(relative(ROOT, resolve(ROOT, dirname(file), spec)).split(sep).join("/"));
  }
  return found;
}

/** nodes/<family>/<type>.ts or nodes/<family>/<type>/index.ts, never nodes/lib. */
const isNodeDefinition = (file: string) => /^nodes\/(?!lib\/)[^/]+\/([^/]+\.ts|[^/]+\/index\.ts)$/.test(file) && !/\.test\.ts$/.test(file);
const isTest = (file: string) => /\.test\.tsx?$/.test(file);
const under = (file: string, ...dirs: string[]) => dirs.some((d) => file.startsWith(`${d}/`));

/** Runtime layers, lowest first: a module may import its own layer and the ones before it. */
const LAYERS: ReadonlyArray<readonly string[]> = [
  ["runtime/contract"],
  ["runtime/sdk"],
  ["runtime/core"],
  ["runtime/store", "runtime/ml", "runtime/connections", "runtime/local", "runtime/catalog"],
  ["runtime/api"],
  ["runtime/serve"],
  ["runtime/cli"],
];
const layerOf = (file: string) => LAYERS.findIndex((dirs) => under(file, ...dirs));

/** Why `file` may not import `target`, or undefined when it may. */
export function refusal(file: string, target: string): string | undefined {
  const testSupport = isTest(file) && under(target, "test/support");
  if (under(file, "runtime")) {
    if (under(target, "nodes")) return "runtime never imports nodes (the catalog discovers them)";
    if (testSupport) return undefined;
    if (!under(target, "runtime")) return "runtime imports only runtime (test/support only from a test)";
    const [from, to] = [layerOf(file), layerOf(target)];
    if (from < 0) return "a module at the root of runtime/ (give it a home in a layer folder)";
    if (to > from) return `${LAYERS[from]!.join(", ")} may not import the layer above it (${target})`;
    return undefined;
  }
  if (under(file, "nodes")) {
    if (testSupport || under(target, "runtime/sdk", "nodes/lib")) return undefined;
    // A node's test runs it as the runtime would: real services, and other nodes' definitions to build a flow around it.
    if (isTest(file) && (under(target, "runtime") || isNodeDefinition(target))) return undefined;
    if (under(file, "nodes/lib")) return "nodes/lib imports only the SDK and nodes/lib";
    const ownFolder = dirname(file).split("/").length > 2 ? dirname(file) : undefined;
    if (ownFolder && under(target, ownFolder)) return undefined;
    if (dirname(file).split("/").length === 2 && dirname(target) === dirname(file) && isTest(file)) return undefined;
    return "a node imports only the SDK, nodes/lib and its own folder";
  }
  if (under(file, "editor/src")) {
    if (testSupport || under(target, "editor/src", "runtime/contract")) return undefined;
    return "the editor imports only editor/src and runtime/contract (test/support only from a test)";
  }
  return undefined;
}

describe("import direction", () => {
  const files = [...sourceFiles("runtime"), ...sourceFiles("nodes"), ...sourceFiles("editor/src")];

  it("finds the files and their imports (the check below is not vacuous)", () => {
    assert.ok(files.length > 200);
    assert.ok(relativeImports("runtime/core/engine.ts").some((t) => t.startsWith("runtime/sdk/")));
  });

  it("holds for every runtime, node and editor module", () => {
    const problems = files.flatMap((file) =>
      // Only targets that exist: a test may hold import lines as data (the acyclic check's samples).
      relativeImports(file).filter((target) => existsSync(join(ROOT, target))).flatMap((target) => {
        const why = refusal(file, target);
        return why ? [`${file} → ${target}: ${why}`] : [];
      }),
    );
    assert.deepEqual(problems, []);
  });

  it("refuses each wrong direction", () => {
    const cases: Array<[string, string, boolean]> = [
      ["runtime/ml/train/reference.ts", "nodes/inference/drift-monitor/index.ts", false],
      ["runtime/core/engine.ts", "runtime/api/app.ts", false],
      ["runtime/sdk/define.ts", "runtime/core/engine.ts", false],
      ["runtime/contract/diff.ts", "runtime/store/canonical.ts", false],
      ["runtime/api/deps.ts", "runtime/serve/serve.ts", false],
      ["runtime/paths.ts", "runtime/sdk/errors.ts", false],
      ["nodes/sinks/mqtt-out/index.ts", "nodes/sources/mqtt-in/index.ts", false],
      ["nodes/sinks/opcua-write.ts", "runtime/core/engine.ts", false],
      ["nodes/lib/mqtt/subscription.ts", "nodes/sources/mqtt-in/index.ts", false],
      ["editor/src/api.ts", "runtime/store/flow-store.ts", false],
      ["editor/src/graph/fixtures.ts", "runtime/catalog/catalog.ts", false],
      ["runtime/serve/serve.ts", "runtime/api/app.ts", true],
      ["runtime/api/deps.ts", "runtime/store/flow-store.ts", true],
      ["nodes/sinks/mqtt-out/index.ts", "nodes/sinks/mqtt-out/qos0-writer.ts", true],
      ["nodes/sinks/mqtt-out/index.ts", "nodes/lib/mqtt/topic-template.ts", true],
      ["nodes/util/map.test.ts", "nodes/util/map.ts", true],
      ["nodes/util/map.test.ts", "test/support/mqtt-flow.ts", true],
      ["nodes/util/map.ts", "test/support/mqtt-flow.ts", false],
      ["nodes/sinks/mqtt-out/index.test.ts", "nodes/sources/mqtt-in/index.ts", true],
      ["nodes/sinks/mqtt-out/index.test.ts", "nodes/sources/mqtt-in/sparkplug.ts", false],
      ["runtime/core/engine.test.ts", "nodes/util/map.ts", false],
      ["runtime/core/engine.test.ts", "test/support/test-nodes.ts", true],
      ["editor/src/api.ts", "runtime/contract/flow-format.ts", true],
      ["runtime/core/engine.ts", "test/support/test-nodes.ts", false],
      ["runtime/contract/diff.ts", "editor/src/api.ts", false],
      ["runtime/core/engine.ts", "bench/run.ts", false],
      ["editor/src/api.ts", "test/support/api-stores.ts", false],
      ["editor/src/graph/diff.test.ts", "test/support/editor-fixtures.ts", true],
    ];
    for (const [file, target, allowed] of cases) assert.equal(refusal(file, target) === undefined, allowed, `${file} → ${target}`);
  });

  it("reads static, type-only, re-exported and dynamic imports", () => {
    const text = 'import a from "./a.ts";\nimport type { B } from "../b.ts";\nexport * from "./c.ts";\nconst d = await import("./d.ts");\nimport "node:fs";';
    assert.deepEqual(relativeImports("runtime/x/y.ts", text), ["runtime/x/a.ts", "runtime/b.ts", "runtime/x/c.ts", "runtime/x/d.ts"]);
  });
});
