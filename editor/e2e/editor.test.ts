/**
 * The editor end to end in Debian's Chromium (playwright-core, headless): `serve` in-process on a
 * free port over a temporary data dir, then log in, build, wire, configure, save, deploy and watch
 * a flow the way a user does. Screenshots land in docs/editor-*.png.
 * Needs `apt-get install -y chromium`; skipped (and says so) only when /usr/bin/chromium is absent.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Browser, type Page } from "playwright-core";
import { loadCatalog } from "../../runtime/catalog/catalog.ts";
import { PACKAGE_ROOT, SHIPPED_FLOWS_DIR } from "../../runtime/catalog/paths.ts";
import type { Logger } from "../../runtime/sdk/define.ts";
import { serve, type Served } from "../../runtime/serve/serve.ts";
import { errorCollectingLogger, launchChromium, SKIP_WITHOUT_CHROMIUM } from "./browser.ts";
import { buildEditorIfStale, EDITOR_DIST } from "./build.ts";

const PASSWORD = "e2e admin password";
const DOCS = join(PACKAGE_ROOT, "docs");
const skip = SKIP_WITHOUT_CHROMIUM;

const serverErrors: string[] = [];
const quiet = errorCollectingLogger(serverErrors);

describe("the browser editor", { skip, timeout: 120_000 }, () => {
  const temp = mkdtempSync(join(tmpdir(), "aiotflow-e2e-"));
  let served: Served;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    await buildEditorIfStale();
    served = await serve({
      catalog: await loadCatalog(), dataDir: join(temp, "data"), port: 0, host: "127.0.0.1", auth: true, logger: quiet,
      seedFlow: join(SHIPPED_FLOWS_DIR, "pump-monitoring.json"), adminPassword: PASSWORD, editorDir: EDITOR_DIST,
    });
    browser = await launchChromium(temp);
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on("pageerror", (error) => pageErrors.push(error.message));
    mkdirSync(DOCS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await served?.close();
    rmSync(temp, { recursive: true, force: true });
  });

  const shot = (name: string) => page.screenshot({ path: join(DOCS, `editor-${name}.png`) });
  const handle = (node: string, port: string, side: "source" | "target") => page.locator(`.react-flow__handle.${side}[data-nodeid="${node}"][data-handleid="${port}"]`);
  const edges = () => page.locator(".react-flow__edge");

  async function wire(from: string, to: string): Promise<void> {
    const [fromNode, fromPort] = from.split(".") as [string, string];
    const [toNode, toPort] = to.split(".") as [string, string];
    const a = await handle(fromNode, fromPort, "source").boundingBox();
    const b = await handle(toNode, toPort, "target").boundingBox();
    assert.ok(a && b, `handles ${from} and ${to} are on the canvas`);
    await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
    await page.mouse.down();
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 12 });
    await page.mouse.up();
  }

  async function drop(type: string, x: number, y: number): Promise<void> {
    await page.dragAndDrop(`[data-testid="palette-${type}"]`, ".react-flow__pane", { targetPosition: { x, y } });
    await page.locator(`.react-flow__node[data-id="${type}"]`).waitFor();
  }

  const select = (node: string) => page.locator(`.react-flow__node[data-id="${node}"] .aiot-node-head`).click();

  it("refuses a wrong password with the API's message, then logs in", async () => {
    await page.goto(served.url);
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByTestId("login-error").waitFor();
    assert.match(await page.getByTestId("login-error").innerText(), /wrong username or password/);
    await shot("login");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.locator(".palette").waitFor();
    assert.ok(await page.evaluate(() => sessionStorage.getItem("aiotflow.token")), "the token is kept in sessionStorage");
  });

  it("opens the demo flow from the flow picker", async () => {
    await page.getByLabel("Open a flow").selectOption("pump-monitoring");
    await page.locator('.react-flow__node[data-id="show-alarms"]').waitFor();
    const demo = JSON.parse(readFileSync(join(SHIPPED_FLOWS_DIR, "pump-monitoring.json"), "utf8")) as { nodes: unknown[]; edges: unknown[] };
    assert.equal(await page.locator(".react-flow__node").count(), demo.nodes.length);
    assert.equal(await edges().count(), demo.edges.length);
    await page.locator('.react-flow__node[data-id="pumps"] .badge.status-running').waitFor();
    await page.getByTestId("debug-messages").locator("li").first().waitFor({ timeout: 15_000 });
    await shot("demo-flow");
  });

  it("builds a new flow from the palette, refusing a wire of the wrong kind", async () => {
    await page.getByRole("button", { name: "New flow" }).click();
    await page.getByLabel("New flow id").fill("e2e-line");
    await page.getByLabel("New flow name").fill("E2E line");
    await page.getByRole("button", { name: "Create" }).click();
    assert.equal(await page.locator(".react-flow__node").count(), 0);

    await drop("simulated-sensor", 80, 80);
    await drop("debug", 480, 60);
    await page.getByLabel("Search nodes").fill("sliding");
    await drop("sliding-window", 480, 300);
    await page.getByLabel("Search nodes").fill("");

    await wire("simulated-sensor.out", "debug.in");
    await page.waitForFunction(() => document.querySelectorAll(".react-flow__edge").length === 1);

    await wire("simulated-sensor.error", "sliding-window.in");
    await page.getByTestId("wire-refused").waitFor();
    assert.match(await page.getByTestId("wire-refused").innerText(), /simulated-sensor\.error carries event but sliding-window\.in accepts reading only/);
    assert.equal(await edges().count(), 1, "the refused wire was not added");
    await shot("wire-refused");
  });

  it("marks missing config and fills it through the generated form", async () => {
    const window = page.locator('.react-flow__node[data-id="sliding-window"]');
    assert.equal(await window.getByTestId("missing-badge").count(), 1);
    assert.match(await page.getByTestId("problems").innerText(), /sliding-window \(fields\)/);
    await select("sliding-window");
    await page.getByTestId("field-fields").fill("vibration");
    await window.getByTestId("missing-badge").waitFor({ state: "detached" });
    await wire("simulated-sensor.out", "sliding-window.in");
    await page.waitForFunction(() => document.querySelectorAll(".react-flow__edge").length === 2);

    await select("debug");
    await page.getByTestId("field-label").fill("e2e-probe");
    await select("simulated-sensor");
    await page.getByTestId("field-intervalMs").fill("100");
    await shot("properties");
  });

  it("saves, deploys and shows the flow's debug messages live", async () => {
    await page.getByLabel("Save message").fill("first e2e version");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByTestId("notice").filter({ hasText: "Saved e2e-line version 1" }).waitFor();
    await page.getByRole("button", { name: "Deploy" }).click();
    await page.getByTestId("notice").filter({ hasText: /Deployed e2e-line version 1: running/ }).waitFor();
    await page.getByTestId("debug-messages").filter({ hasText: "[e2e-probe]" }).waitFor({ timeout: 15_000 });
    await page.locator('.react-flow__node[data-id="simulated-sensor"] .badge.status-running').waitFor();
    await shot("deployed");
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(serverErrors, []);
  });
});
