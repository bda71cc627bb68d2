// Part of `npm run build`: bundles TypeBox (about 700 small ES modules) into a few files under
// dist/vendor/ and points the compiled runtime's imports at them. Node keeps per-module state for
// every file it loads, and TypeBox's module count alone added ~20 MiB to the resident memory of
// every runtime process, a gateway's included; bundled it adds ~6 MiB. Sources run through tsx are
// untouched (they import the package as published).
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
/** The compiled tree to rewrite: dist/, or another directory given as the argument (tests). */
const dist = process.argv[2] ? resolve(process.argv[2]) : join(root, "dist");
const vendor = join(dist, "vendor");
/** Import specifier -> bundle entry name. One build with code splitting, so the entries share one copy of TypeBox's internals. */
const ENTRIES = { typebox: "typebox", "typebox/compile": "typebox-compile", "typebox/value": "typebox-value" };

await build({
  entryPoints: Object.entries(ENTRIES).map(([specifier, name]) => ({ in: specifier, out: name })),
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  outdir: vendor,
  outExtension: { ".js": ".js" },
  chunkNames: "chunk-[hash]",
  logLevel: "warning",
  absWorkingDir: root,
});

let rewritten = 0;
let pointing = 0;
for (const entry of readdirSync(dist, { withFileTypes: true, recursive: true })) {
  const file = join(entry.parentPath, entry.name);
  if (!entry.isFile() || !entry.name.endsWith(".js") || file.startsWith(vendor + sep)) continue;
  const text = readFileSync(file, "utf8");
  const next = text.replace(/(from\s*|import\s*\(\s*)"(typebox(?:\/compile|\/value)?)"/g, (whole, lead, specifier) => {
    const target = relative(dirname(file), join(vendor, `${ENTRIES[specifier]}.js`)).split(sep).join("/");
    return `${lead}"${target.startsWith(".") ? target : `./${target}`}"`;
  });
  if (next !== text) {
    writeFileSync(file, next);
    rewritten++;
  }
  if (next.includes("vendor/typebox")) pointing++;
}
console.log(`vendor-bundle: TypeBox bundled into ${relative(root, vendor)}/; ${pointing} compiled files use it (${rewritten} rewritten now)`);
