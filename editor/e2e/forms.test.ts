/**
 * The generated config forms in Debian's Chromium (playwright-core, headless) against `serve`
 * in-process: an out-of-range number is kept and the save refused naming the node (which is marked
 * until a save succeeds), field pickers offer fields through a range check without rules, a rule
 * added empty counts as missing, http-out's bearer token gets the secret picker, and node docs are
 * rendered from their markdown. Skipped (saying why) only when /usr/bin/chromium is absent.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Browser, type Page } from "playwright-core";
import { loadCatalog } from "../../runtime/catalog/catalog.ts";
import type { FlowDocument } from "../../runtime/contract/flow-format.ts";
import type { Logger } from "../../runtime/sdk/define.ts";
import { serve, type Served } from "../../runtime/serve/serve.ts";
import { errorCollectingLogger, launchChromium, SKIP_WITHOUT_CHROMIUM } from "./browser.ts";
import { buildEditorIfStale, EDITOR_DIST } from "./build.ts";

const skip = SKIP_WITHOUT_CHROMIUM;
const serverErrors: string[] = [];
const quiet = errorCollectingLogger(serverErrors);

const at = (x: number, y: number) => ({ x, y });
const flow: FlowDocument = {
  format: "aiotflow/flow@1",
  id: "forms",
  name: "Forms",
  nodes: [
    { id: "sensor", type: "simulated-sensor", name: "Pumps", config: { signals: ["vibration", "temperature"] }, position: at(0, 0) },
    { id: "check", type: "range-check", name: "Cleaner", config: { rules: [{ field: "temperature", max: 150 }] }, position: at(300, 0) },
    { id: "alarm", type: "threshold", config: { field: "vibration", raise: 7, clear: 6 }, position: at(600, 0) },
    { id: "lonely", type: "threshold", config: { field: "vibration", raise: 7, clear: 6 }, position: at(600, 250) },
    { id: "hook", type: "http-out", config: { url: "http://127.0.0.1:9/hook" }, position: at(900, 0) },
  ],
  edges: [
    { id: "e1", from: { node: "sensor", port: "out" }, to: { node: "check", port: "in" } },
    { id: "e2", from: { node: "check", port: "out" }, to: { node: "alarm", port: "in" } },
  ],
  connections: {},
} as unknown as FlowDocument;

describe("the config forms in the browser editor", { skip, timeout: 120_000 }, () => {
  const temp = mkdtempSync(join(tmpdir(), "aiotflow-e2e-forms-"));
  let served: Served;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    await buildEditorIfStale();
    served = await serve({ catalog: await loadCatalog(), dataDir: join(temp, "data"), port: 0, host: "127.0.0.1", auth: false, logger: quiet, editorDir: EDITOR_DIST });
    const created = await fetch(new URL("/api/flows", served.url), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ document: flow, message: "forms e2e" }) });
    assert.equal(created.status, 201, await created.text());
    browser = await launchChromium(temp);
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("dialog", (dialog) => void dialog.accept());
    await page.goto(served.url);
    await page.locator(".palette").waitFor();
    await page.getByLabel("Open a flow").selectOption("forms");
    await page.locator('.react-flow__node[data-id="hook"]').waitFor();
  });

  after(async () => {
    await browser?.close();
    await served?.close();
    rmSync(temp, { recursive: true, force: true });
  });

  const node = (id: string) => page.locator(`.react-flow__node[data-id="${id}"]`);
  const select = (id: string) => node(id).locator(".aiot-node-head").click();
  const notice = () => page.getByTestId("notice");
  const save = async (message: string) => {
    await page.getByLabel("Save message").fill(message);
    await page.getByRole("button", { name: "Save" }).click();
  };

  it("keeps an out-of-range value, refuses the save naming the node and field, and marks the node until a save succeeds", async () => {
    await select("check");
    const stuck = page.getByTestId("field-stuckAfter");
    await stuck.fill("-5");
    await page.getByTestId("properties").getByText("must be >= 0").waitFor();
    await save("negative stuckAfter");
    await notice().filter({ hasText: "stuckAfter" }).waitFor();
    const text = await notice().innerText();
    assert.match(text, /node “Cleaner” \(check\), field stuckAfter/);
    assert.doesNotMatch(text, /nodes\[1\]/);
    assert.match((await node("check").locator(".aiot-node").getAttribute("class")) ?? "", /save-refused/);
    // The value typed is still there, in the field and in the config.
    await select("alarm");
    await select("check");
    assert.equal(await page.getByTestId("field-stuckAfter").inputValue(), "-5");

    await page.getByTestId("field-stuckAfter").fill("3");
    await save("stuckAfter 3");
    await notice().filter({ hasText: "Saved forms version 2" }).waitFor();
    assert.doesNotMatch((await node("check").locator(".aiot-node").getAttribute("class")) ?? "", /save-refused/);
    const stored = (await (await fetch(new URL("/api/flows/forms", served.url))).json()) as { version: { document: FlowDocument } };
    assert.deepEqual(stored.version.document.nodes.find((n) => n.id === "check")?.config, { rules: [{ field: "temperature", max: 150 }], stuckAfter: 3 });
  });

  it("renders the node docs' markdown as elements, not backticks", async () => {
    const docs = page.getByTestId("node-docs");
    await docs.waitFor();
    assert.ok((await docs.locator("code").count()) > 3, "inline code is rendered as code");
    assert.ok((await docs.locator("li strong").count()) >= 3, "the drop/clamp/flag bullets are a list with bold names");
    assert.doesNotMatch(await docs.innerText(), /`|\*\*/);
    // Field descriptions too: range-check's action says "to `rejected`".
    assert.doesNotMatch(await page.getByTestId("properties").locator(".field-help").allInnerTexts().then((t) => t.join("\n")), /`/);
  });

  it("counts a rule added empty as missing, and offers fields through a range check without rules", async () => {
    const properties = page.getByTestId("properties");
    await properties.getByRole("button", { name: "Add to rules" }).click();
    await node("check").getByTestId("missing-badge").filter({ hasText: "missing 1" }).waitFor();
    await properties.getByRole("button", { name: "Remove rules 2" }).click();
    await properties.getByRole("button", { name: "Remove rules 1" }).click();
    await node("check").getByTestId("missing-badge").waitFor();

    await select("alarm");
    const chips = page.getByTestId("field-field-upstream");
    await chips.getByRole("button", { name: "temperature" }).waitFor();
    assert.deepEqual(await chips.getByRole("button").allInnerTexts(), ["vibration", "temperature"]);

    await select("lonely");
    await page.getByTestId("field-field-no-fields").filter({ hasText: "Not wired yet" }).waitFor();
  });

  it("offers the secret picker for http-out's bearer token", async () => {
    await select("hook");
    const auth = page.getByTestId("field-auth");
    await auth.waitFor();
    assert.match(await page.getByTestId("properties").innerText(), /Bearer token sent as Authorization/);
  });

  it("says import problems the editor's way: no `$` path, the palette instead of the CLI", async () => {
    await page.getByRole("button", { name: "Import", exact: true }).click();
    const dialog = page.getByTestId("import-dialog");
    await dialog.getByLabel("Flow JSON").fill("{ not json");
    await dialog.getByRole("button", { name: "Import" }).click();
    await page.getByTestId("import-problems").filter({ hasText: "IMPORT_NOT_JSON" }).waitFor();
    assert.equal(await page.getByTestId("import-problems").locator("code.path").count(), 0, "`$` is not shown as a path");

    const unknown = { ...flow, id: "unknown", nodes: [...flow.nodes, { id: "mystery", type: "no-such-node", name: "Mystery", config: {} }] };
    await dialog.getByLabel("Flow JSON").fill(JSON.stringify(unknown));
    await dialog.getByRole("button", { name: "Import" }).click();
    const problems = page.getByTestId("import-problems").filter({ hasText: "FLOW_UNKNOWN_NODE_TYPE" });
    await problems.waitFor();
    const text = await problems.innerText();
    assert.match(text, /node “Mystery” \(mystery\), field type/);
    assert.match(text, /palette/);
    assert.doesNotMatch(text, /aiotflow nodes/);
    await dialog.getByRole("button", { name: "Cancel" }).click();
    assert.deepEqual(pageErrors, []);
  });

  it("left no server errors behind", () => {
    assert.deepEqual(serverErrors, []);
  });
});
