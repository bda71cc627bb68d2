/**
 * The Connections panel in Debian's Chromium (playwright-core, headless) against `serve` in-process
 * and a real aedes broker on a free 127.0.0.1 port: add an mqtt-broker connection (empty and taken
 * names refused), test it (connected), point it at a closed port and test again (the coded error and
 * its hint), create one from an mqtt-in node's field ("new connection…") and undo that, pick the
 * broker in the node's field, refuse deleting it while used, then save, deploy, see the connection's
 * live state and a message from the broker arrive, and its reconnecting state once the broker is gone. Skipped (saying why) only when /usr/bin/chromium is absent.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import mqtt from "mqtt";
import { type Browser, type Page } from "playwright-core";
import { loadCatalog } from "../../runtime/catalog/catalog.ts";
import type { FlowDocument } from "../../runtime/contract/flow-format.ts";
import { PACKAGE_ROOT } from "../../runtime/catalog/paths.ts";
import { serve, type Served } from "../../runtime/serve/serve.ts";
import { startAedes, type AedesBroker } from "../../test/support/aedes.ts";
import { errorCollectingLogger, launchChromium, SKIP_WITHOUT_CHROMIUM } from "./browser.ts";
import { buildEditorIfStale, EDITOR_DIST } from "./build.ts";

const skip = SKIP_WITHOUT_CHROMIUM;
const serverErrors: string[] = [];
const quiet = errorCollectingLogger(serverErrors);

const flow = {
  format: "aiotflow/flow@1",
  id: "conn-e2e",
  name: "Connections e2e",
  nodes: [{ id: "show", type: "debug", config: { label: "conn-probe" }, position: { x: 420, y: 60 } }],
  edges: [],
  connections: {},
} as unknown as FlowDocument;

/** A 127.0.0.1 port nothing listens on: taken from the OS, then let go. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("the Connections panel in the browser editor", { skip, timeout: 90_000 }, () => {
  const temp = mkdtempSync(join(tmpdir(), "aiotflow-e2e-connections-"));
  let served: Served;
  let broker: AedesBroker;
  let browser: Browser;
  let page: Page;
  let deadPort: number;
  let brokerClosed = false;
  const pageErrors: string[] = [];

  before(async () => {
    await buildEditorIfStale();
    broker = await startAedes();
    deadPort = await closedPort();
    served = await serve({ catalog: await loadCatalog(), dataDir: join(temp, "data"), port: 0, host: "127.0.0.1", auth: false, logger: quiet, editorDir: EDITOR_DIST });
    const created = await fetch(new URL("/api/flows", served.url), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ document: flow, message: "connections e2e" }) });
    assert.equal(created.status, 201, await created.text());
    browser = await launchChromium(temp);
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(10_000);
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("dialog", (dialog) => void dialog.accept());
    await page.goto(served.url);
    await page.locator(".palette").waitFor();
    await page.getByLabel("Open a flow").selectOption("conn-e2e");
    await page.locator('.react-flow__node[data-id="show"]').waitFor();
  });

  after(async () => {
    await browser?.close();
    await served?.close();
    if (!brokerClosed) await broker?.close();
    rmSync(temp, { recursive: true, force: true });
  });

  const panel = () => page.getByTestId("connections-panel");
  const url = () => page.getByTestId("field-connection.plant-broker.url");
  const outcome = () => page.getByTestId("connection-test");
  const addConnection = async (name: string, type?: string) => {
    if (await panel().getByRole("button", { name: "Add a connection" }).count()) await panel().getByRole("button", { name: "Add a connection" }).click();
    await page.getByLabel("New connection name").fill(name);
    if (type) await page.getByLabel("New connection type").selectOption(type);
    await panel().getByRole("button", { name: "Add", exact: true }).click();
  };
  const stored = async () => ((await (await fetch(new URL("/api/flows/conn-e2e", served.url))).json()) as { version: { version: number; document: FlowDocument } }).version;

  it("refuses an empty name, adds an mqtt-broker connection and marks the flow unsaved", async () => {
    await page.getByRole("button", { name: "Connections" }).click();
    await panel().getByText("No connections yet").waitFor();
    await addConnection("   ", "mqtt-broker");
    assert.match(await page.getByTestId("connection-name-error").innerText(), /Give the connection a name/);
    await addConnection("plant broker");
    assert.match(await page.getByTestId("connection-name-error").innerText(), /characters a connection name cannot have/);
    assert.equal(await page.getByTestId("unsaved").count(), 0, "refused names changed nothing");

    await addConnection("plant-broker");
    await page.getByTestId("connection-plant-broker").waitFor();
    await page.getByTestId("unsaved").waitFor();
    assert.match(await page.getByTestId("connection-plant-broker").innerText(), /MQTT broker[\s\S]*not used/);
    // The config form is the generated one: the schema's fields, with their defaults as placeholders.
    assert.equal(await url().getAttribute("placeholder"), "default: mqtt://127.0.0.1:1883");
    // The password is a secret reference, chosen with the secret picker (admin here: a list of stored names).
    assert.equal(await page.getByTestId("field-connection.plant-broker.password").evaluate((e) => e.tagName), "SELECT");
    // The TLS certificate and key are a file or a secret: both choices are named, each with its own example file.
    for (const [field, file] of [["ca", "ca.pem"], ["cert", "gateway.crt"], ["key", "gateway.key"]]) {
      assert.deepEqual(await page.getByLabel(`connection.plant-broker.tls.${field} variant`).locator("option").allInnerTexts(), ["File", "Secret store"]);
      assert.match(await page.getByTestId(`field-connection.plant-broker.tls.${field}`).innerText(), new RegExp(`/etc/aiotflow/${file}`));
    }
  });

  it("refuses a name that is taken, and deletes a connection no node uses", async () => {
    await addConnection("plant-broker", "mqtt-broker");
    assert.match(await page.getByTestId("connection-name-error").innerText(), /A connection named “plant-broker” exists already/);
    await panel().getByRole("button", { name: "Cancel" }).click();
    assert.equal(await panel().locator(".connection-list li").count(), 1);

    await addConnection("historian", "http-endpoint");
    await page.getByTestId("field-connection.historian.url").waitFor();
    await panel().getByRole("button", { name: "Delete historian" }).click();
    await page.getByTestId("connection-historian").waitFor({ state: "detached" });
    assert.equal(await page.getByTestId("connection-refused").count(), 0);
    await panel().getByRole("button", { name: "plant-broker", exact: true }).click();
  });

  it("tests the connection against the real broker, then against a closed port with the coded error and hint", async () => {
    await url().fill(broker.url);
    await panel().getByRole("button", { name: "Test connection" }).click();
    await outcome().filter({ hasText: /Connected in \d+ ms/ }).waitFor();

    await url().fill(`mqtt://127.0.0.1:${deadPort}`);
    assert.equal(await outcome().innerText(), "", "an edit clears the result of the config before it");
    await panel().getByRole("button", { name: "Test connection" }).click();
    await outcome().filter({ hasText: "CONNECTION_REFUSED" }).waitFor();
    const text = await outcome().innerText();
    assert.match(text, new RegExp(`ECONNREFUSED 127\\.0\\.0\\.1:${deadPort}`));
    assert.match(text, /check host and port/);

    await url().fill("http://not-mqtt");
    await panel().getByRole("button", { name: "Test connection" }).click();
    await outcome().filter({ hasText: "CONNECTION_CONFIG_INVALID" }).waitFor();
    assert.match(await outcome().innerText(), /url: must match pattern/);

    await url().fill(broker.url);
    // Config edits are undo steps (typing in one field is one step), with the form re-reading the restored config.
    await page.locator(".react-flow__pane").click({ position: { x: 300, y: 500 } });
    await page.keyboard.press("Control+z");
    await page.waitForFunction(() => (document.querySelector<HTMLInputElement>('[data-testid="field-connection.plant-broker.url"]')?.value ?? "x") === "");
    assert.equal(await outcome().innerText(), "", "no test result for a config that is not there any more");
    await page.keyboard.press("Control+y");
    await page.waitForFunction((expected) => document.querySelector<HTMLInputElement>('[data-testid="field-connection.plant-broker.url"]')?.value === expected, broker.url);
  });

  it("creates a connection from an mqtt-in field, undoes it, then uses the broker from the node", async () => {
    await page.getByLabel("Search nodes").fill("mqtt-in");
    await page.dragAndDrop('[data-testid="palette-mqtt-in"]', ".react-flow__pane", { targetPosition: { x: 80, y: 80 } });
    const node = page.locator('.react-flow__node[data-id="mqtt-in"]');
    await node.waitFor();
    await node.locator(".aiot-node-head").click();
    const field = page.getByTestId("field-connection");
    assert.deepEqual(await field.locator("option").allInnerTexts(), ["(choose a mqtt-broker connection)", "plant-broker", "new connection…"]);

    await field.selectOption({ label: "new connection…" });
    assert.equal(await page.getByLabel("New connection type").inputValue(), "mqtt-broker", "the panel offers the field's type");
    await addConnection("spare-broker");
    await page.getByTestId("connection-spare-broker").waitFor();
    assert.equal(await field.inputValue(), "spare-broker", "the new connection is set in the field that asked for it");
    assert.match(await page.getByTestId("connection-spare-broker").innerText(), /used by mqtt-in/);

    await page.locator(".react-flow__pane").click({ position: { x: 300, y: 500 } });
    await page.keyboard.press("Control+z");
    await page.getByTestId("connection-spare-broker").waitFor({ state: "detached" });
    await node.locator(".aiot-node-head").click();
    assert.equal(await page.getByTestId("field-connection").inputValue(), "", "one undo step took back the connection and the field");

    // Saving now is refused: what is wrong comes first, the API's code after it, smaller.
    await page.getByLabel("Save message").fill("no broker yet");
    await page.getByRole("button", { name: "Save" }).click();
    const refusal = page.getByTestId("notice").filter({ hasText: "Not saved" });
    await refusal.waitFor();
    assert.match(await refusal.innerText(), /^Not saved: node “mqtt-in”: missing required field "connection"/);
    assert.equal(await refusal.locator(".notice-code").innerText(), "FLOW_INVALID");

    await page.getByTestId("field-connection").selectOption("plant-broker");
    await page.getByTestId("field-topic").fill("e2e/#");
    await page.getByTestId("connection-plant-broker").filter({ hasText: "used by mqtt-in" }).waitFor();
  });

  it("refuses to delete a connection while a node uses it", async () => {
    await panel().getByRole("button", { name: "Delete plant-broker" }).click();
    const refused = page.getByTestId("connection-refused");
    assert.match(await refused.innerText(), /Not deleted: “plant-broker” is used by node mqtt-in field connection/);
    await page.getByTestId("connection-plant-broker").waitFor();
  });

  it("saves the connection with the flow, deploys it, shows it connected and a message from the broker arrives", async () => {
    const from = await page.locator('.react-flow__handle.source[data-nodeid="mqtt-in"][data-handleid="out"]').boundingBox();
    const to = await page.locator('.react-flow__handle.target[data-nodeid="show"][data-handleid="in"]').boundingBox();
    assert.ok(from && to);
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move(to.x + to.width / 2, to.y + to.height / 2, { steps: 12 });
    await page.mouse.up();
    await page.waitForFunction(() => document.querySelectorAll(".react-flow__edge").length === 1);

    await page.getByLabel("Save message").fill("plant broker");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByTestId("notice").filter({ hasText: "Saved conn-e2e version 2" }).waitFor();
    await page.getByTestId("unsaved").waitFor({ state: "detached" });
    const saved = await stored();
    assert.deepEqual(saved.document.connections, { "plant-broker": { type: "mqtt-broker", config: { url: broker.url } } });
    assert.equal(saved.document.nodes.find((n) => n.id === "mqtt-in")?.config["connection"], "plant-broker");

    await page.getByRole("button", { name: "Deploy" }).click();
    await page.getByTestId("notice").filter({ hasText: /Deployed conn-e2e version 2: running/ }).waitFor({ timeout: 20_000 });
    await page.getByTestId("connection-plant-broker-live").filter({ hasText: "connected" }).waitFor({ timeout: 15_000 });

    const client = await mqtt.connectAsync(broker.url);
    try {
      // Retained: the node gets it whenever its subscription lands, without a wait here.
      await client.publishAsync("e2e/pump-1", JSON.stringify({ vibration: 4.2 }), { retain: true });
      await page.getByTestId("debug-messages").filter({ hasText: "vibration" }).waitFor({ timeout: 15_000 });
      await page.screenshot({ path: join(PACKAGE_ROOT, "docs", "editor-connections.png") });
    } finally {
      await client.endAsync();
    }
    // The broker goes away: the panel says the connection is reconnecting, and why.
    await broker.close();
    brokerClosed = true;
    await page.getByTestId("connection-plant-broker-live").filter({ hasText: /^reconnecting: / }).waitFor({ timeout: 15_000 });
  });

  it("opens the History panel without moving the canvas, even after a compare closed by the toolbar button", async () => {
    const history = page.getByRole("button", { name: "History", exact: true });
    const viewport = () => page.locator(".react-flow__viewport").getAttribute("style");
    const frames = () => page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    await history.click();
    await page.getByTestId("version-1").getByRole("button", { name: "Compare", exact: true }).click();
    await page.getByTestId("compare-changes").waitFor();
    await history.click();
    await page.getByTestId("versions-panel").waitFor({ state: "detached" });
    await page.locator(".react-flow__controls-zoomout").click();
    await frames();
    const before = await viewport();
    await history.click();
    await page.getByTestId("version-2").waitFor();
    await frames();
    assert.equal(await viewport(), before);
    assert.equal(await page.locator(".react-flow__node.diff-added").count(), 0, "closing the panel ended the compare");
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(serverErrors, []);
  });
});
