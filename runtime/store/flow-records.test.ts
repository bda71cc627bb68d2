import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { FlowDocument } from "../contract/flow-format.ts";
import { AiotError } from "../sdk/errors.ts";
import { contentHash } from "./canonical.ts";
import { checkFlowId, EMPTY_FLOWS_FILE, flowsFileProblems, type FlowsFile } from "./flow-records.ts";
import type { FlowVersion } from "../contract/flow-records.ts";

describe("flow ids", () => {
  const accepted = ["pump", "Line_2", "a.b", "plant:line-3", "..a", "x".repeat(128)];
  const refused: unknown[] = ["", ".", "..", "....", "../x", "a/b", "a\\b", "%2e%2e", "a b", "a\nb", "a\u0000b", "ä", "x".repeat(129), 42, null, undefined];
  for (const id of accepted) it(`accepts ${JSON.stringify(id).slice(0, 20)}`, () => assert.equal(checkFlowId(id), id));
  for (const id of refused) {
    it(`refuses ${JSON.stringify(id)?.slice(0, 20) ?? "undefined"} (FLOW_ID_INVALID)`, () => {
      assert.throws(() => checkFlowId(id), (e: unknown) => e instanceof AiotError && e.code === "FLOW_ID_INVALID");
    });
  }
});

describe("flows.json consistency checks", () => {
  const document = (id: string): FlowDocument => ({ format: "aiotflow/flow@1", id, name: id, nodes: [], edges: [], connections: {} });
  const version = (flowId: string, n: number): FlowVersion => ({ flowId, version: n, author: "a", createdAt: "t", hash: contentHash(document(flowId)), message: "", document: document(flowId) });
  const sound: FlowsFile = {
    ...EMPTY_FLOWS_FILE,
    flows: [{ id: "a", name: "a", createdAt: "t", updatedAt: "t", latestVersion: 2, deployedVersion: 2, lastGoodVersion: 1 }],
    versions: [version("a", 1), version("a", 2)],
    deployments: [{ id: "d1", flowId: "a", version: 1, by: "op", at: "t", outcome: "running", durationMs: 1 }],
  };

  it("finds nothing wrong with a sound file", () => assert.deepEqual(flowsFileProblems(sound), []));

  const broken: Array<[string, Partial<FlowsFile>, string]> = [
    ["a duplicate flow", { flows: [sound.flows[0]!, sound.flows[0]!] }, "flows[1].id"],
    ["versions out of order", { versions: [version("a", 2), version("a", 1)] }, "versions[0].version"],
    ["a version of no flow", { versions: [...sound.versions, version("ghost", 1)] }, "versions[2].flowId"],
    ["a document under another flow's id", { versions: [version("a", 1), { ...version("a", 2), document: document("b"), hash: contentHash(document("b")) }] }, "versions[1].document.id"],
    ["a hash that does not match", { versions: [version("a", 1), { ...version("a", 2), hash: "0".repeat(64) }] }, "versions[1].hash"],
    ["a deployed version that does not exist", { flows: [{ ...sound.flows[0]!, deployedVersion: 3 }] }, "flows[0].deployedVersion"],
    ["a deployment of no flow", { deployments: [{ ...sound.deployments[0]!, flowId: "ghost" }] }, "deployments[0].flowId"],
  ];
  for (const [name, change, path] of broken) {
    it(`finds ${name} at ${path}`, () => {
      assert.ok(flowsFileProblems({ ...sound, ...change }).some((p) => p.path === path), JSON.stringify(flowsFileProblems({ ...sound, ...change })));
    });
  }
});
