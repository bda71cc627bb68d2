import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { PACKAGE_ROOT, SHIPPED_FLOWS_DIR } from "./paths.ts";

describe("package paths", () => {
  it("finds the aiotflow package root above this file", () => {
    const manifest = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { name: string };
    assert.equal(manifest.name, "aiotflow");
    assert.ok(existsSync(join(PACKAGE_ROOT, "runtime", "catalog", "paths.ts")));
  });

  it("points at the shipped example flows and their schema", () => {
    const files = readdirSync(SHIPPED_FLOWS_DIR);
    assert.ok(files.includes("flow.schema.json"));
    assert.ok(files.some((f) => f.endsWith(".json") && f !== "flow.schema.json"), "at least one shipped flow");
  });
});
