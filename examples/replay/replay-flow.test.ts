/** The replay example runs on its recorded data with the expected alarms and rejections. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { loadCatalog } from "../../runtime/catalog/catalog.ts";
import { Engine, type DebugEvent } from "../../runtime/core/engine.ts";
import { VirtualClock } from "../../runtime/sdk/clock.ts";
import { within } from "../../test/support/wait.ts";

describe("examples/replay/replay-flow.json", () => {
  it("raises one alarm for pump-2 and rejects the reading whose temperature was recorded as n/a", async () => {
    const flow: unknown = JSON.parse(readFileSync(new URL("replay-flow.json", import.meta.url), "utf8"));
    const engine = new Engine({ catalog: await loadCatalog(), clock: new VirtualClock(Date.UTC(2026, 10, 27, 9)), freezeMessages: true });
    const seen: DebugEvent[] = [];
    engine.on("debug", (event) => seen.push(event));
    // The replay reads its file with real I/O at speed 0 and says when it is through.
    const replayed = new Promise<void>((resolve) => engine.on("status", (e) => void (e.node === "recording" && e.status.state === "idle" && resolve())));
    await engine.deploy(flow);
    await within(replayed, "the replay to finish its rows");
    assert.equal(engine.statuses().find((s) => s.node === "recording")?.status.text, "done after 80 rows");
    await engine.idle();
    await engine.stop();
    const byLabel = (label: string) => seen.filter((e) => e.label === label).map((e) => e.msg);
    assert.deepEqual(byLabel("ALARM").map((m) => [m.key, (m.payload as { state: string }).state, new Date(m.ts).toISOString()]), [
      ["pump-2", "raised", "2026-11-27T08:00:33.000Z"],
    ]);
    assert.deepEqual(byLabel("rejected").map((m) => [m.key, m.meta?.["rejected"]]), [["pump-2", { field: "temperature", reason: "missing", value: null }]]);
    assert.deepEqual(byLabel("error"), []);
  });
});
