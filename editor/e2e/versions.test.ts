/**
 * Versions, deploys, conflicts and roles in Debian's Chromium (playwright-core, headless), against
 * `serve` in-process: save twice, compare in the history panel (diff drawn on the canvas), restore,
 * deploy with live progress, a failed deploy that leaves the previous version running, rollback,
 * stop, a 409 from a save made through the API meanwhile, and what viewer and editor users are
 * offered. Screenshots: docs/editor-versions.png, docs/editor-conflict.png.
 * Needs `apt-get install -y chromium`; skipped (and says so) only when /usr/bin/chromium is absent.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Browser, type Dialog, type Page } from "playwright-core";
import { loadCatalog } from "../../runtime/catalog/catalog.ts";
import type { FlowDocument } from "../../runtime/contract/flow-format.ts";
import { PACKAGE_ROOT, SHIPPED_FLOWS_DIR } from "../../runtime/catalog/paths.ts";
import type { Logger } from "../../runtime/sdk/define.ts";
import { serve, type Served } from "../../runtime/serve/serve.ts";
import { errorCollectingLogger, launchChromium, SKIP_WITHOUT_CHROMIUM } from "./browser.ts";
import { buildEditorIfStale, EDITOR_DIST } from "./build.ts";

const PASSWORD = "e2e admin password";
const USER_PASSWORD = "e2e user password";
const DOCS = join(PACKAGE_ROOT, "docs");
const FLOW = "hist";
const skip = SKIP_WITHOUT_CHROMIUM;

const serverErrors: string[] = [];
const quiet = errorCollectingLogger(serverErrors);

describe("versions, deploys, conflicts and roles in the browser editor", { skip, timeout: 180_000 }, () => {
  const temp = mkdtempSync(join(tmpdir(), "aiotflow-e2e-versions-"));
  let served: Served;
  let browser: Browser;
  let page: Page;
  let adminToken: string;
  const pageErrors: string[] = [];
  /** Browser confirm() dialogs seen, and how to answer the next ones. */
  const dialogs: string[] = [];
  let acceptDialogs = true;

  /** The admin API from the test itself, as another user at another desk. */
  async function http<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(new URL(path, served.url), {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  /** Saves a changed copy of the latest version through the API, as someone else would. */
  async function saveMeanwhile(change: (document: FlowDocument) => void, message: string): Promise<number> {
    const { body } = await http<{ version: { version: number; document: FlowDocument } }>("GET", `/api/flows/${FLOW}`);
    const document = structuredClone(body.version.document);
    change(document);
    const saved = await http<{ version: { version: number } }>("PUT", `/api/flows/${FLOW}`, { document, baseVersion: body.version.version, message });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    return saved.body.version.version;
  }

  before(async () => {
    await buildEditorIfStale();
    served = await serve({
      catalog: await loadCatalog(), dataDir: join(temp, "data"), port: 0, host: "127.0.0.1", auth: true, logger: quiet,
      seedFlow: join(SHIPPED_FLOWS_DIR, "pump-monitoring.json"), adminPassword: PASSWORD, editorDir: EDITOR_DIST,
    });
    const login = await fetch(new URL("/api/auth/login", served.url), {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "admin", password: PASSWORD }),
    });
    adminToken = ((await login.json()) as { token: string }).token;
    browser = await launchChromium(temp);
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(10_000);
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("dialog", (dialog: Dialog) => {
      dialogs.push(dialog.message());
      void (acceptDialogs ? dialog.accept() : dialog.dismiss());
    });
    mkdirSync(DOCS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await served?.close();
    rmSync(temp, { recursive: true, force: true });
  });

  const node = (id: string) => page.locator(`.react-flow__node[data-id="${id}"]`);
  const notice = (text: string | RegExp) => page.getByTestId("notice").filter({ hasText: text }).waitFor();
  const unsaved = () => page.getByTestId("unsaved");
  const version = (v: number) => page.getByTestId(`version-${v}`);
  const progress = () => page.getByTestId("deploy-progress");

  async function login(username: string, password: string): Promise<void> {
    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Log in" }).click();
  }

  async function drop(type: string, id: string, x: number, y: number): Promise<void> {
    await page.getByLabel("Search nodes").fill(type);
    await page.dragAndDrop(`[data-testid="palette-${type}"]`, ".react-flow__pane", { targetPosition: { x, y } });
    await page.getByLabel("Search nodes").fill("");
    await node(id).waitFor();
  }

  async function wire(from: string, to: string): Promise<void> {
    const [fromNode, fromPort] = from.split(".") as [string, string];
    const [toNode, toPort] = to.split(".") as [string, string];
    const a = await page.locator(`.react-flow__handle.source[data-nodeid="${fromNode}"][data-handleid="${fromPort}"]`).boundingBox();
    const b = await page.locator(`.react-flow__handle.target[data-nodeid="${toNode}"][data-handleid="${toPort}"]`).boundingBox();
    assert.ok(a && b, `handles ${from} and ${to} are on the canvas`);
    await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
    await page.mouse.down();
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 12 });
    await page.mouse.up();
  }

  async function save(message: string, expected: string | RegExp): Promise<void> {
    await page.getByLabel("Save message").fill(message);
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await notice(expected);
  }

  /** Selects the node with a click event of its own: after a fit to view, another node may lie on top of it. */
  async function setField(nodeId: string, field: string, value: string): Promise<void> {
    await node(nodeId).dispatchEvent("click");
    await page.getByTestId(`field-${field}`).fill(value);
  }

  it("logs in as admin and shows the user and role in the toolbar", async () => {
    await page.goto(served.url);
    await login("admin", PASSWORD);
    await page.locator(".palette").waitFor();
    assert.equal(await page.getByTestId("user").innerText(), "admin · admin");
  });

  it("saves twice with messages, marking unsaved changes in between", async () => {
    await page.getByRole("button", { name: "New flow" }).click();
    await page.getByLabel("New flow id").fill(FLOW);
    await page.getByRole("button", { name: "Create" }).click();
    assert.equal(await unsaved().count(), 0, "an empty new flow has nothing to save");
    // Toward the left (the history panel covers the right of the canvas), below the editing tools.
    await drop("simulated-sensor", "simulated-sensor", 20, 110);
    // The canvas fits its first node to the view: move it back to the left, as a user would.
    const head = await node("simulated-sensor").locator(".aiot-node-head").boundingBox();
    const pane = await page.locator(".react-flow__pane").boundingBox();
    assert.ok(head && pane);
    await page.mouse.move(head.x + 10, head.y + 8);
    await page.mouse.down();
    await page.mouse.move(pane.x + 20, pane.y + 118, { steps: 8 });
    await page.mouse.up();
    await drop("debug", "debug", 250, 110);
    await wire("simulated-sensor.out", "debug.in");
    await page.waitForFunction(() => document.querySelectorAll(".react-flow__edge").length === 1);
    await unsaved().waitFor();
    await save("first version", `Saved ${FLOW} version 1`);
    await unsaved().waitFor({ state: "detached" });

    await setField("simulated-sensor", "intervalMs", "100");
    await drop("debug", "debug-2", 250, 330);
    await wire("simulated-sensor.out", "debug-2.in");
    await page.waitForFunction(() => document.querySelectorAll(".react-flow__edge").length === 2);
    await unsaved().waitFor();
    await save("faster sensor, second probe", `Saved ${FLOW} version 2`);
    await unsaved().waitFor({ state: "detached" });
  });

  it("deploys with the runtime's live progress and answer", async () => {
    await page.getByRole("button", { name: "Deploy", exact: true }).click();
    await progress().and(page.locator('[data-status="running"]')).waitFor();
    for (const phase of ["validating", "starting", "running"]) {
      await page.locator(`[data-testid="phase-${phase}"].reached`).waitFor();
    }
    assert.match(await page.getByTestId("deploy-summary").innerText(), new RegExp(`^Deployed ${FLOW} version 2: running \\(\\d+ ms\\), took effect at `));
    await notice(`Deployed ${FLOW} version 2: running`);
  });

  it("lists the history and draws the diff of a version against the open graph", async () => {
    await page.getByRole("button", { name: "History", exact: true }).click();
    await version(2).waitFor();
    assert.match(await version(2).innerText(), /v2[\s\S]*running[\s\S]*open[\s\S]*admin[\s\S]*faster sensor, second probe/);
    assert.match(await version(1).innerText(), /v1[\s\S]*admin[\s\S]*first version/);
    assert.match(await page.getByTestId("run-state").innerText(), /Running version 2/);
    // Only version 2 ever ran: nothing to roll back to, and the button says so instead of failing.
    const rollback = page.getByRole("button", { name: "Roll back", exact: true });
    assert.ok(await rollback.isDisabled(), "Roll back is disabled with nothing to roll back to");
    assert.match((await rollback.getAttribute("title")) ?? "", /^Nothing to roll back to/);

    await version(1).getByRole("button", { name: "Compare", exact: true }).click();
    await page.getByTestId("compare-changes").waitFor();
    const changes = await page.getByTestId("compare-changes").innerText();
    assert.match(changes, /node debug-2 added/);
    assert.match(changes, /node simulated-sensor changed: config\.intervalMs: \S+ → 100\b/, "old → new value");
    // The highlighted nodes are fitted into the canvas left free by the panel.
    const panelBox = (await page.getByTestId("versions-panel").boundingBox())!;
    for (const id of ["simulated-sensor", "debug-2"]) {
      await page.waitForFunction(([nodeId, left]) => {
        const box = document.querySelector(`.react-flow__node[data-id="${nodeId}"]`)?.getBoundingClientRect();
        return box !== undefined && box.right <= left && box.left >= 0;
      }, [id, panelBox.x] as const, { timeout: 5000 });
    }
    assert.match(changes, /wire simulated-sensor\.out-debug-2\.in added/);
    assert.match((await node("debug-2").getAttribute("class")) ?? "", /\bdiff-added\b/);
    assert.match((await node("simulated-sensor").getAttribute("class")) ?? "", /\bdiff-changed\b/);
    assert.doesNotMatch((await node("debug").getAttribute("class")) ?? "", /\bdiff-/);
    assert.equal(await page.locator(".react-flow__edge.diff-added").count(), 1);

    // Deleting a node on the canvas while comparing: it comes back as a ghost of version 1, beside
    // React Flow's nodes (select-all, export and save never see it).
    await node("debug").locator(".aiot-node-head").click({ position: { x: 8, y: 6 } });
    await page.keyboard.press("Delete");
    await page.getByTestId("ghost-debug").waitFor();
    assert.equal(await node("debug").count(), 0);
    assert.match((await page.getByTestId("ghost-debug").getAttribute("class")) ?? "", /\bdiff-removed\b/);
    await page.getByTestId("ghost-wire-simulated-sensor.out-debug.in").waitFor({ state: "attached" });
    assert.match((await page.getByTestId("ghost-wire-simulated-sensor.out-debug.in").getAttribute("d")) ?? "", /^M [\d.-]+ [\d.-]+ C /);
    assert.match(await page.getByTestId("compare-changes").innerText(), /node debug removed/);
    // Select-all takes React Flow's nodes into the editor's state: no ghost among them, marks kept once.
    await page.keyboard.press("Control+a");
    await page.waitForFunction(() => document.querySelectorAll(".react-flow__node.selected").length === 2);
    assert.equal(await page.locator(".react-flow__node").count(), 2);
    assert.match((await node("debug-2").getAttribute("class")) ?? "", /\bdiff-added\b/);
    await unsaved().waitFor();
    await page.screenshot({ path: join(DOCS, "editor-versions.png") });
  });

  it("restores a version after confirming that unsaved changes go, and reloads it", async () => {
    acceptDialogs = false;
    await version(1).getByRole("button", { name: "Restore", exact: true }).click();
    assert.match(dialogs.at(-1) ?? "", /unsaved changes/);
    await page.getByTestId("ghost-debug").waitFor(); // nothing happened
    acceptDialogs = true;
    await version(1).getByRole("button", { name: "Restore", exact: true }).click();
    await page.getByTestId("panel-notice").filter({ hasText: `Restored version 1 of ${FLOW} as version 3` }).waitFor();
    await node("debug").waitFor();
    await node("debug-2").waitFor({ state: "detached" });
    await unsaved().waitFor({ state: "detached" });
    await version(3).waitFor();
    assert.match(await version(3).innerText(), /open[\s\S]*restored version 1/);
    assert.equal(await page.locator(".diff-ghost, .react-flow__node.diff-added, .react-flow__node.diff-changed").count(), 0, "the diff ends with the restore");
  });

  it("deploys the restored version, then says a failing version left it running", async () => {
    await page.getByRole("button", { name: "Deploy", exact: true }).click();
    await progress().and(page.locator('[data-status="running"]')).waitFor();
    await notice(`Deployed ${FLOW} version 3: running`);
    await page.getByTestId("run-state").filter({ hasText: "Running version 3" }).waitFor();

    await drop("replay", "replay", 20, 480);
    await setField("replay", "file", join(temp, "no-such-recording.csv"));
    await save("replay a recording", `Saved ${FLOW} version 4`);
    await page.getByRole("button", { name: "Deploy", exact: true }).click();
    await progress().and(page.locator('[data-status="failed"]')).waitFor();
    await page.locator('[data-testid="phase-failed"].reached').waitFor();
    const summary = await page.getByTestId("deploy-summary").innerText();
    assert.match(summary, new RegExp(`^Deploy of ${FLOW} failed: [A-Z_]+: .*version 3 keeps running\\.$`));
    assert.equal(summary.match(/keeps running/g)?.length, 1, `said once: ${summary}`);
    // The failing node is marked on the canvas while the failure is shown.
    await page.locator('[data-testid="node-replay"].deploy-failed').waitFor();
    assert.equal(await page.locator(".aiot-node.deploy-failed").count(), 1);
    assert.match(await page.getByTestId("deploy-problems").innerText(), /"replay" \(replay\) failed to start: cannot read replay file .*no-such-recording\.csv.*\(NODE_START_FAILED\)/);
    await page.getByTestId("run-state").filter({ hasText: "Running version 3" }).waitFor();
  });

  it("rolls back to the version that ran before, then stops the flow", async () => {
    const rollback = page.getByRole("button", { name: "Roll back", exact: true });
    assert.match((await rollback.getAttribute("title")) ?? "", /^Deploy version 2, /);
    await rollback.click();
    await page.locator(".aiot-node.deploy-failed").first().waitFor({ state: "detached" }); // a new deploy clears the mark
    await progress().and(page.locator('[data-status="running"]')).waitFor();
    assert.match(await page.getByTestId("deploy-summary").innerText(), new RegExp(`^Rolled back ${FLOW} version 2: running`));
    await page.getByTestId("run-state").filter({ hasText: "Running version 2" }).waitFor();
    assert.match(await version(2).innerText(), /running/);

    await page.getByRole("button", { name: "Stop", exact: true }).click();
    await page.getByTestId("panel-notice").filter({ hasText: `Stopped ${FLOW}` }).waitFor();
    await page.getByTestId("run-state").filter({ hasText: "Not running" }).waitFor();
    assert.ok(await page.getByRole("button", { name: "Stop", exact: true }).isDisabled(), "nothing left to stop");
    const { body } = await http<{ flows: Array<{ flowId: string; state: string }> }>("GET", "/api/runtime");
    assert.equal(body.flows.find((f) => f.flowId === FLOW && f.state === "running"), undefined);
  });

  it("answers a save over a newer version with the conflict dialog: cancel, save on top, or reload", async () => {
    await page.getByRole("button", { name: "Close history" }).click();
    const theirs = await saveMeanwhile((d) => (d.nodes.find((n) => n.id === "debug")!.config = { label: "theirs" }), "label from the API");
    assert.equal(theirs, 5);
    await setField("simulated-sensor", "intervalMs", "250");
    await save("mine", /VERSION_CONFLICT/);
    await page.getByTestId("conflict-dialog").waitFor();
    assert.match(await page.getByTestId("conflict-dialog").innerText(), /admin saved version 5[\s\S]*label from the API/);
    assert.match(await page.getByTestId("conflict-changes").innerText(), /node debug changed: config\.label/);
    await page.screenshot({ path: join(DOCS, "editor-conflict.png") });

    await page.getByRole("button", { name: "Cancel", exact: true }).click();
    await page.getByTestId("conflict-dialog").waitFor({ state: "detached" });
    await unsaved().waitFor();

    await save("mine", /VERSION_CONFLICT/);
    await page.getByRole("button", { name: "Save mine on top" }).click();
    await notice(`Saved ${FLOW} version 6`);
    await unsaved().waitFor({ state: "detached" });
    const six = await http<{ version: { document: FlowDocument; message: string } }>("GET", `/api/flows/${FLOW}/versions/6`);
    assert.equal(six.body.version.message, "mine");
    assert.equal(six.body.version.document.nodes.find((n) => n.id === "simulated-sensor")?.config?.["intervalMs"], 250);

    await saveMeanwhile((d) => (d.nodes.find((n) => n.id === "debug")!.config = { label: "theirs again" }), "again from the API");
    await setField("simulated-sensor", "intervalMs", "400");
    await save("lost", /VERSION_CONFLICT/);
    await page.getByRole("button", { name: "Reload latest (discard mine)" }).click();
    await notice(`Opened ${FLOW} version 7`);
    await unsaved().waitFor({ state: "detached" });
    await node("debug").dispatchEvent("click");
    assert.equal(await page.getByTestId("field-label").inputValue(), "theirs again", "the graph is version 7's");

    // A restore over a version saved after the history was listed is refused too, and the list catches up.
    await page.getByRole("button", { name: "History", exact: true }).click();
    await version(7).waitFor();
    assert.equal(await saveMeanwhile((d) => (d.name = "Renamed meanwhile"), "renamed from the API"), 8);
    await version(1).getByRole("button", { name: "Restore", exact: true }).click();
    await page.getByTestId("panel-notice").filter({ hasText: /VERSION_CONFLICT: version 7 is not the latest: admin saved version 8/ }).waitFor();
    await version(8).waitFor();
    assert.equal(await version(9).count(), 0, "nothing was restored");
    await page.getByRole("button", { name: "Close history" }).click();
  });

  it("asks before opening another flow over unsaved changes", async () => {
    await setField("simulated-sensor", "intervalMs", "500");
    await unsaved().waitFor();
    acceptDialogs = false;
    await page.getByLabel("Open a flow").selectOption("pump-monitoring");
    assert.match(dialogs.at(-1) ?? "", new RegExp(`${FLOW} has unsaved changes\\. Opening pump-monitoring drops them`));
    assert.equal(await node("show-alarms").count(), 0, "the other flow did not open");
    await node("simulated-sensor").waitFor();
    acceptDialogs = true;
    await page.getByLabel("Open a flow").selectOption("pump-monitoring");
    await node("show-alarms").waitFor();
    await unsaved().waitFor({ state: "detached" });
  });

  it("offers a viewer no save, deploy, restore or rollback, and an editor no deploy, saying which role is needed", async () => {
    for (const [username, role] of [["vera", "viewer"], ["eddie", "editor"]] as const) {
      const created = await http("POST", "/api/users", { username, role, password: USER_PASSWORD });
      assert.equal(created.status, 201, JSON.stringify(created.body));
    }
    await page.getByRole("button", { name: "Log out" }).click();
    await login("vera", "not vera's password");
    await page.getByTestId("login-error").filter({ hasText: /wrong username or password/ }).waitFor();
    await login("vera", USER_PASSWORD);
    await page.getByTestId("user").filter({ hasText: "vera · viewer" }).waitFor();
    await page.getByLabel("Open a flow").selectOption(FLOW);
    await node("simulated-sensor").waitFor();
    const saveButton = page.getByRole("button", { name: "Save", exact: true });
    const deployButton = page.getByRole("button", { name: "Deploy", exact: true });
    assert.ok(await saveButton.isDisabled());
    assert.equal(await saveButton.getAttribute("title"), "Needs the editor role (vera is viewer)");
    assert.ok(await deployButton.isDisabled());
    assert.equal(await deployButton.getAttribute("title"), "Needs the operator role (vera is viewer)");
    const importButton = page.getByRole("button", { name: "Import", exact: true });
    assert.ok(await importButton.isDisabled());
    assert.equal(await importButton.getAttribute("title"), "Needs the editor role (vera is viewer)");
    await page.getByRole("button", { name: "History", exact: true }).click();
    await version(7).waitFor();
    assert.ok(await version(7).getByRole("button", { name: "Restore", exact: true }).isDisabled());
    assert.ok(await page.getByRole("button", { name: "Roll back", exact: true }).isDisabled());
    assert.ok(await page.getByRole("button", { name: "Stop", exact: true }).isDisabled());
    await version(1).getByRole("button", { name: "Compare", exact: true }).click(); // looking stays allowed
    await page.getByTestId("compare-changes").waitFor();

    await page.getByRole("button", { name: "Log out" }).click();
    await login("eddie", USER_PASSWORD);
    await page.getByTestId("user").filter({ hasText: "eddie · editor" }).waitFor();
    await page.getByLabel("Open a flow").selectOption(FLOW);
    await node("simulated-sensor").waitFor();
    assert.ok(await page.getByRole("button", { name: "Save", exact: true }).isEnabled());
    assert.ok(await page.getByRole("button", { name: "Deploy", exact: true }).isDisabled());
    assert.equal(await page.getByRole("button", { name: "Deploy", exact: true }).getAttribute("title"), "Needs the operator role (eddie is editor)");
    await page.getByRole("button", { name: "History", exact: true }).click();
    assert.ok(await version(7).getByRole("button", { name: "Restore", exact: true }).isEnabled());
    assert.ok(await page.getByRole("button", { name: "Roll back", exact: true }).isDisabled());
  });

  it("left no page or server errors behind", () => {
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(serverErrors, []);
  });
});
