/**
 * Every module with logic under nodes/ and runtime/ has its test beside it (`<name>.ts` next to
 * `<name>.test.ts`), so a change to a helper meets the test of that helper, not only some node's.
 * "Logic" is read from the syntax tree: a function, method, arrow function, accessor or class with a
 * body. A module of types and constants needs no test.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { describe, it } from "node:test";
import ts from "typescript";

const ROOT = resolve(import.meta.dirname, "..");

/**
 * Modules whose test lives elsewhere, each with the tests that exercise it. Keep this short: a new
 * module gets its own test beside it.
 */
const TESTED_ELSEWHERE: Readonly<Record<string, readonly string[]>> = {
  // The CLI is tested as users run it: bin/aiotflow.js in a child process, exit codes and output.
  "runtime/cli/main.ts": ["test/cli.test.ts"],
  "runtime/cli/run.ts": ["test/cli.test.ts", "test/cli-data-dir.test.ts"],
  // A whole server (admin API, embedded broker, shipped flows), in-process and as a child process.
  "runtime/serve/serve.ts": ["test/serve.test.ts", "test/serve-lifecycle.test.ts"],
  // Against real brokers (aedes in-process, with and without TLS), from the fixtures in test/support.
  "runtime/connections/supervisor.ts": ["test/connections/supervisor.test.ts"],
  "runtime/connections/types/mqtt-broker.ts": ["test/connections/mqtt-broker.test.ts", "test/connections/mqtt-broker-tls.test.ts"],
  // The trainers share one suite that also runs each one's ONNX export in onnxruntime.
  "runtime/ml/train/linear.ts": ["runtime/ml/train/train.test.ts"],
  "runtime/ml/train/autoencoder.ts": ["runtime/ml/train/train.test.ts"],
  // Admin API routes called through the whole API (test/support/api.ts), every operation of each.
  // login, password, logout, me; throttling and refusal audit:
  "runtime/api/routes/auth.ts": ["runtime/api/auth.test.ts"],
  // GET /api/users, POST /api/users, PUT /api/users/:user, GET/POST /api/tokens, DELETE /api/tokens/:id:
  "runtime/api/routes/users.ts": ["runtime/api/routes/admin.test.ts", "runtime/api/auth.test.ts"],
  // GET /api/secrets, PUT and DELETE /api/secrets/:name:
  "runtime/api/routes/secrets.ts": ["runtime/api/routes/admin.test.ts", "runtime/api/auth.test.ts"],
  // GET /api/audit (since, limit, bad queries), GET /api/audit/verify:
  "runtime/api/routes/audit.ts": ["runtime/api/routes/admin.test.ts", "runtime/api/http.test.ts"],
  // GET /api/catalog, GET /api/catalog/:type (unknown and malformed types):
  "runtime/api/routes/catalog.ts": ["runtime/api/routes/admin.test.ts", "runtime/api/http.test.ts"],
  // GET /api/runtime, GET /api/runtime/:id/metrics (known and unknown flows):
  "runtime/api/routes/runtime.ts": ["runtime/api/routes/deploy.test.ts", "runtime/api/e2e.test.ts"],
  // GET /api/flows/:id/nodes/:node/variants on a real server with a running onnx-inference node:
  "runtime/api/routes/variants.ts": ["test/variants-route.test.ts"],
};

/** Every non-test, non-declaration .ts file under `dir`, repository-relative with forward slashes. */
function modules(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") && !e.name.endsWith(".d.ts") && !e.parentPath.includes("node_modules"))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)).split(sep).join("/"))
    .sort();
}

/** True when the module's source declares behaviour: any function-like or class node with a body. */
function hasLogic(source: string, file = "module.ts"): boolean {
  const tree = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const visit = (node: ts.Node): boolean => {
    if (ts.isClassLike(node)) return true;
    if (ts.isFunctionLike(node) && "body" in node && node.body !== undefined) return true;
    return ts.forEachChild(node, visit) ?? false;
  };
  return visit(tree);
}

const besideTest = (file: string) => file.replace(/\.ts$/, ".test.ts");
const untested = (file: string) => !existsSync(join(ROOT, besideTest(file))) && hasLogic(readFileSync(join(ROOT, file), "utf8"), file);

describe("every module with logic has a test beside it", () => {
  it("tells logic from types and constants", () => {
    const cases: Array<[string, boolean]> = [
      ["export interface A { run(x: number): Promise<void>; readonly f: (x: number) => string }\nexport type B = (a: A) => void;", false],
      ['export const LIMIT = 10;\nexport const NAMES = ["a", "b"] as const;\nexport const KEY = serviceKey<A>("a");', false],
      ["export function f(): number { return 1; }", true],
      ["export const f = (x: number) => x * 2;", true],
      ["export class Store {}", true],
      ["export const table = { read() { return 1; } };", true],
      ["export const ROOT = (() => process.cwd())();", true],
      ["export declare function f(): void;", false],
    ];
    for (const [source, logic] of cases) assert.equal(hasLogic(source), logic, source);
  });

  it("finds a <name>.test.ts beside each module under nodes/ and runtime/, or the module in TESTED_ELSEWHERE", () => {
    const missing = [...modules("nodes"), ...modules("runtime")].filter((file) => !Object.hasOwn(TESTED_ELSEWHERE, file) && untested(file));
    assert.deepEqual(missing, [], `write ${missing.map(besideTest).join(", ")} (testing the module directly, bad input included)`);
  });

  it("keeps TESTED_ELSEWHERE true: each module exists, still has no test beside it, and its tests exist", () => {
    for (const [file, tests] of Object.entries(TESTED_ELSEWHERE)) {
      assert.ok(existsSync(join(ROOT, file)), `${file} is gone: drop it from TESTED_ELSEWHERE`);
      assert.ok(!existsSync(join(ROOT, besideTest(file))), `${file} has a test beside it now: drop it from TESTED_ELSEWHERE`);
      for (const test of tests) assert.ok(existsSync(join(ROOT, test)), `${test}, named for ${file}, does not exist`);
    }
  });
});
