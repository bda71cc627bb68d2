import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseConfig, Type } from "../../../runtime/sdk/index.ts";
import { countWindowSchema, timeWindowSchema, windowConfig, windowDocs, windowFieldsOut, windowInputs, windowOutputs } from "./window-config.ts";

const slidingLike = {
  type: "window-under-test",
  config: windowConfig(
    countWindowSchema("Rolling."),
    timeWindowSchema("Hopping.", { slideMs: Type.Integer({ minimum: 1, default: 5_000, description: "Slide." }) }),
  ),
};

/** A schema as the JSON it is published as. */
const json = (schema: unknown) => JSON.parse(JSON.stringify(schema)) as { properties: Record<string, { description?: string }> };

const paths = (raw: unknown) => {
  const result = parseConfig(slidingLike, raw);
  return result.ok ? [] : result.errors.map((e) => e.details.path ?? "");
};

describe("window-config", () => {
  it("defaults to a count window of 10 readings and every statistic", () => {
    const result = parseConfig(slidingLike, { fields: ["vibration"] });
    assert.ok(result.ok);
    assert.deepEqual(result.config.window, { by: "count", count: 10 });
    assert.deepEqual(result.config.stats, ["mean", "std", "min", "max", "rms", "p2p"]);
  });

  it("fills a time window's defaults, the node's own fields included", () => {
    const result = parseConfig(slidingLike, { fields: ["vibration"], window: { by: "time" } });
    assert.ok(result.ok);
    assert.deepEqual(result.config.window, { by: "time", sizeMs: 10_000, slideMs: 5_000, allowedLatenessMs: 0 });
  });

  it("lists a node's own time-window fields between sizeMs and allowedLatenessMs", () => {
    const time = timeWindowSchema("Hopping.", { slideMs: Type.Integer({ minimum: 1 }) });
    assert.deepEqual(Object.keys(time.properties), ["by", "sizeMs", "slideMs", "allowedLatenessMs"]);
    assert.deepEqual(Object.keys(timeWindowSchema("Tumbling.", {}).properties), ["by", "sizeMs", "allowedLatenessMs"]);
  });

  it("carries each node's wording of its windows", () => {
    assert.equal(json(countWindowSchema("Emit every `count` readings.")).properties["by"]!.description, "Emit every `count` readings.");
    assert.equal(json(timeWindowSchema("Back-to-back.", {})).properties["by"]!.description, "Back-to-back.");
    assert.equal(windowOutputs("Too late.").late.description, "Too late.");
    assert.deepEqual(Object.keys(windowInputs), ["in"]);
  });

  const refused: Array<[string, unknown, string]> = [
    ["no fields", { fields: [] }, "config.fields"],
    ["a count window of one reading", { fields: ["x"], window: { by: "count", count: 1 } }, "config.window"],
    ["a zero-length time window", { fields: ["x"], window: { by: "time", sizeMs: 0 } }, "config.window"],
    ["negative lateness", { fields: ["x"], window: { by: "time", allowedLatenessMs: -1 } }, "config.window"],
    ["an unknown statistic", { fields: ["x"], stats: ["median"] }, "config.stats"],
    ["an unknown window field", { fields: ["x"], window: { by: "count", count: 3, slideMs: 2 } }, "config.window"],
    ["an unknown config field", { fields: ["x"], windw: {} }, "config"],
  ];
  for (const [name, raw, path] of refused) {
    it(`refuses ${name}, naming ${path}`, () => {
      const found = paths(raw);
      assert.ok(found.length > 0, "expected the config to be refused");
      assert.ok(found.some((p) => p.startsWith(path)), `paths ${found.join(", ")} do not start with ${path}`);
    });
  }

  it("offers the feature names downstream on out, and the input fields on late", () => {
    assert.deepEqual(windowFieldsOut({ fields: ["a", "b"], stats: ["mean", "max"] }, ["a", "b", "site"]), {
      out: ["a_mean", "a_max", "b_mean", "b_max", "count", "window_start", "window_end"],
      late: ["a", "b", "site"],
    });
  });

  it("writes the node's windowing and example around the shared input and output shapes", () => {
    const docs = windowDocs("overlapping", "\n- **by count**: rolling.\n", "\nExample: `{}` does nothing.\n");
    assert.ok(docs.startsWith("\nSummarises numeric payload fields over overlapping windows, separately for every `key` (device).\n\n- **by count**: rolling.\n\nIn: "));
    assert.match(docs, /MESSAGE_SHAPE_INVALID naming `payload.<field>`/);
    assert.ok(docs.endsWith("window_end }, meta }`.\n\nExample: `{}` does nothing."));
  });
});
