#!/usr/bin/env node
// Runs the compiled build (dist/, made by `npm run build`, which `npm install` runs) when it is at
// least as new as every source file; otherwise the TypeScript sources through tsx, so an edit is
// never shadowed by a stale build.
import { readdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

function builtAt() {
  try {
    return statSync(`${root}dist/.built`).mtimeMs;
  } catch {
    return -1;
  }
}

function newestSource() {
  let newest = statSync(`${root}package.json`).mtimeMs;
  for (const dir of ["runtime", "nodes"]) {
    for (const entry of readdirSync(`${root}${dir}`, { withFileTypes: true, recursive: true })) {
      if (entry.isFile() && entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(`${entry.parentPath}/${entry.name}`).mtimeMs);
    }
  }
  return newest;
}

if (process.env.AIOTFLOW_FROM_SOURCE !== "1" && builtAt() >= newestSource()) {
  await import("../dist/runtime/cli/main.js");
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../runtime/cli/main.ts");
}
