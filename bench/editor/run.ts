// Editor smoothness with 300 nodes: frame times while panning the canvas and dragging a node, in
// aiotflow's editor and in Node-RED 4.1's editor, same run, same headless Chromium, same layout.
//
//   npm run bench -- editor [--runs 3]
//
// Frame times are the intervals between requestAnimationFrame callbacks while Playwright feeds the
// gesture (60 mouse steps). Pan: aiotflow drags the bare canvas (React Flow's pan); Node-RED scrolls
// its workspace with the mouse wheel (its canvas pans by scrolling). Drag: a node 300 px to the right.
// Both sides start at zoom 1. Headless Chromium paints in software: compare the two columns, not
// these numbers with a real screen.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { buildEditorIfStale, EDITOR_DIST } from "../../editor/e2e/build.ts";
import { loadCatalog } from "../../runtime/catalog/catalog.ts";
import { serve } from "../../runtime/serve/serve.ts";
import { writeResultsAndFinish } from "../children.ts";
import { aiotflowFlow, CHAINS, nodeRedFlow } from "./flows.ts";
import { BARE_POINT, COUNT, GRAB_POINT, START_FRAMES, STOP_FRAMES, VIEWPORT_SCALE } from "./page.ts";

const runsArg = process.argv.indexOf("--runs");
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : process.argv.includes("--quick") ? 1 : 3;
const STEPS = 60;
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

interface Frames { median: number; p95: number; max: number; over50: number; frames: number; gestureMs: number }
type System = "aiotflow" | "node-red";

function summarise(deltas: number[], gestureMs: number): Frames {
  const sorted = [...deltas].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  const round = (v: number) => Math.round(v * 10) / 10;
  return { median: round(at(0.5)), p95: round(at(0.95)), max: round(sorted.at(-1) ?? Number.NaN), over50: sorted.filter((d) => d > 50).length, frames: sorted.length, gestureMs: Math.round(gestureMs) };
}

type Box = { x: number; y: number; width: number; height: number };
type Point = { x: number; y: number };
/** Runs one of page.ts's scripts with its argument. */
const run = <T>(page: Page, source: string, argument?: unknown): Promise<T> => page.evaluate(`(${source})(${JSON.stringify(argument ?? null)})`) as Promise<T>;

/** Records rAF intervals around `gesture`. */
async function measure(page: Page, gesture: () => Promise<void>): Promise<Frames> {
  await run(page, START_FRAMES);
  const start = performance.now();
  await gesture();
  const gestureMs = performance.now() - start;
  return summarise(await run<number[]>(page, STOP_FRAMES), gestureMs);
}

async function waitForCount(page: Page, selector: string, count: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await run<number>(page, COUNT, selector)) < count) {
    if (Date.now() > deadline) throw new Error(`fewer than ${count} ${selector} after 30 s`);
    await page.waitForTimeout(100);
  }
}

async function dragFrom(page: Page, x: number, y: number, dx: number, dy: number): Promise<void> {
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + dx, y + dy, { steps: STEPS });
  await page.mouse.up();
}

async function aiotflowRun(browser: Browser, url: string): Promise<{ pan: Frames; drag: Frames }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(url);
  await page.getByLabel("Open a flow").selectOption("bench-300");
  await waitForCount(page, ".react-flow__node", CHAINS * 3);
  // To zoom 1 like Node-RED: the wheel zooms React Flow's canvas.
  const pane = (await page.locator(".react-flow__pane").boundingBox())!;
  for (let i = 0; i < 40 && (await run<number>(page, VIEWPORT_SCALE)) < 0.99; i++) {
    await page.mouse.move(pane.x + 120, pane.y + 120);
    await page.mouse.wheel(0, -120);
    await page.waitForTimeout(30);
  }
  const head = await run<Point>(page, GRAB_POINT, { box: pane, selector: ".react-flow__node .aiot-node-head" });
  const drag = await measure(page, () => dragFrom(page, head.x, head.y, 300, 40));
  const bare = await run<Point>(page, BARE_POINT, { box: pane, className: "react-flow__pane" });
  const pan = await measure(page, () => dragFrom(page, bare.x, bare.y, 200, 150));
  await page.close();
  return { pan, drag };
}

async function nodeRedRun(browser: Browser, url: string): Promise<{ pan: Frames; drag: Frames }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(url);
  await waitForCount(page, "#red-ui-workspace-chart g.red-ui-flow-node-group", CHAINS * 3);
  const chart: Box = (await page.locator("#red-ui-workspace-chart").boundingBox())!;
  const node = await run<Point>(page, GRAB_POINT, { box: chart, selector: "#red-ui-workspace-chart g.red-ui-flow-node-group rect.red-ui-flow-node" });
  const drag = await measure(page, () => dragFrom(page, node.x, node.y, 300, 40));
  const pan = await measure(page, async () => {
    await page.mouse.move(chart.x + chart.width / 2, chart.y + chart.height / 2);
    for (let i = 0; i < STEPS; i++) await page.mouse.wheel(i % 2 ? 8 : 0, 12);
  });
  await page.close();
  return { pan, drag };
}

async function main(): Promise<void> {
  await buildEditorIfStale();
  const temp = mkdtempSync(join(tmpdir(), "aiotflow-bench-editor-"));
  const served = await serve({ catalog: await loadCatalog(), dataDir: join(temp, "data"), port: 0, host: "127.0.0.1", auth: false, logger: quiet, editorDir: EDITOR_DIST });
  const created = await fetch(`${served.url.replace(/\/$/, "")}/api/flows`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ document: aiotflowFlow(), message: "bench" }) });
  if (!created.ok) throw new Error(`creating the 300-node flow: ${created.status} ${await created.text()}`);

  const userDir = join(temp, "node-red");
  const require = createRequire(import.meta.url);
  const RED = require("node-red") as { init(s: unknown, o: object): void; start(): Promise<void>; stop(): Promise<void>; httpAdmin: (req: unknown, res: unknown) => void };
  mkdirSync(userDir, { recursive: true });
  writeFileSync(join(userDir, "flows.json"), JSON.stringify(nodeRedFlow()));
  const server = createServer((req, res) => RED.httpAdmin(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  RED.init(server, {
    userDir, httpAdminRoot: "/", httpNodeRoot: false, flowFile: "flows.json", credentialSecret: false,
    logging: { console: { level: "off", metrics: false, audit: false } }, editorTheme: { tours: false }, telemetry: { enabled: false },
  });
  await RED.start();
  const nodeRedUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium", headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    env: { ...process.env, XDG_CONFIG_HOME: join(temp, "xdg") },
  });
  const runs: Array<{ system: System; run: number; pan: Frames; drag: Frames }> = [];
  const failures: string[] = [];
  try {
    for (let round = 1; round <= RUNS; round++) {
      for (const system of ["aiotflow", "node-red"] as const) {
        try {
          const result = system === "aiotflow" ? await aiotflowRun(browser, served.url) : await nodeRedRun(browser, nodeRedUrl);
          runs.push({ system, run: round, ...result });
          console.log(`${system} run ${round}: pan median ${result.pan.median} ms p95 ${result.pan.p95} ms max ${result.pan.max} ms; drag median ${result.drag.median} ms p95 ${result.drag.p95} ms max ${result.drag.max} ms`);
        } catch (error) {
          failures.push(`${system} run ${round}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }
  } finally {
    await browser.close();
    await RED.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await served.close();
    rmSync(temp, { recursive: true, force: true });
  }

  const median = (values: number[]) => {
    const s = [...values].sort((a, b) => a - b);
    return s.length === 0 ? Number.NaN : s[Math.floor(s.length / 2)]!;
  };
  const summary = (system: System, gesture: "pan" | "drag") => {
    const mine = runs.filter((r) => r.system === system).map((r) => r[gesture]);
    return { medianFrameMs: median(mine.map((f) => f.median)), p95FrameMs: median(mine.map((f) => f.p95)), maxFrameMs: median(mine.map((f) => f.max)), framesOver50ms: median(mine.map((f) => f.over50)), runs: mine.length };
  };
  const output = {
    date: new Date().toISOString(),
    what: "requestAnimationFrame intervals (ms) while panning and dragging a node in a 300-node flow, headless Chromium at 1280x800, medians across runs",
    nodes: CHAINS * 3,
    steps: STEPS,
    chromium: browser.version(),
    aiotflow: { pan: summary("aiotflow", "pan"), drag: summary("aiotflow", "drag") },
    "node-red": { version: (require("node-red/package.json") as { version: string }).version, pan: summary("node-red", "pan"), drag: summary("node-red", "drag") },
  };
  console.table({ "aiotflow pan": output.aiotflow.pan, "aiotflow drag": output.aiotflow.drag, "node-red pan": output["node-red"].pan, "node-red drag": output["node-red"].drag });
  writeResultsAndFinish("editor", output, { runs }, failures);
}

main().then(() => process.exit(0), (error) => {
  process.stderr.write(`editor bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
