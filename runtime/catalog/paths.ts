import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The package's root folder, whether running from the sources or from the compiled dist/. */
export const PACKAGE_ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "aiotflow") return dir;
    const parent = dirname(dir);
    // A plain Error: this file ships inside the package, so only a damaged install (no package.json) gets here.
    if (parent === dir) throw new Error("aiotflow: cannot find the package root (package.json)");
    dir = parent;
  }
})();

export const SHIPPED_FLOWS_DIR = join(PACKAGE_ROOT, "flows");
