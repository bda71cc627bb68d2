import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { loadConnectionTypes } from "./registry.ts";
import mqttBroker from "./types/mqtt-broker.ts";

describe("loadConnectionTypes", () => {
  const root = mkdtempSync(join(tmpdir(), "connection-types-"));
  after(() => rmSync(root, { recursive: true, force: true }));

  it("discovers the shipped types from their files", async () => {
    const types = await loadConnectionTypes();
    for (const type of ["mqtt-broker", "opcua-endpoint", "http-endpoint"]) assert.equal(types.get(type)?.type, type);
  });

  it("refuses a type whose name is not its file name, naming the file", async () => {
    writeFileSync(join(root, "broker.ts"), 'export default { type: "mqtt", config: {}, open() {} };\n');
    await assert.rejects(loadConnectionTypes([], root), { code: "CONNECTION_TYPE_INVALID", details: { file: join(root, "broker.ts") }, message: /"mqtt" must equal its file name "broker"/ });
    rmSync(join(root, "broker.ts"));
  });

  it("refuses a type defined twice", async () => {
    await assert.rejects(loadConnectionTypes([mqttBroker]), { code: "CONNECTION_TYPE_INVALID", message: /"mqtt-broker" is defined twice/ });
  });
});
