import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileTemplate, filterMatcher, parseTopicTemplate, placeholders } from "./topic-template.ts";

describe("parseTopicTemplate", () => {
  const parsed: Array<[string, string, readonly string[]]> = [
    ["plant/{site}/pump/{id}/{signal}", "plant/+/pump/+/+", ["site", "id", "signal"]],
    ["plant/{site}/{rest#}", "plant/+/#", ["site", "rest"]],
    ["plant/+/pump/#", "plant/+/pump/#", []],
    ["$share/workers/plant/{site}", "$share/workers/plant/+", ["site"]],
    ["{device}", "+", ["device"]],
  ];
  for (const [template, filter, names] of parsed) {
    it(`subscribes to ${filter} for ${template}`, () => {
      const t = parseTopicTemplate(template);
      assert.equal(t.filter, filter);
      assert.deepEqual(t.names, names);
    });
  }

  const matches: Array<[string, string, Record<string, string> | undefined]> = [
    ["plant/{site}/pump/{id}", "plant/north/pump/p1", { site: "north", id: "p1" }],
    ["plant/{site}/pump/{id}", "plant/north/valve/p1", undefined],
    ["plant/{site}/pump/{id}", "plant/north/pump", undefined],
    ["plant/{site}/pump/{id}", "plant/north/pump/p1/extra", undefined],
    ["plant/{site}/{rest#}", "plant/north/a/b/c", { site: "north", rest: "a/b/c" }],
    ["plant/{site}/{rest#}", "plant/north", { site: "north", rest: "" }],
    ["plant/+/{id}", "plant/anything/p7", { id: "p7" }],
    ["plant/+/{id}", "plant/p7", undefined],
    ["plant/#", "plant/a/b", {}],
    ["$share/g/plant/{id}", "plant/p1", { id: "p1" }],
    ["a/{id}", "a/", { id: "" }],
  ];
  for (const [template, topic, fields] of matches) {
    it(`reads ${JSON.stringify(fields)} from ${topic} with ${template}`, () => assert.deepEqual(parseTopicTemplate(template).match(topic), fields));
  }

  const refused: Array<[string, RegExp]> = [
    ["plant/x{site}/pump", /level "x\{site\}" mixes a placeholder with text/],
    ["plant/{site}x", /mixes a placeholder with text/],
    ["a/#/b", /"#" must be the last level/],
    ["a/{rest#}/b", /\{rest#\} must be the last level/],
    ["a/{id}/{id}", /placeholder \{id\} appears twice/],
    ["a/b+", /level "b\+": \+ and # must fill a whole level/],
    ["a/b#", /\+ and # must fill a whole level/],
    ["a/{1st}", /mixes a placeholder with text/],
  ];
  for (const [template, message] of refused) {
    it(`refuses ${template} with MQTT_TOPIC_TEMPLATE_INVALID`, () => {
      assert.throws(() => parseTopicTemplate(template), { code: "MQTT_TOPIC_TEMPLATE_INVALID", message });
    });
  }
});

describe("filterMatcher", () => {
  const cases: Array<[string, string, boolean]> = [
    ["a/b", "a/b", true],
    ["a/b", "a/b/c", false],
    ["a/b/c", "a/b", false],
    ["a/+/c", "a/x/c", true],
    ["a/+/c", "a/x/y/c", false],
    ["a/+", "a/", true],
    ["a/#", "a", true],
    ["a/#", "a/b/c", true],
    ["#", "anything/at/all", true],
    ["#", "$SYS/broker/uptime", false],
    ["+/uptime", "$SYS/uptime", false],
    ["$SYS/#", "$SYS/broker/uptime", true],
    ["$share/g/a/+", "a/b", true],
    ["$share/g/#", "$SYS/x", false],
    ["A/b", "a/b", false],
  ];
  for (const [filter, topic, expected] of cases) {
    it(`${expected ? "matches" : "does not match"} ${topic} against ${filter}`, () => assert.equal(filterMatcher(filter)(topic), expected));
  }
});

describe("compileTemplate", () => {
  const values: Record<string, string> = { site: "north", id: "p1", key: "pump-1" };
  const lookup = (name: string) => values[name];

  const filled: Array<[string, string, string[] | undefined]> = [
    ["plant/{site}/alarms/{key}", "plant/north/alarms/pump-1", undefined],
    ["{id}", "p1", undefined],
    ["fixed/topic", "fixed/topic", undefined],
    ["", "", undefined],
    ["{site}{id}", "northp1", undefined],
    ["x/{nope}/{site}/{other}", "x/{nope}/north/{other}", ["nope", "other"]],
    ["x/{ not a name }", "x/{ not a name }", undefined],
  ];
  for (const [template, text, missing] of filled) {
    it(`fills "${template}" as "${text}"${missing ? `, missing ${missing.join(", ")}` : ""}`, () => {
      assert.deepEqual(compileTemplate(template)(lookup), { text, missing });
    });
  }

  it("asks for each placeholder every time it fills, so values may change between messages", () => {
    const fill = compileTemplate("a/{n}");
    let n = 0;
    assert.equal(fill(() => String(++n)).text, "a/1");
    assert.equal(fill(() => String(++n)).text, "a/2");
  });
});

describe("placeholders", () => {
  it("lists the names a template uses, in order, repeats included", () => {
    assert.deepEqual(placeholders("plant/{site}/{id}/{site}"), ["site", "id", "site"]);
  });

  it("lists none for a plain topic or a malformed brace", () => {
    assert.deepEqual(placeholders("plant/+/#"), []);
    assert.deepEqual(placeholders("plant/{1x}/{ a }"), []);
  });
});
