/**
 * Watching a running flow in Debian's Chromium (playwright-core, headless): live counts on the
 * nodes and metrics on hover, the debug list filtered, paused and resumed, a message opened with
 * its payload and lineage, upstream fields picked in a form, and a secret picked (and one added).
 * Screenshot: docs/editor-debug.png. Skipped, saying why, only when /usr/bin/chromium is absent.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Browser, type Page } from "playwright-core";
import { loadCatalog } from "../../runtime/catalog/catalog.ts";
import { PACKAGE_ROOT } from "../../runtime/catalog/paths.ts";
import { Config, defineNode, Secret, type Logger } from "../../runtime/sdk/index.ts";
import { serve, type Served } from "../../runtime/serve/serve.ts";
import { flowOf } from "../../test/support/test-nodes.ts";
import { until } from "../../test/support/wait.ts";
import { apiClient, errorCollectingLogger, launchChromium, SKIP_WITHOUT_CHROMIUM } from "./browser.ts";
import { buildEditorIfStale, EDITOR_DIST } from "./build.ts";

const PASSWORD = "e2e live admin password";
const DOCS = join(PACKAGE_ROOT, "docs");
const skip = SKIP_WITHOUT_CHROMIUM;

/** A node with a secret reference, so the form's secret picker has something to fill. */
const brokerLogin = defineNode({
  type: "e2e-broker-login",
  version: 1,
  family: "sinks",
  title: "E2E broker login",
  summary: "Holds a broker password as a secret reference (browser test fixture).",
  config: Config({ password: Secret("The broker's password.") }),
  inputs: { in: { kind: "any", description: "Anything." } },
  outputs: {},
  examples: [{ title: "plain", config: { password: { $secret: "broker-password" } } }],
  create: (config, ctx) => {
    ctx.secret(config.password);
    return { onMessage: () => {} };
  },
});

const serverErrors: string[] = [];
const quiet = errorCollectingLogger(serverErrors);

/** Two pumps every 100 ms into a debug sink, a window with its own debug sink, an unwired threshold and range check. */
const wired = flowOf(
  [
    ["pumps", "simulated-sensor", { devices: ["pump-1", "pump-2"], intervalMs: 100 }],
    ["raw", "debug", { label: "raw readings", maxPerSecond: 5 }],
    ["window", "sliding-window", { fields: ["vibration"], stats: ["mean", "rms"], window: { by: "count", count: 5 } }],
    ["features", "debug", { maxPerSecond: 5 }],
    ["alarm", "threshold", { field: "vibration", raise: 9, clear: 8 }],
    ["clean", "range-check", { rules: [{ field: "temperature", max: 150 }] }],
    ["alarm-log", "debug", {}],
  ],
  ["pumps.out->raw.in", "pumps.out->window.in", "window.out->features.in", "pumps.out->alarm.in", "pumps.out->clean.in", "alarm.events->alarm-log.in"],
  "live-line",
);
const PLACES: Record<string, { x: number; y: number }> = {
  pumps: { x: 0, y: 200 }, raw: { x: 280, y: 0 }, window: { x: 280, y: 130 }, features: { x: 560, y: 130 }, alarm: { x: 280, y: 270 }, clean: { x: 280, y: 430 },
  "alarm-log": { x: 560, y: 270 },
};
/** Names the canvas shows; the debug list must show them too (ids on hover). */
const NAMES: Record<string, string> = { features: "feature stats", "alarm-log": "ALARM" };
const line = { ...wired, nodes: wired.nodes.map((n) => ({ ...n, position: PLACES[n.id] ?? n.position, ...(NAMES[n.id] ? { name: NAMES[n.id] } : {}) })) };

describe("watching a running flow in the editor", { skip, timeout: 120_000 }, () => {
  const temp = mkdtempSync(join(tmpdir(), "aiotflow-e2e-live-"));
  let served: Served;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  let api: Awaited<ReturnType<typeof apiClient>>;

  before(async () => {
    await buildEditorIfStale();
    served = await serve({
      catalog: await loadCatalog([brokerLogin]), dataDir: join(temp, "data"), port: 0, host: "127.0.0.1", auth: true, logger: quiet,
      adminPassword: PASSWORD, editorDir: EDITOR_DIST,
    });
    api = await apiClient(served.url, PASSWORD);
    assert.equal((await api("POST", "/api/flows", { document: line, message: "e2e live" })).status, 201);
    const deployed = await api("POST", "/api/flows/live-line/deploy", {});
    assert.equal(deployed.status, 200, JSON.stringify(deployed.body));
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

  const node = (id: string) => page.locator(`.react-flow__node[data-id="${id}"]`);
  const debugLines = () => page.getByTestId("debug-messages").locator("li");

  it("shows live counts on every node and the node's metrics on hover", async () => {
    await page.goto(served.url);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();
    // Debug messages sent before the editor opens the flow: they must be shown from the server's history.
    const rawHasInput = async () => {
      const metrics = await api("GET", "/api/runtime/live-line/metrics");
      return (metrics.body.nodes as Array<{ node: string; in: number }> | undefined)?.some((n) => n.node === "raw" && n.in > 0) ?? false;
    };
    await until(rawHasInput, "the first debug message at the raw node", { timeoutMs: 10_000 });
    await page.getByLabel("Open a flow").selectOption("live-line");
    await node("pumps").waitFor();
    // The sensor sends 20 readings a second: its out rate and the window's in rate become non-zero.
    await page.waitForFunction(() => /[1-9][\d.]*\/s ▶/.test(document.querySelector('[data-testid="live-pumps"]')?.textContent ?? ""), undefined, { timeout: 15_000 });
    await page.waitForFunction(() => /▶ [1-9]/.test(document.querySelector('[data-testid="live-window"]')?.textContent ?? ""), undefined, { timeout: 15_000 });
    assert.match(await page.getByTestId("live-raw").innerText(), /0 err/);
    // A processing node passing messages is running, not "idle".
    await page.waitForFunction(() => document.querySelector('[data-testid="status-window"]')?.textContent === "running", undefined, { timeout: 15_000 });

    await node("window").hover();
    const tip = page.getByTestId("metrics-window");
    await tip.waitFor();
    const text = await tip.innerText();
    for (const row of ["in", "out", "errors", "dropped", "queue depth", "latency p50", "latency p99"]) assert.match(text, new RegExp(`^${row}\\b`, "m"));
    await page.mouse.move(5, 300);
    await tip.waitFor({ state: "hidden" });
  });

  it("shows the debug messages sent before the editor was opened, dimmed under an 'earlier' marker", async () => {
    await page.locator('[data-testid="debug-messages"] li[data-replayed="true"]').first().waitFor({ timeout: 15_000 });
    assert.equal(await page.getByTestId("debug-earlier").count(), 1, "one marker between now and before");
    const marked = page.locator('[data-testid="debug-messages"] li', { has: page.getByTestId("debug-earlier") });
    assert.equal(await marked.getAttribute("data-replayed"), "true");
  });

  it("names debug nodes as the canvas does and offers every debug node in the filter, sent or not", async () => {
    const options = await page.getByLabel("Filter by node").locator("option").evaluateAll((all) => all.map((o) => [(o as HTMLOptionElement).value, o.textContent]));
    for (const [id, label] of [["alarm-log", "ALARM"], ["features", "feature stats"], ["raw", "raw"]]) {
      assert.ok(options.some(([v, t]) => v === id && t === label), `${id} offered as ${label}: ${JSON.stringify(options)}`);
    }
    await page.getByLabel("Filter by node").selectOption("features");
    await debugLines().first().waitFor({ timeout: 15_000 });
    const names = page.getByTestId("debug-messages").locator("li b");
    assert.ok((await names.allInnerTexts()).every((t) => t === "feature stats"), "the node's name, not its id");
    assert.equal(await names.first().getAttribute("title"), "features", "the id on hover");
    await page.getByLabel("Filter by node").selectOption("");
  });

  it("keeps Pause, Clear and the filter at the top while the list scrolls", async () => {
    const panel = page.locator("section.debug");
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="debug-messages"] li').length > 40, undefined, { timeout: 15_000 });
    await panel.evaluate((el) => (el.scrollTop = el.scrollHeight));
    assert.ok(await panel.evaluate((el) => el.scrollTop > 0), "the list scrolled");
    const box = (await panel.boundingBox())!;
    assert.ok(box.height > 400, `with no node selected the debug panel takes most of the side: ${box.height}px of 800`);
    const pause = (await page.getByRole("button", { name: "Pause" }).boundingBox())!;
    assert.ok(pause.y >= box.y && pause.y + pause.height <= box.y + box.height, `Pause stays in view: ${JSON.stringify({ box, pause })}`);
    await panel.evaluate((el) => (el.scrollTop = 0));
  });

  it("filters the debug list by node, pauses it without losing messages, and resumes", async () => {
    await debugLines().first().waitFor({ timeout: 15_000 });
    await page.getByLabel("Filter by node").selectOption("raw");
    // A raw reading that arrived after the switch tops the list (newest first) once the filter lets it in.
    const newest = () => document.querySelector('[data-testid="debug-messages"] li')?.textContent ?? "";
    const before = await page.evaluate(newest);
    await page.waitForFunction((seen) => (document.querySelector('[data-testid="debug-messages"] li')?.textContent ?? "") !== seen, before, { timeout: 15_000 });
    const labels = await page.getByTestId("debug-messages").locator("li b").allInnerTexts();
    assert.ok(labels.length > 0 && labels.every((l) => l === "[raw readings] raw"), `only raw: ${labels.join(", ")}`);

    await page.getByRole("button", { name: "Pause" }).click();
    const frozen = await debugLines().allInnerTexts();
    // Over a second of messages: the other debug nodes' too, so wait long enough for raw's next ones.
    await page.getByTestId("debug-paused").filter({ hasText: /Paused: (1[2-9]|[2-9]\d|\d{3,}) new messages waiting/ }).waitFor({ timeout: 15_000 });
    assert.deepEqual(await debugLines().allInnerTexts(), frozen, "the list stands still while paused");
    await page.getByRole("button", { name: /^Resume \(\d+\)$/ }).click();
    await page.getByTestId("debug-paused").waitFor({ state: "detached" });
    assert.notEqual(await debugLines().first().innerText(), frozen[0], "the waiting messages joined the list");
  });

  it("opens a message with its payload, key, event time, meta and lineage", async () => {
    await page.getByLabel("Filter by node").selectOption("features");
    await debugLines().first().locator("button").click();
    const detail = page.getByTestId("message-detail");
    await detail.waitFor();
    assert.match(await page.getByTestId("detail-key").innerText(), /^pump-[12]$/);
    assert.match(await page.getByTestId("detail-ts").innerText(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const payload = JSON.parse(await page.getByTestId("detail-payload").innerText()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(payload).sort(), ["count", "vibration_mean", "vibration_rms", "window_end", "window_start"]);
    assert.match(await page.getByTestId("detail-meta").innerText(), /"source": "pumps"/);
    const lineage = await page.getByTestId("detail-lineage").innerText();
    assert.match(lineage, /meta\.source: pumps/);
    assert.match(lineage, /pumps → window → features/);
    // Opened over the editor, not squeezed into the debug panel.
    const box = (await detail.boundingBox())!;
    assert.ok(box.width >= 500, `the detail is wide enough to read: ${box.width}px`);
    await page.screenshot({ path: join(DOCS, "editor-debug.png") });
    await page.keyboard.press("Escape");
    await detail.waitFor({ state: "detached" });
    await debugLines().first().locator("button").click();
    await detail.waitFor();
    await page.getByRole("button", { name: "Close message" }).click();
    await detail.waitFor({ state: "detached" });
    await node("features").hover();
    await page.getByTestId("metrics-features").waitFor();
    await page.mouse.move(5, 300);
  });

  it("offers the fields known upstream in field pickers", async () => {
    await node("alarm").locator(".aiot-node-head").click();
    const choices = page.getByTestId("field-field-upstream");
    await choices.getByRole("button", { name: "temperature" }).waitFor();
    assert.deepEqual(await choices.getByRole("button").allInnerTexts(), ["vibration", "temperature", "current"]);
    await choices.getByRole("button", { name: "temperature" }).click();
    assert.equal(await page.getByTestId("field-field").inputValue(), "temperature");

    await node("window").locator(".aiot-node-head").click();
    const listChoices = page.getByTestId("field-fields-upstream");
    await listChoices.getByRole("button", { name: "current" }).click();
    assert.equal(await page.getByTestId("field-fields").inputValue(), "vibration\ncurrent");
    await listChoices.getByRole("button", { name: "vibration" }).click();
    assert.equal(await page.getByTestId("field-fields").inputValue(), "current", "a second click takes a field out");

    // A list of rules, each a small form of its own, with the picker on each rule's field.
    await node("clean").locator(".aiot-node-head").click();
    assert.equal(await page.getByTestId("field-rules.0.field").inputValue(), "temperature");
    await page.getByRole("button", { name: "Add to rules" }).click();
    await page.getByTestId("field-rules.1.field-upstream").getByRole("button", { name: "current" }).click();
    assert.equal(await page.getByTestId("field-rules.1.field").inputValue(), "current");
    await page.getByRole("button", { name: "Remove rules 1" }).click();
    assert.equal(await page.getByTestId("field-rules.0.field").inputValue(), "current", "the remaining rule moved up with its own values");
  });

  it("picks a secret by name, refuses a bad new name with the API's words, and adds one", async () => {
    await page.getByLabel("Search nodes").fill("broker login");
    await page.dragAndDrop('[data-testid="palette-e2e-broker-login"]', ".react-flow__pane", { targetPosition: { x: 200, y: 420 } });
    await page.getByLabel("Search nodes").fill("");
    await node("e2e-broker-login").locator(".aiot-node-head").click();
    const picker = page.getByTestId("field-password");
    await picker.waitFor();
    assert.deepEqual(await picker.locator("option").allInnerTexts(), ["(choose a secret)"]);

    await page.getByRole("button", { name: "New secret…" }).click();
    await page.getByLabel("New secret name").fill("bad name!");
    await page.getByLabel("New secret value").fill("irrelevant");
    await page.getByRole("button", { name: "Store", exact: true }).click();
    await page.locator(".secret-new .error").waitFor();

    await page.getByLabel("New secret name").fill("broker-password");
    await page.getByLabel("New secret value").fill("s3cret-value");
    await page.getByRole("button", { name: "Store", exact: true }).click();
    await page.waitForFunction(() => (document.querySelector('[data-testid="field-password"]') as HTMLSelectElement | null)?.value === "broker-password");
    assert.deepEqual((await api("GET", "/api/secrets")).body.secrets.map((s: { name: string }) => s.name), ["broker-password"]);
    assert.ok(!(await page.content()).includes("s3cret-value"), "the value is not kept in the page");
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(serverErrors, []);
  });
});
