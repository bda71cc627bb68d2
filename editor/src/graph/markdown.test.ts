import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseDocs, parseInline } from "./markdown.ts";

describe("the node docs' markdown", () => {
  it("reads inline code and bold, leaving unclosed markers as text", () => {
    assert.deepEqual(parseInline("outside `[min, max]` is **invalid**."), [
      { kind: "text", text: "outside " },
      { kind: "code", text: "[min, max]" },
      { kind: "text", text: " is " },
      { kind: "bold", text: "invalid" },
      { kind: "text", text: "." },
    ]);
    assert.deepEqual(parseInline("a `b and **c"), [{ kind: "text", text: "a `b and **c" }]);
    assert.deepEqual(parseInline("`**not bold**`"), [{ kind: "code", text: "**not bold**" }]);
    assert.deepEqual(parseInline("<img src=x onerror=alert(1)>"), [{ kind: "text", text: "<img src=x onerror=alert(1)>" }]);
  });

  it("splits paragraphs and bullet lists, joining wrapped lines", () => {
    const docs = "\nChecks each reading\nagainst rules:\n\n- **drop**: to `rejected`;\n- **clamp**: the value is\n  replaced.\n\nDone.";
    assert.deepEqual(parseDocs(docs), [
      { kind: "paragraph", inline: [{ kind: "text", text: "Checks each reading against rules:" }] },
      {
        kind: "list",
        items: [
          [{ kind: "bold", text: "drop" }, { kind: "text", text: ": to " }, { kind: "code", text: "rejected" }, { kind: "text", text: ";" }],
          [{ kind: "bold", text: "clamp" }, { kind: "text", text: ": the value is replaced." }],
        ],
      },
      { kind: "paragraph", inline: [{ kind: "text", text: "Done." }] },
    ]);
    assert.deepEqual(parseDocs(""), []);
  });
});
