/** Every shipped flow validates against the schema file and the catalog, and runs with the expected outputs. */
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { describe, it } from "node:test";
import { loadCatalog } from "../runtime/catalog/catalog.ts";
import { Engine, type DebugEvent } from "../runtime/core/engine.ts";
import { flowJsonSchema } from "../runtime/contract/flow-format.ts";
import { validateFlow } from "../runtime/core/validate.ts";
import { VirtualClock } from "../runtime/sdk/clock.ts";

const catalog = await loadCatalog();
const flowsDir = new URL("../flows/", import.meta.url);
const readJson = (name: string): unknown => JSON.parse(readFileSync(new URL(name, flowsDir), "utf8"));

describe("shipped flows", () => {
  it("flows/flow.schema.json is the schema the loader uses (regenerate with npm run schema)", () => {
    assert.deepEqual(readJson("flow.schema.json"), flowJsonSchema());
  });

  for (const name of readdirSync(flowsDir).filter((f) => f.endsWith(".json") && f !== "flow.schema.json")) {
    it(`${name} validates`, () => {
      const result = validateFlow(readJson(name), catalog);
      assert.ok(result.ok, result.ok ? "" : result.errors.map(String).join("\n"));
    });
  }

  for (const name of readdirSync(new URL("../examples/walkthrough/", import.meta.url)).filter((f) => f.endsWith(".json"))) {
    it(`examples/walkthrough/${name} validates`, () => {
      const document: unknown = JSON.parse(readFileSync(new URL(`../examples/walkthrough/${name}`, import.meta.url), "utf8"));
      const result = validateFlow(document, catalog);
      assert.ok(result.ok, result.ok ? "" : result.errors.map(String).join("\n"));
    });
  }

  it("pump-monitoring: only the pump with the worn bearing raises a vibration alarm", async () => {
    const clock = new VirtualClock(Date.UTC(2026, 10, 27, 8));
    const engine = new Engine({ catalog, clock, freezeMessages: true });
    const seen: DebugEvent[] = [];
    engine.on("debug", (event) => seen.push(event));
    await engine.deploy(readJson("pump-monitoring.json"));
    for (let second = 0; second < 60; second++) {
      clock.advance(1000);
      await engine.idle();
    }
    await engine.stop();
    const byLabel = (label: string) => seen.filter((e) => e.label === label);
    const alarms = byLabel("ALARM").map((e) => [e.msg.key, (e.msg.payload as { state: string }).state]);
    assert.deepEqual(alarms, [["pump-2", "raised"]]);
    const features = byLabel("features");
    for (const pump of ["pump-1", "pump-2", "pump-3"]) {
      const windows = features.filter((e) => e.msg.key === pump).length;
      assert.ok(windows >= 10 && windows <= 12, `${pump}: ${windows} windows in 60 s of 10 s windows sliding by 5 s`);
    }
    assert.ok(byLabel("rejected").length > 0, "spikes are rejected by the range check");
    assert.deepEqual(byLabel("error"), []);
    const metrics = engine.metrics();
    assert.equal(metrics.reduce((sum, m) => sum + m.errors + m.dropped, 0), 0);
  });
});
