import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { parseTree } from "jsonc-parser";
import { flowOf, probeNodes } from "../../test/support/test-nodes.ts";
import { loadFlowFile, locate, nodeTypesOf } from "./flow-file.ts";

const catalog = new Map(probeNodes().definitions.map((d) => [d.type, d]));
const dir = mkdtempSync(join(tmpdir(), "aiotflow-flow-file-"));
after(() => rmSync(dir, { recursive: true, force: true }));

let written = 0;
/** Writes `text` to a fresh file in the test's directory and returns its path. */
function file(text: string | Uint8Array): string {
  const path = join(dir, `flow-${written++}.json`);
  writeFileSync(path, text);
  return path;
}

const twoNodes = flowOf([["src", "test-source"], ["out", "test-sink"]], ["src.out->out.in"], "line-1");

/** The problems of a file that does not load, as [code, location relative to the file] pairs. */
function problems(path: string): Array<[string, string]> {
  const result = loadFlowFile(path, catalog);
  assert.equal(result.ok, false, "the file loaded");
  return result.ok ? [] : result.problems.map((p) => [p.error.code, p.location.replace(path, "<file>")]);
}

describe("loadFlowFile", () => {
  it("loads a valid flow and hands back its text", () => {
    const text = JSON.stringify(twoNodes, null, 2);
    const result = loadFlowFile(file(text), catalog);
    assert.ok(result.ok);
    assert.deepEqual(result.value.nodes.map((n) => n.node.id), ["src", "out"]);
    assert.equal(result.text, text);
  });

  it("reads a file that starts with a byte-order mark, as Windows editors write", () => {
    const result = loadFlowFile(file(`\uFEFF${JSON.stringify(twoNodes)}`), catalog);
    assert.ok(result.ok);
    assert.equal(result.text.charCodeAt(0), "{".charCodeAt(0));
  });

  it("says why a path cannot be read: no such file, a directory", () => {
    const folder = join(dir, "a-folder");
    mkdirSync(folder);
    const cases: Array<[string, RegExp]> = [
      [join(dir, "missing.json"), /cannot read flow: no such file/],
      [folder, /cannot read flow: it is a directory, not a flow file/],
    ];
    for (const [path, message] of cases) {
      const result = loadFlowFile(path, catalog);
      assert.ok(!result.ok);
      assert.equal(result.problems.length, 1);
      const [problem] = result.problems;
      assert.equal(problem?.error.code, "FLOW_FILE_UNREADABLE");
      assert.match(problem!.error.message, message);
      assert.equal(problem?.location, path);
    }
  });

  it("places a JSON syntax error at its line and column", () => {
    const path = file('{\n  "format": "aiotflow/flow@1",\n  "id": "x",,\n}');
    assert.deepEqual(problems(path), [["FLOW_JSON_MALFORMED", "<file>:3:13"]]);
  });

  it("refuses an empty file and binary bytes as malformed JSON, at line 1", () => {
    for (const text of ["", new Uint8Array([0xff, 0xfe, 0x00])]) {
      assert.deepEqual(problems(file(text)).map(([code, location]) => [code, location.split(":")[1]]), [["FLOW_JSON_MALFORMED", "1"]]);
    }
  });

  it("places every validation problem at the line and column of the offending value", () => {
    const broken = flowOf([["src", "test-source"], ["step", "test-step", { add: "two" }], ["out", "no-such-type"]], ["src.out->step.in", "step.out->gone.in"], "line-1");
    const path = file(JSON.stringify(broken, null, 2));
    const found = problems(path);
    const text = JSON.stringify(broken, null, 2).split("\n");
    // Each location names the line where the offending key sits.
    const lineOf = (needle: string, from = 0) => text.findIndex((line, i) => i >= from && line.includes(needle)) + 1;
    const stepLine = lineOf('"id": "step"');
    const expected: Array<[string, number]> = [
      ["NODE_CONFIG_INVALID", lineOf('"add": "two"', stepLine)],
      ["FLOW_UNKNOWN_NODE_TYPE", lineOf('"type": "no-such-type"')],
      ["FLOW_EDGE_UNKNOWN_NODE", lineOf('"node": "gone"')],
    ];
    for (const [code, line] of expected) {
      const problem = found.find(([c]) => c === code);
      assert.ok(problem, `${code} among ${JSON.stringify(found)}`);
      assert.match(problem[1], new RegExp(`^<file>:${line}:\\d+$`), code);
    }
  });

  it("names the file alone for a problem of the whole document", () => {
    assert.deepEqual(problems(file("[1, 2]")), [["FLOW_FORMAT_INVALID", "<file>"]]);
  });
});

describe("locate", () => {
  const text = '{\n  "nodes": [\n    { "id": "a",\n      "config": { "size": 3 } }\n  ]\n}';
  const tree = parseTree(text);
  const cases: Array<[string | undefined, string]> = [
    ["nodes[0].config.size", "f:4:19"],
    ["nodes[0].id", "f:3:7"],
    ["nodes[0].config.missing", "f:4:7"],
    ["nodes[7].config", "f:2:3"],
    ["$", "f"],
    [undefined, "f"],
  ];
  for (const [path, location] of cases) {
    it(`places ${path ?? "no path"} at ${location} (the key of a property, or its nearest existing parent)`, () => {
      assert.equal(locate("f", text, tree, path), location);
    });
  }

  it("answers the file alone when the text did not parse to a tree", () => {
    assert.equal(locate("f", "", undefined, "nodes[0]"), "f");
  });
});

describe("nodeTypesOf", () => {
  it("lists the node types a file names, once each, a byte-order mark notwithstanding", () => {
    const path = file(`\uFEFF${JSON.stringify(flowOf([["a", "test-source"], ["b", "test-sink"], ["c", "test-source"]], []))}`);
    assert.deepEqual(nodeTypesOf(path), ["test-source", "test-sink"]);
  });

  it("cannot tell (undefined: load every type) for a missing file, broken JSON or a node without a type", () => {
    for (const path of [join(dir, "missing.json"), file("{ nodes: ["), file('{"nodes": {}}'), file('{"nodes": [null]}'), file('{"nodes": [{"type": 3}]}')]) {
      assert.equal(nodeTypesOf(path), undefined, path);
    }
  });
});
