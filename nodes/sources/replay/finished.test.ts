/** The replay source tells the runtime when its file has ended (ctx.done), so `aiotflow run` can drain and exit. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { VirtualClock } from "../../../runtime/sdk/index.ts";
import { harness } from "../../../runtime/sdk/testing.ts";
import { until } from "../../../test/support/wait.ts";
import replay from "./index.ts";

const dir = mkdtempSync(join(tmpdir(), "aiotflow-replay-done-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const csv = join(dir, "rows.csv");
writeFileSync(csv, ["ts,device,v", "1000,a,1", "2000,b,2", "3000,a,3", ""].join("\n"));

describe("replay: finishing", () => {
  it("says it has finished once the last row of the file is out", async () => {
    const h = harness(replay, { file: csv, speed: 0 }, { clock: new VirtualClock() });
    await h.node.start!();
    await until(() => h.finished, "the replay to finish", { pollMs: 1 });
    assert.equal(h.out("out").length, 3);
  });

  it("never says so while it loops over the file", async () => {
    const h = harness(replay, { file: csv, speed: 0, loop: true }, { clock: new VirtualClock() });
    await h.node.start!();
    await until(() => h.out("out").length >= 9, "three passes over the file", { pollMs: 1 });
    await h.node.stop!();
    assert.equal(h.finished, false);
  });

  it("says so when the file cannot be read to its end either: it sends nothing more", async () => {
    const h = harness(replay, { file: dir, speed: 0 }, { clock: new VirtualClock() }); // a directory: readable, but no rows
    await h.node.start!();
    await until(() => h.finished, "the replay to finish", { pollMs: 1 });
    assert.equal(h.statuses.at(-1)?.state, "error");
  });
});
