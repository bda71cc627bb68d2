/**
 * The built browser editor (editor/dist) at `/`: static files, and index.html for any other GET
 * outside /api and /metrics so the editor's own paths survive a reload. Without a build, `/` says
 * how to make one.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import express from "express";
import { PACKAGE_ROOT } from "../catalog/paths.ts";

export const EDITOR_DIST = join(PACKAGE_ROOT, "editor", "dist");

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>aiotflow</title>
<h1>The aiotflow editor is not built</h1>
<p>Run <code>npm run build:editor</code> in the aiotflow folder, then reload this page.
The admin API is served meanwhile under <a href="/api/openapi.json">/api</a>.</p>`;

// React Flow sets inline styles; the events WebSocket is same-origin.
const CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'";

export function mountEditor(app: express.Express, dir = EDITOR_DIST): void {
  const files = express.static(dir, { index: false, dotfiles: "ignore", fallthrough: true });
  app.use((req, res, next) => {
    if ((req.method !== "GET" && req.method !== "HEAD") || /^\/(api|metrics)(\/|$)/.test(req.path)) return next();
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Content-Security-Policy", CSP);
    const index = join(dir, "index.html");
    if (!existsSync(index)) return void res.status(503).type("html").send(NOT_BUILT);
    files(req, res, () => {
      // Hashed assets that are missing are real 404s; every other path is the editor's.
      if (req.path.startsWith("/assets/")) return next();
      res.setHeader("Cache-Control", "no-cache");
      res.sendFile(index);
    });
  });
}
