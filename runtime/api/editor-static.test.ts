import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import express from "express";
import { mountEditor } from "./editor-static.ts";

async function listen(dir: string): Promise<{ url: string; server: Server }> {
  const app = express();
  app.get("/api/flows", (_req, res) => void res.json({ flows: [] }));
  mountEditor(app, dir);
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe("the editor at /", () => {
  const dir = mkdtempSync(join(tmpdir(), "aiotflow-editor-"));
  let built: { url: string; server: Server };
  let missing: { url: string; server: Server };
  before(async () => {
    mkdirSync(join(dir, "dist", "assets"), { recursive: true });
    writeFileSync(join(dir, "dist", "index.html"), "<!doctype html><div id=root></div>");
    writeFileSync(join(dir, "dist", "assets", "app.js"), "console.log(1)");
    built = await listen(join(dir, "dist"));
    missing = await listen(join(dir, "nothing-here"));
  });
  after(() => {
    built.server.close();
    missing.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves index.html at / and for the editor's own paths", async () => {
    for (const path of ["/", "/flows/pump-monitoring"]) {
      const res = await fetch(built.url + path);
      assert.equal(res.status, 200, path);
      assert.match(await res.text(), /id=root/);
      assert.match(res.headers.get("content-security-policy") ?? "", /default-src 'self'/);
    }
  });

  it("serves built assets, and a missing asset is a 404 rather than the page", async () => {
    const asset = await fetch(`${built.url}/assets/app.js`);
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get("content-type") ?? "", /javascript/);
    assert.equal((await fetch(`${built.url}/assets/gone.js`)).status, 404);
  });

  it("leaves /api to the API", async () => {
    assert.deepEqual(await (await fetch(`${built.url}/api/flows`)).json(), { flows: [] });
    const unknown = await fetch(`${built.url}/api/nope`);
    assert.equal(unknown.status, 404);
    assert.doesNotMatch(await unknown.text(), /id=root/);
  });

  it("says how to build the editor when it is not built", async () => {
    const res = await fetch(`${missing.url}/`);
    assert.equal(res.status, 503);
    assert.match(await res.text(), /npm run build:editor/);
  });
});
