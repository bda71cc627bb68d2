import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLogger, LogThrottle, silentLogger, type LogLevel } from "./logger.ts";

/** A logger whose lines are collected instead of written to stderr. */
function collecting(options: Omit<NonNullable<Parameters<typeof createLogger>[0]>, "write"> = {}) {
  const lines: string[] = [];
  return { lines, logger: createLogger({ ...options, write: (line) => void lines.push(line) }) };
}

const EVERY_LEVEL = ["debug", "info", "warn", "error"] as const;

describe("createLogger", () => {
  const thresholds: Array<[LogLevel | undefined, string[]]> = [
    [undefined, ["info", "warn", "error"]],
    ["debug", ["debug", "info", "warn", "error"]],
    ["warn", ["warn", "error"]],
    ["error", ["error"]],
    ["silent", []],
  ];
  for (const [level, written] of thresholds) {
    it(`writes ${written.join(", ") || "nothing"} at level ${level ?? "info (the default)"}`, () => {
      const { lines, logger } = collecting({ json: true, ...(level && { level }) });
      for (const name of EVERY_LEVEL) logger[name](`a ${name} record`);
      assert.deepEqual(lines.map((line) => JSON.parse(line).level), written);
    });
  }

  it("writes a text line: time, padded level, message and its fields as key=value (strings bare, the rest as JSON)", () => {
    const { lines, logger } = collecting();
    logger.warn("broker down", { node: "gate-1", attempt: 3, tags: ["a"] });
    logger.error("no fields");
    assert.match(lines[0]!, /^\d{2}:\d{2}:\d{2} WARN  broker down {2}node=gate-1 attempt=3 tags=\["a"\]$/);
    assert.match(lines[1]!, /^\d{2}:\d{2}:\d{2} ERROR no fields$/);
  });

  it("writes one JSON object per line for log shippers: time, level, msg and the fields", () => {
    const { lines, logger } = collecting({ json: true, fields: { flow: "line-1" } });
    logger.info("deployed", { version: 2 });
    const record = JSON.parse(lines[0]!);
    assert.deepEqual({ ...record, time: undefined }, { time: undefined, level: "info", msg: "deployed", flow: "line-1", version: 2 });
    assert.ok(!Number.isNaN(Date.parse(record.time)), `time ${record.time} is an ISO date`);
  });

  it("gives a child its parent's fields and level plus its own, a record's fields winning over both", () => {
    const { lines, logger } = collecting({ json: true, level: "warn", fields: { flow: "line-1", node: "parent" } });
    const child = logger.child({ node: "gate-1" });
    child.info("below the parent's level");
    child.warn("over range", { node: "from-the-record" });
    child.error("failed");
    assert.deepEqual(
      lines.map((line) => JSON.parse(line)).map(({ msg, flow, node }) => [msg, flow, node]),
      [["over range", "line-1", "from-the-record"], ["failed", "line-1", "gate-1"]],
    );
    logger.warn("the parent is unchanged");
    assert.equal(JSON.parse(lines[2]!).node, "parent");
  });

  it("writes each record as one line on stderr by default (stdout carries results)", (test) => {
    const stderr = test.mock.method(process.stderr, "write", () => true);
    createLogger({ json: true }).error("to stderr");
    assert.equal(stderr.mock.callCount(), 1);
    const written = String(stderr.mock.calls[0]!.arguments[0]);
    assert.ok(written.endsWith("\n"));
    assert.equal(JSON.parse(written).msg, "to stderr");
  });
});

describe("silentLogger", () => {
  it("writes nothing at any level", (test) => {
    const stderr = test.mock.method(process.stderr, "write", () => true);
    for (const name of EVERY_LEVEL) silentLogger[name]("hidden", { x: 1 });
    silentLogger.child({ node: "n" }).error("hidden too");
    assert.equal(stderr.mock.callCount(), 0);
  });
});

describe("LogThrottle", () => {
  it("writes the first line of a key, counts the ones within the window and reports them with the next line", () => {
    let now = 0;
    const throttle = new LogThrottle(() => now, 10_000);
    const lines: string[] = [];
    const warn = (key: string) => throttle.write(key, (more) => void lines.push(`${key}${more}`));
    warn("a");
    now = 5_000;
    warn("a");
    warn("a");
    warn("b");
    now = 10_000;
    warn("a");
    warn("a");
    assert.deepEqual(lines, ["a", "b", "a (and 2 more like it)"]);
  });
});
