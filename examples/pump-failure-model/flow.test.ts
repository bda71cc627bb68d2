/** The pump-failure example: its model is built and registered here, and only the worn pump alarms. */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadCatalog } from "../../runtime/catalog/catalog.ts";
import { Engine, type DebugEvent } from "../../runtime/core/engine.ts";
import { validateFlow } from "../../runtime/core/validate.ts";
import { ModelRegistry } from "../../runtime/ml/model-registry.ts";
import { VirtualClock } from "../../runtime/sdk/clock.ts";
import { MODELS } from "../../runtime/sdk/models.ts";
import { provide, services } from "../../runtime/sdk/services.ts";
import { buildPumpFailureModel } from "./model.ts";

const flow: unknown = JSON.parse(readFileSync(new URL("flow.json", import.meta.url), "utf8"));

describe("examples/pump-failure-model", () => {
  it("validates against the catalog", async () => {
    const result = validateFlow(flow, await loadCatalog());
    assert.ok(result.ok, result.ok ? "" : result.errors.map(String).join("\n"));
  });

  it("builds a model that passes its hold-out floor", () => {
    const model = buildPumpFailureModel();
    assert.ok(Number(model.metrics["accuracy"]) >= 0.9, `accuracy ${String(model.metrics["accuracy"])}`);
    assert.equal(model.metrics.evaluation?.passed, true);
  });

  it("raises the failure alarm for pump-2 only, with the model version and an explanation", async () => {
    const dir = await mkdtemp(join(tmpdir(), "aiotflow-example-model-"));
    const registry = await ModelRegistry.open(dir);
    try {
      const model = buildPumpFailureModel();
      const info = await registry.register({ name: "pump-failure", bytes: model.bytes, reference: model.reference, metrics: model.metrics, card: model.card });
      await registry.promote("pump-failure", info.version, "production", "test");
      const clock = new VirtualClock(Date.UTC(2026, 10, 27, 8));
      const engine = new Engine({ catalog: await loadCatalog(), clock, freezeMessages: true, services: services(provide(MODELS, registry)) });
      const seen: DebugEvent[] = [];
      engine.on("debug", (event) => seen.push(event));
      await engine.deploy(flow);
      for (let second = 0; second < 60; second++) {
        clock.advance(1000);
        await engine.idle();
      }
      await engine.stop();
      const byLabel = (label: string) => seen.filter((e) => e.label === label).map((e) => e.msg);
      assert.deepEqual(byLabel("error"), []);
      const scores = byLabel("scores");
      assert.ok(scores.length >= 30, `${scores.length} scored windows`);
      assert.ok(scores.every((m) => m.meta?.["model"] === "pump-failure@1"));
      const alarmed = new Set(byLabel("ALARM").map((m) => m.key));
      assert.deepEqual([...alarmed], ["pump-2"]);
      const explanation = byLabel("ALARM")[0]?.meta?.["explanation"] as { top: Array<{ feature: string; attribution: number }> };
      assert.equal(explanation.top.length, 2);
      assert.ok(explanation.top[0]!.attribution > 0, "the top feature pushed the failure probability up");
    } finally {
      await registry.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
