/** Builds editor/dist through Vite's JS API when it is missing or older than the editor's sources. */
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const EDITOR_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const EDITOR_DIST = join(EDITOR_ROOT, "dist");

function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

export function editorBuildIsStale(): boolean {
  const index = join(EDITOR_DIST, "index.html");
  if (!existsSync(index)) return true;
  const sources = Math.max(...["src", "index.html", "vite.config.ts"].map((p) => newest(join(EDITOR_ROOT, p))));
  return sources > statSync(index).mtimeMs;
}

export async function buildEditorIfStale(): Promise<boolean> {
  if (!editorBuildIsStale()) return false;
  const { build } = await import("vite");
  await build({ configFile: join(EDITOR_ROOT, "vite.config.ts"), logLevel: "warn" });
  return true;
}
