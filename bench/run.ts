// Runs the benchmarks: every `bench/<name>/run.ts`, or only the names given first.
//
//   npm run bench                      # all
//   npm run bench -- chain             # one
//   npm run bench -- chain --runs 5    # flags after the names go to each bench
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const benchDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = dirname(benchDir);
const available = readdirSync(benchDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(benchDir, entry.name, "run.ts")))
  .map((entry) => entry.name)
  .sort();

const args = process.argv.slice(2);
const firstFlag = args.findIndex((arg) => arg.startsWith("-"));
const names = firstFlag < 0 ? args : args.slice(0, firstFlag);
const forwarded = firstFlag < 0 ? [] : args.slice(firstFlag);

const unknown = names.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark ${unknown.map((n) => `"${n}"`).join(", ")}; available: ${available.join(", ")}\n`);
  process.exit(2);
}

const failed: string[] = [];
for (const name of names.length > 0 ? names : available) {
  const script = join(benchDir, name, "run.ts");
  process.stdout.write(`\n== bench ${name} (${relative(repoRoot, script)}) ==\n`);
  const result = spawnSync(process.execPath, ["--import", "tsx", script, ...forwarded], { cwd: repoRoot, stdio: "inherit" });
  if (result.status !== 0) failed.push(`${name} (${result.signal ?? `exit ${result.status}`})`);
}
if (failed.length > 0) {
  process.stderr.write(`\nbenchmarks failed: ${failed.join(", ")}\n`);
  process.exit(1);
}
