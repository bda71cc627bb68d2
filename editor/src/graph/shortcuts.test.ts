import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { shortcutOf, SHORTCUTS } from "./shortcuts.ts";

const press = (key: string, mods: { ctrl?: boolean; meta?: boolean; shift?: boolean; alt?: boolean } = {}) =>
  shortcutOf({ key, ctrlKey: mods.ctrl ?? false, metaKey: mods.meta ?? false, shiftKey: mods.shift ?? false, altKey: mods.alt ?? false });

describe("keyboard shortcuts", () => {
  it("maps Ctrl and Cmd combinations to the editor's actions", () => {
    const table: Array<[string, Parameters<typeof press>[1], string]> = [
      ["a", { ctrl: true }, "selectAll"], ["a", { meta: true }, "selectAll"],
      ["c", { ctrl: true }, "copy"], ["v", { meta: true }, "paste"],
      ["z", { ctrl: true }, "undo"], ["Z", { ctrl: true, shift: true }, "redo"], ["y", { ctrl: true }, "redo"],
      ["s", { ctrl: true }, "save"], ["Delete", {}, "delete"], ["Backspace", {}, "delete"], ["D", { ctrl: true, shift: true }, "deploy"], ["?", { shift: true }, "help"],
    ];
    for (const [key, mods, action] of table) assert.equal(press(key, mods), action, `${JSON.stringify(mods)}+${key}`);
  });

  it("ignores plain letters, Alt combinations and unbound keys", () => {
    for (const [key, mods] of [["a", {}], ["z", {}], ["d", { ctrl: true }], ["s", { ctrl: true, alt: true }], ["q", { ctrl: true }], ["?", { ctrl: true }], ["Delete", { ctrl: true }]] as const) {
      assert.equal(press(key, mods), undefined, `${JSON.stringify(mods)}+${key}`);
    }
  });

  it("lists every action in the help", () => {
    for (const words of ["Delete", "Ctrl/⌘ + A", "Ctrl/⌘ + C", "Ctrl/⌘ + V", "Ctrl/⌘ + Z", "Ctrl/⌘ + Y", "Ctrl/⌘ + S", "Shift + D", "?"]) {
      assert.ok(SHORTCUTS.some((s) => s.keys.includes(words)), words);
    }
  });
});
