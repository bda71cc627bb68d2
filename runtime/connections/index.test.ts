import assert from "node:assert/strict";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { VirtualClock } from "../sdk/clock.ts";
import { CONNECTIONS } from "../sdk/connections.ts";
import { OUTBOXES } from "../sdk/outbox.ts";
import { lookup, provide, serviceKey, services } from "../sdk/services.ts";
import { createConnections, withConnections } from "./index.ts";

describe("createConnections", () => {
  it("supervises every shipped connection type", async () => {
    const supervisor = await createConnections({});
    assert.deepEqual([...supervisor.types.keys()].sort(), ["http-endpoint", "mqtt-broker", "opcua-endpoint"]);
    await supervisor.close();
  });
});

describe("withConnections", () => {
  const GREETING = serviceKey<string>("greeting");
  const owner = { flowId: "line/1", nodeId: "out", clock: new VirtualClock() };

  it("adds connections and outboxes to the services it is given, keeping those", async () => {
    const supervisor = await createConnections({});
    const all = withConnections(services(provide(GREETING, "hello")), supervisor);
    assert.equal(lookup(all, GREETING), "hello");
    assert.equal(lookup(all, CONNECTIONS), supervisor);
    assert.ok(lookup(all, OUTBOXES));
    assert.ok(withConnections(undefined, supervisor).has(CONNECTIONS.name), "no services given: only these two");
    await supervisor.close();
  });

  it("keeps outboxes in memory without a data directory, and on disk under <dataDir>/outbox/<flow> with one", async () => {
    const supervisor = await createConnections({});
    const memory = lookup(withConnections(undefined, supervisor), OUTBOXES)!.open<string>(owner);
    memory.push("a");
    memory.flush();
    assert.equal(memory.length, 1);
    memory.close();

    const dataDir = mkdtempSync(join(tmpdir(), "aiotflow-connections-"));
    const disk = lookup(withConnections(undefined, supervisor, dataDir), OUTBOXES)!.open<string>(owner);
    disk.push("b");
    disk.flush();
    assert.ok(existsSync(join(dataDir, "outbox", encodeURIComponent("line/1"))));
    disk.close();
    await supervisor.close();
  });
});
