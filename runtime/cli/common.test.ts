import assert from "node:assert/strict";
import { afterEach, describe, it, mock } from "node:test";
import { AiotError, ERROR_CATALOGUE } from "../sdk/errors.ts";
import { commonRunOptions, drainTimeoutMs, printProblems, stopSignal, usage } from "./common.ts";
import { HELP } from "./help.ts";

/** What the code under test writes to stdout and stderr, one entry per write. */
function captured() {
  const stdout: string[] = [];
  const stderr: string[] = [];
  mock.method(process.stdout, "write", (chunk: string) => (stdout.push(chunk), true));
  mock.method(process.stderr, "write", (chunk: string) => (stderr.push(chunk), true));
  return { stdout, stderr };
}

afterEach(() => mock.restoreAll());

describe("commonRunOptions", () => {
  const accepted: Array<[string, Record<string, unknown>, { level: string; duration: number | undefined }]> = [
    ["no options", {}, { level: "info", duration: undefined }],
    ["--quiet", { quiet: true }, { level: "warn", duration: undefined }],
    ["--log-level over --quiet", { quiet: true, "log-level": "debug" }, { level: "debug", duration: undefined }],
    ["--duration 2.5", { duration: "2.5" }, { level: "info", duration: 2.5 }],
    ["the longest --duration", { duration: "2147483" }, { level: "info", duration: 2_147_483 }],
  ];
  for (const [name, options, expected] of accepted) it(`reads ${name}`, () => assert.deepEqual(commonRunOptions("run", options), expected));

  const refused: Array<[string, Record<string, unknown>, RegExp]> = [
    ["an unknown log level", { "log-level": "verbose" }, /^--log-level must be debug, info, warn or error, not "verbose"$/],
    ["a zero duration", { duration: "0" }, /^--duration must be a number of seconds between 0 and 2147483 \(24 days\), not "0"$/],
    ["a negative duration", { duration: "-1" }, /not "-1"/],
    ["a duration that is not a number", { duration: "ten" }, /not "ten"/],
    ["a duration past setTimeout's limit", { duration: "2147484" }, /not "2147484"/],
  ];
  for (const [name, options, message] of refused) {
    it(`says what is wrong with ${name}`, () => {
      const result = commonRunOptions("run", options);
      assert.equal(typeof result, "string");
      assert.match(result as string, message);
    });
  }
});

describe("drainTimeoutMs", () => {
  it("reads --drain-timeout in seconds as milliseconds, and nothing when not given", () => {
    assert.deepEqual([drainTimeoutMs({}), drainTimeoutMs({ "drain-timeout": "2.5" })], [undefined, 2_500]);
  });

  it("says what is wrong with a value that is not a positive number of seconds", () => {
    for (const text of ["0", "-1", "soon", "2147484"]) {
      assert.equal(drainTimeoutMs({ "drain-timeout": text }), `--drain-timeout must be a number of seconds between 0 and 2147483 (24 days), not "${text}"`);
    }
  });
});

describe("printProblems", () => {
  const problems = [
    { location: "flow.json:3:5", error: new AiotError("NODE_CONFIG_INVALID", "must be >= 1", { path: "nodes[0].config.size" }) },
    { location: "flow.json:1:1", error: new AiotError("FLOW_FORMAT_INVALID", "unknown format", { path: "$" }) },
    { location: "flow.json:9:2", error: new AiotError("NODE_CONFIG_INVALID", "must be a string", { path: "nodes[1].config.topic" }) },
  ];

  it("lists each problem with its place, then what to do once per code, on stderr", () => {
    const { stdout, stderr } = captured();
    printProblems(problems, false);
    assert.deepEqual(stdout, []);
    assert.deepEqual(stderr.join(""), [
      "3 problems:",
      "  flow.json:3:5  nodes[0].config.size: must be >= 1 [NODE_CONFIG_INVALID]",
      "  flow.json:1:1  unknown format [FLOW_FORMAT_INVALID]",
      "  flow.json:9:2  nodes[1].config.topic: must be a string [NODE_CONFIG_INVALID]",
      "",
      "What to do:",
      `  NODE_CONFIG_INVALID: ${ERROR_CATALOGUE.NODE_CONFIG_INVALID}`,
      `  FLOW_FORMAT_INVALID: ${ERROR_CATALOGUE.FLOW_FORMAT_INVALID}`,
      "",
    ].join("\n"));
  });

  it("says \"1 problem\" for one", () => {
    const { stderr } = captured();
    printProblems(problems.slice(0, 1), false);
    assert.equal(stderr[0], "1 problem:\n");
  });

  it("prints JSON on stdout with --json: location, code, message, hint and details", () => {
    const { stdout, stderr } = captured();
    printProblems(problems.slice(0, 1), true);
    assert.deepEqual(stderr, []);
    assert.deepEqual(JSON.parse(stdout.join("")), [
      { location: "flow.json:3:5", path: "nodes[0].config.size", code: "NODE_CONFIG_INVALID", message: "must be >= 1", hint: ERROR_CATALOGUE.NODE_CONFIG_INVALID },
    ]);
  });
});

describe("usage", () => {
  it("prints the problem and the command's help on stderr, and gives exit code 2", () => {
    const { stderr } = captured();
    assert.equal(usage("run", "missing <flow.json>"), 2);
    assert.equal(stderr.join(""), `aiotflow run: missing <flow.json>\n\n${HELP["run"]}\n`);
  });
});

describe("stopSignal", () => {
  /**
   * The signal listeners stopSignal adds: `deliver` runs them as the signal would (and no listener the
   * test runner has), `cleanUp` removes them so they do not pile up across tests.
   */
  function signals() {
    const before = { SIGINT: process.listeners("SIGINT"), SIGTERM: process.listeners("SIGTERM") };
    const added = (signal: "SIGINT" | "SIGTERM") => process.listeners(signal).filter((l) => !before[signal].includes(l));
    return {
      deliver: (signal: "SIGINT" | "SIGTERM") => added(signal).forEach((listener) => listener(signal)),
      cleanUp: () => (["SIGINT", "SIGTERM"] as const).forEach((signal) => added(signal).forEach((l) => process.removeListener(signal, l))),
    };
  }

  it("resolves on stop(), logging the reason once however often it is called", async () => {
    const { deliver, cleanUp } = signals();
    const lines: string[] = [];
    const signal = stopSignal(undefined, { info: (m) => void lines.push(m) });
    signal.stop("flow finished");
    signal.stop("again");
    await signal.stopped;
    assert.deepEqual(lines, ["stopping (flow finished): draining queued messages"]);
    cleanUp();
  });

  it("keeps the process alive with a timer of its own until stopped, --duration or not", async () => {
    const { cleanUp } = signals();
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    for (const duration of [undefined, 60]) {
      const before = timers();
      const signal = stopSignal(duration, { info: () => undefined });
      assert.equal(timers(), before + 1, "a referenced timer holds the event loop open");
      signal.stop("test over");
      await signal.stopped;
      assert.equal(timers(), before, "cleared on stop");
    }
    cleanUp();
  });

  it("resolves after --duration", async () => {
    const { deliver, cleanUp } = signals();
    const lines: string[] = [];
    await stopSignal(0.001, { info: (m) => void lines.push(m) }).stopped;
    assert.deepEqual(lines, ["stopping (--duration 0.001 s): draining queued messages"]);
    cleanUp();
  });

  for (const name of ["SIGINT", "SIGTERM"] as const) {
    it(`drains on ${name}, and exits at once with 130 on a second one`, async () => {
      const { deliver, cleanUp } = signals();
      const { stderr } = captured();
      const exits: unknown[] = [];
      mock.method(process, "exit", (code: unknown) => void exits.push(code));
      const lines: string[] = [];
      const signal = stopSignal(undefined, { info: (m) => void lines.push(m) });
      deliver(name);
      await signal.stopped;
      assert.deepEqual([lines, exits], [["stopping (interrupted): draining queued messages"], []]);
      deliver(name);
      assert.deepEqual(exits, [130]);
      assert.equal(stderr.join(""), "aiotflow: second interrupt, exiting without draining\n");
      cleanUp();
    });
  }
});
