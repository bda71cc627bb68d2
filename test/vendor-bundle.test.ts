import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, it } from "node:test";

// Inside the repository, so the bundled chunks resolve nothing from outside it.
const repo = join(import.meta.dirname, "..");

describe("scripts/vendor-bundle.mjs", () => {
  it("points compiled imports of typebox at one shared bundle that still validates", async () => {
    const dist = mkdtempSync(join(repo, "test", ".vendor-bundle-"));
    try {
      mkdirSync(join(dist, "runtime", "sdk"), { recursive: true });
      const compiled = join(dist, "runtime", "sdk", "probe.js");
      writeFileSync(compiled, [
        'import { Type } from "typebox";',
        'import Compile from "typebox/compile";',
        'import Value from "typebox/value";',
        "const schema = Type.Object({ n: Type.Number({ minimum: 0 }) });",
        "export const check = (v) => Compile(schema).Check(v);",
        "export const fill = (v) => Value.Default(Type.Object({ n: Type.Number({ default: 3 }) }), v);",
        'export const lazy = () => import("typebox");',
      ].join("\n"));
      execFileSync(process.execPath, [join(repo, "scripts", "vendor-bundle.mjs"), dist], { stdio: "pipe" });
      const text = readFileSync(compiled, "utf8");
      assert.doesNotMatch(text, /"typebox(\/\w+)?"/, "no bare typebox import is left");
      assert.match(text, /from "\.\.\/\.\.\/vendor\/typebox\.js"/);
      const probe = (await import(pathToFileURL(compiled).href)) as { check(v: unknown): boolean; fill(v: unknown): unknown; lazy(): Promise<{ Type: unknown }> };
      assert.equal(probe.check({ n: 1 }), true);
      assert.equal(probe.check({ n: -1 }), false, "bad input is still refused by the bundled compiler");
      assert.deepEqual(probe.fill({}), { n: 3 });
      assert.ok((await probe.lazy()).Type);
    } finally {
      rmSync(dist, { recursive: true, force: true });
    }
  });
});
