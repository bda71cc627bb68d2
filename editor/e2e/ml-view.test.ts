/**
 * The operator's ML view in Debian's Chromium (playwright-core, headless): a running flow scores
 * simulated pumps with an onnx-inference node (A/B over two registered versions of a linear model,
 * a shadow, every prediction explained). The debug list and the message detail show each alert's
 * top contributing features as signed bars; the node's Variants view shows the per-variant table.
 * A saved flow that is not running gets a clear message instead of a table.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Browser, type Page } from "playwright-core";
import { loadCatalog } from "../../runtime/catalog/catalog.ts";
import { PACKAGE_ROOT } from "../../runtime/catalog/paths.ts";
import { linearOnnx } from "../../runtime/ml/onnx-export.ts";
import { serve, type Served } from "../../runtime/serve/serve.ts";
import { flowOf } from "../../test/support/test-nodes.ts";
import { apiClient, errorCollectingLogger, launchChromium, SKIP_WITHOUT_CHROMIUM } from "./browser.ts";
import { buildEditorIfStale, EDITOR_DIST } from "./build.ts";

const PASSWORD = "e2e ml view admin password";
const DOCS = join(PACKAGE_ROOT, "docs");
const FEATURES = ["vibration_rms", "temperature_mean"];
/** Scores around 0.5 for the simulated pumps (vibration ≈ 2.2 mm/s, temperature ≈ 55 °C). */
const onnx = (bias: number) => Buffer.from(linearOnnx({ featureNames: FEATURES, weights: [2, 0.1], bias, link: "sigmoid" })).toString("base64");
const REFERENCE = { vibration_rms: { mean: 2, std: 0.2 }, temperature_mean: { mean: 54, std: 2 } };

const scoring = (id: string) => flowOf(
  [
    ["pumps", "simulated-sensor", { devices: ["pump-1", "pump-2", "pump-3", "pump-4", "pump-5", "pump-6"], intervalMs: 100 }],
    ["features", "map", { set: { vibration_rms: "payload.vibration", temperature_mean: "payload.temperature" }, mode: "replace" }],
    ["labels", "map", { set: { label: "payload.vibration > 2.2" }, mode: "replace" }],
    ["score", "onnx-inference", {
      model: "pump", features: FEATURES, output: { threshold: 0.5, labels: ["ok", "failing"] },
      variants: [{ id: "a", version: "production", percent: 50 }, { id: "b", version: "candidate", percent: 50 }],
      shadow: { model: "pump-shadow", version: 1 }, explain: { rate: 1, top: 2 },
    }],
    ["alarms", "debug", { label: "alarms", maxPerSecond: 20 }],
  ],
  ["pumps.out->features.in", "pumps.out->labels.in", "features.out->score.in", "labels.out->score.feedback", "score.out->alarms.in"],
  id,
);

describe("the operator's ML view", { skip: SKIP_WITHOUT_CHROMIUM, timeout: 90_000 }, () => {
  const temp = mkdtempSync(join(tmpdir(), "aiotflow-e2e-ml-"));
  const serverErrors: string[] = [];
  const pageErrors: string[] = [];
  let served: Served;
  let browser: Browser;
  let page: Page;
  let api: Awaited<ReturnType<typeof apiClient>>;

  before(async () => {
    await buildEditorIfStale();
    served = await serve({ catalog: await loadCatalog(), dataDir: join(temp, "data"), port: 0, host: "127.0.0.1", auth: true, logger: errorCollectingLogger(serverErrors), adminPassword: PASSWORD, editorDir: EDITOR_DIST });
    api = await apiClient(served.url, PASSWORD);
    for (const [name, bias] of [["pump", -9.9], ["pump", -9.7], ["pump-shadow", -9.8]] as const) {
      assert.equal((await api("POST", `/api/models/${name}/versions`, { onnx: onnx(bias), reference: REFERENCE })).status, 201);
    }
    assert.equal((await api("POST", "/api/models/pump/versions/1/promote", { stage: "production" })).status, 200);
    assert.equal((await api("POST", "/api/flows", { document: scoring("ml-line") })).status, 201);
    const deployed = await api("POST", "/api/flows/ml-line/deploy", {});
    assert.equal(deployed.status, 200, JSON.stringify(deployed.body));
    // The same flow saved but never deployed: its Variants view has nothing running to read.
    assert.equal((await api("POST", "/api/flows", { document: scoring("ml-draft") })).status, 201);
    browser = await launchChromium(temp);
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on("pageerror", (error) => pageErrors.push(error.message));
  });

  after(async () => {
    await browser?.close();
    await served?.close();
    rmSync(temp, { recursive: true, force: true });
  });

  const node = (id: string) => page.locator(`.react-flow__node[data-id="${id}"]`);

  it("shows each scored message's top contributing features as signed bars, in the list and the detail", async () => {
    await page.goto(served.url);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByLabel("Open a flow").selectOption("ml-line");
    await node("score").waitFor();
    const why = page.getByTestId("debug-messages").getByTestId("explanation-line").first();
    await why.waitFor({ timeout: 15_000 });
    // "why vibration_rms +0.1 temperature_mean +0.05": both features, signed values.
    const line = await why.innerText();
    for (const feature of FEATURES) assert.match(line, new RegExp(`${feature} [+-]\\d`), line);

    await page.getByTestId("debug-messages").locator("li", { has: page.getByTestId("explanation-line") }).first().locator("button").click();
    const bars = page.getByTestId("message-detail").getByTestId("explanation-bars");
    await bars.waitFor();
    const rows = bars.locator("tr");
    assert.equal(await rows.count(), 2, "explain.top is 2");
    const first = await rows.first().innerText();
    assert.match(first, /^(vibration_rms|temperature_mean)\s+[+-][\d.e-]+\s+= [\d.]+ \(mean (2|54)\)$/, first);
    const widths = await bars.locator(".why-bar").evaluateAll((all) => all.map((el) => parseFloat((el as HTMLElement).style.width)));
    assert.equal(widths[0], 50, "the largest attribution spans its half of the track");
    assert.ok(widths[1]! > 0 && widths[1]! <= 50, `the other is scaled to it: ${widths}`);
    await page.screenshot({ path: join(DOCS, "editor-explanation.png") });
    await page.getByRole("button", { name: "Close message" }).click();
  });

  it("offers a Variants view on the onnx-inference node with share, histogram, agreement, latency and accuracy", async () => {
    await node("score").locator(".aiot-node-head").click();
    await page.getByRole("button", { name: /^Variants/ }).click();
    const table = page.getByTestId("variants-table");
    await table.waitFor({ timeout: 15_000 });
    // Polled every 2 s: wait for feedback labels to have been judged on both variants.
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="variants-table"] tr[data-variant="a"], [data-testid="variants-table"] tr[data-variant="b"]')]
      .every((tr) => /\(\d+\/[1-9]\d*\)/.test(tr.querySelector('[data-cell="accuracy"]')?.textContent ?? "")), undefined, { timeout: 20_000 });
    const cell = (variant: string, name: string) => table.locator(`tr[data-variant="${variant}"] [data-cell="${name}"]`).innerText();
    const shares: number[] = [];
    for (const variant of ["a", "b"]) {
      assert.ok(Number(await cell(variant, "messages")) > 0, `${variant} scored messages`);
      const share = await cell(variant, "share");
      assert.match(share, /^[\d.]+% of 50%$/, share);
      shares.push(parseFloat(share));
      assert.match(await cell(variant, "latency"), /^≥? ?[\d.]+ ms \/ ≥? ?[\d.]+ ms$/);
      assert.match(await cell(variant, "accuracy"), /^[\d.]+% \(\d+\/\d+\)$/);
      assert.equal(await cell(variant, "errors"), "0");
      assert.ok(await table.getByTestId(`sparkline-${variant}`).locator("i").count() === 10, "ten score bins");
    }
    assert.ok(Math.abs(shares[0]! + shares[1]! - 100) < 0.2, `the shares add up: ${shares}`);
    assert.match(await cell("shadow", "share"), /^every message$/);
    assert.match(await cell("shadow", "agreement"), /^[\d.]+% \(\d+\/[1-9]\d*\)$/);
    const tallest = await table.getByTestId("sparkline-a").locator("i").evaluateAll((all) => Math.max(...all.map((el) => parseFloat((el as HTMLElement).style.height))));
    assert.equal(tallest, 100, "the fullest bin is full height");
    await page.screenshot({ path: join(DOCS, "editor-variants.png") });
    await page.getByRole("button", { name: "Close variants" }).click();
  });

  it("says why there is no table for a flow that is not running, instead of failing", async () => {
    await page.getByLabel("Open a flow").selectOption("ml-draft");
    await node("score").waitFor();
    await node("score").locator(".aiot-node-head").click();
    await page.getByRole("button", { name: /^Variants/ }).click();
    const problem = page.getByTestId("variants-problem");
    await problem.waitFor({ timeout: 10_000 });
    assert.match(await problem.innerText(), /flow "ml-draft" is not running.*VARIANTS_NODE_NOT_RUNNING/);
    await page.getByRole("button", { name: "Close variants" }).click();
    // A node of another type offers no Variants view.
    await node("pumps").locator(".aiot-node-head").click();
    await page.getByTestId("properties").waitFor();
    assert.equal(await page.getByRole("button", { name: /^Variants/ }).count(), 0);
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(serverErrors, []);
  });
});
