import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryFlowStore } from "../../test/support/api-stores.ts";
import { sampleFlow } from "../../test/support/api.ts";
import { flowOf, probeNodes } from "../../test/support/test-nodes.ts";
import { AiotError } from "../sdk/errors.ts";
import { checkDocument, problemsJson, requireFlow, requireVersion, savedOrConflict, versionInfo } from "./flow-checks.ts";
import { statusOf } from "./http-errors.ts";

const catalog = new Map(probeNodes().definitions.map((d) => [d.type, d]));

/** The error `run` throws, as [status, code, details]. */
function thrown(run: () => unknown): [number, string, Record<string, unknown>] {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof AiotError, String(error));
    return [statusOf(error), error.code, error.details];
  }
  assert.fail("nothing was thrown");
}

async function storeWithVersions(count: number): Promise<MemoryFlowStore> {
  const flows = new MemoryFlowStore();
  for (let i = 0; i < count; i++) await flows.saveVersion({ document: { ...sampleFlow(), name: `take ${i + 1}` }, author: "ana", message: `v${i + 1}` });
  return flows;
}

describe("requireFlow and requireVersion", () => {
  it("answer the stored flow and version", async () => {
    const flows = await storeWithVersions(2);
    assert.equal(requireFlow(flows, "line-1").latestVersion, 2);
    assert.equal(requireVersion(flows, "line-1", 1).document.name, "take 1");
  });

  it("refuse a flow or version that is not there with 404, naming it", async () => {
    const flows = await storeWithVersions(1);
    assert.deepEqual(thrown(() => requireFlow(flows, "ghost")), [404, "FLOW_NOT_FOUND", { flowId: "ghost" }]);
    for (const version of [0, 2, 999]) {
      assert.deepEqual(thrown(() => requireVersion(flows, "line-1", version)), [404, "VERSION_NOT_FOUND", { flowId: "line-1", version }]);
    }
    assert.equal(thrown(() => requireVersion(flows, "ghost", 1))[1], "VERSION_NOT_FOUND");
  });
});

describe("checkDocument", () => {
  it("answers the document with the flow format's defaults filled in", () => {
    const { connections: _connections, ...withoutConnections } = sampleFlow();
    const flow = checkDocument(catalog, withoutConnections, undefined, "document");
    assert.deepEqual(flow.connections, {});
    assert.deepEqual(flow.nodes.map((n) => n.id), ["src", "out"]);
  });

  it("refuses an invalid flow with 422 FLOW_INVALID listing every problem, each placed in the body", () => {
    const broken = flowOf([["src", "test-source"], ["step", "test-step", { add: "two" }]], ["src.out->ghost.in"], "line-1");
    const rawBody = JSON.stringify({ message: "m", document: broken }, null, 2);
    const [status, code, details] = thrown(() => checkDocument(catalog, broken, rawBody, "document"));
    assert.deepEqual([status, code], [422, "FLOW_INVALID"]);
    const problems = details["problems"] as Array<Record<string, unknown>>;
    assert.deepEqual(problems.map((p) => p["code"]).sort(), ["FLOW_EDGE_UNKNOWN_NODE", "NODE_CONFIG_INVALID"]);
    const lines = rawBody.split("\n");
    const lineOf = (needle: string) => lines.findIndex((line) => line.includes(needle)) + 1;
    const located = Object.fromEntries(problems.map((p) => [p["code"], String(p["location"]).split(":")[1]]));
    assert.deepEqual(located, { NODE_CONFIG_INVALID: String(lineOf('"add": "two"')), FLOW_EDGE_UNKNOWN_NODE: String(lineOf('"node": "ghost"')) });
  });

  it("says '1 problem' or 'N problems'", () => {
    const oneProblem = { ...sampleFlow(), edges: [] as never[], nodes: [{ id: "a", type: "nope", config: {}, position: { x: 0, y: 0 } }] };
    assert.throws(() => checkDocument(catalog, oneProblem, undefined, "document"), { message: "the flow has 1 problem" });
    assert.throws(() => checkDocument(catalog, { nodes: 3 }, undefined, "document"), { message: /^the flow has \d+ problems$/ });
  });

  it("refuses a flow id made of dots only with 400 ID_INVALID at the id's path, though the format's pattern takes it", () => {
    for (const id of [".", ".."]) {
      assert.deepEqual(thrown(() => checkDocument(catalog, sampleFlow(id), undefined, "versions[2].document")), [400, "ID_INVALID", { path: "versions[2].document.id" }]);
    }
  });

  it("refuses what is not a flow document at all", () => {
    for (const value of [null, "flow", [1], 42]) assert.equal(thrown(() => checkDocument(catalog, value, undefined, "document"))[1], "FLOW_INVALID");
  });
});

describe("problemsJson", () => {
  const problem = (path?: string) => new AiotError("NODE_CONFIG_INVALID", "must be a number", path === undefined ? {} : { path });
  const rawBody = '{\n  "document": {\n    "nodes": [{ "config": { "max": "x" } }]\n  }\n}';

  it("adds body:line:column for each problem whose path is found in the body, under the prefix", () => {
    const [json] = problemsJson([problem("nodes[0].config.max")], rawBody, "document");
    assert.deepEqual({ ...json, hint: undefined }, { code: "NODE_CONFIG_INVALID", message: "must be a number", hint: undefined, path: "nodes[0].config.max", location: "body:3:29" });
  });

  it("places a problem of the whole document at the document, and one without a prefix at the top", () => {
    assert.equal(problemsJson([problem("$")], rawBody, "document")[0]?.["location"], "body:2:3");
    assert.equal(problemsJson([problem()], rawBody, "document")[0]?.["location"], "body:2:3");
    assert.equal(problemsJson([problem("document.nodes")], rawBody)[0]?.["location"], "body:3:5");
  });

  it("leaves out the location when the body is not at hand or names no such place", () => {
    assert.equal("location" in problemsJson([problem("nodes[0]")], undefined, "document")[0]!, false);
    assert.equal("location" in problemsJson([problem("$")], rawBody)[0]!, false, "the whole body is no place");
    assert.equal("location" in problemsJson([problem("nodes[0]")], "not json", "document")[0]!, false);
  });
});

describe("savedOrConflict", () => {
  it("answers the saved version", async () => {
    const flows = new MemoryFlowStore();
    const result = await flows.saveVersion({ document: sampleFlow(), author: "ana", message: "first" });
    assert.equal(savedOrConflict(result).version, 1);
  });

  it("refuses a save on a stale base with 409 VERSION_CONFLICT saying who saved what, with the diff", async () => {
    const flows = await storeWithVersions(2);
    const stale = await flows.saveVersion({ document: { ...sampleFlow(), name: "mine" }, author: "bob", message: "m", baseVersion: 1 });
    const [status, code, details] = thrown(() => savedOrConflict(stale));
    assert.deepEqual([status, code, details["base"]], [409, "VERSION_CONFLICT", 1]);
    assert.equal((details["latest"] as { version: number }).version, 2);
    assert.deepEqual((details["diff"] as { flow: string[] }).flow, ["name"]);
    assert.throws(() => savedOrConflict(stale), { message: /^version 1 is not the latest: ana saved version 2 at \d{4}-/ });
  });
});

describe("versionInfo", () => {
  it("answers the version's facts without its document", async () => {
    const flows = await storeWithVersions(1);
    const version = requireVersion(flows, "line-1", 1);
    const info = versionInfo(version);
    assert.equal("document" in info, false);
    assert.deepEqual(info, { flowId: "line-1", version: 1, author: "ana", createdAt: version.createdAt, hash: version.hash, message: "v1" });
  });
});
