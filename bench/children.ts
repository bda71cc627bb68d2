// Shared by every benchmark's orchestrator: build the compiled runtime once, run one system per
// fresh child process and read back the one JSON line it prints.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = join(fileURLToPath(new URL(".", import.meta.url)), "..");

export interface Child {
  readonly label: string;
  readonly argv: readonly string[];
}

/** Benchmarks measure aiotflow as deployed: compiled to JavaScript, like Node-RED's plain JavaScript. */
export function buildCompiled(): void {
  const build = spawnSync("npm", ["run", "--silent", "build"], { cwd: repoRoot, stdio: "inherit" });
  if (build.status !== 0) throw new Error("npm run build failed; the benchmark measures the compiled build");
}

/** Runs one child to completion (killed after `timeoutMs`) and returns its last JSON line. */
export function runChild<R>(child: Child, timeoutMs: number): Promise<R> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, child.argv, { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    proc.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    proc.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
    proc.on("error", reject);
    proc.on("close", (code, signal) => {
      clearTimeout(timer);
      const line = stdout.trim().split("\n").reverse().find((l) => l.startsWith("{"));
      if (code !== 0 || line === undefined) {
        const why = signal === "SIGKILL" ? `killed after ${timeoutMs / 1000} s` : `exit ${code ?? signal}`;
        reject(new Error(`${child.label}: ${why}\n${stderr.trim().slice(-2000)}`));
        return;
      }
      resolve(JSON.parse(line) as R);
    });
  });
}

/**
 * Writes `bench/results/<name>.json` (the summary) and `bench/results/raw/<name>.json` (every run),
 * then exits 1 listing `failures` if there were any.
 */
export function writeResultsAndFinish(name: string, output: { readonly date: string }, raw: object, failures: readonly string[]): void {
  const resultsDir = join(repoRoot, "bench", "results");
  mkdirSync(join(resultsDir, "raw"), { recursive: true });
  writeFileSync(join(resultsDir, `${name}.json`), `${JSON.stringify(output, null, 2)}\n`);
  writeFileSync(join(resultsDir, "raw", `${name}.json`), `${JSON.stringify({ date: output.date, ...raw }, null, 2)}\n`);
  console.log(`\nwrote bench/results/${name}.json (per-run results: bench/results/raw/${name}.json)`);
  if (failures.length > 0) {
    console.error(`\n${failures.length} problem(s):`);
    for (const f of failures) console.error(`- ${f}`);
    process.exit(1);
  }
}
