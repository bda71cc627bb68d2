import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { configEditKey, createHistory, restorable } from "./history.ts";

describe("undo/redo history", () => {
  it("undoes and redoes steps in order", () => {
    const history = createHistory<string>();
    history.record("a");
    history.record("ab");
    let state = "abc";
    state = history.undo(state) ?? assert.fail("one step back");
    assert.equal(state, "ab");
    state = history.undo(state) ?? assert.fail("two steps back");
    assert.equal(state, "a");
    assert.equal(history.undo(state), undefined, "nothing before the first step");
    state = history.redo(state) ?? assert.fail("redo");
    assert.equal(state, "ab");
    state = history.redo(state) ?? assert.fail("redo again");
    assert.equal(state, "abc");
    assert.equal(history.redo(state), undefined);
  });

  it("forgets the redo branch when a new edit is recorded after an undo", () => {
    const history = createHistory<number>();
    history.record(1);
    assert.equal(history.undo(2), 1);
    assert.ok(history.canRedo);
    history.record(1);
    assert.ok(!history.canRedo);
    assert.equal(history.redo(5), undefined);
  });

  it("merges consecutive steps with the same key into one, keeping the oldest state", () => {
    const history = createHistory<string>();
    history.record("", "config:window.fields");
    history.record("v", "config:window.fields");
    history.record("vi", "config:window.fields");
    assert.equal(history.size, 1);
    assert.equal(history.undo("vib"), "");
  });

  it("starts a new step when the key changes, after an undo, or after seal", () => {
    const history = createHistory<string>();
    history.record("0", "drag");
    history.record("1", "config");
    history.record("2", "drag");
    assert.equal(history.size, 3);
    history.seal();
    history.record("3", "drag");
    assert.equal(history.size, 4);
    history.undo("4");
    history.record("3", "drag");
    assert.equal(history.size, 4, "after an undo the same key is a fresh step");
    history.record("x");
    history.record("y");
    assert.equal(history.size, 6, "steps without a key never merge");
  });

  it("drops the oldest steps beyond its limit", () => {
    const history = createHistory<number>(3);
    for (let i = 0; i < 10; i++) history.record(i);
    assert.equal(history.size, 3);
    assert.equal(history.undo(10), 9);
    assert.equal(history.undo(9), 8);
    assert.equal(history.undo(8), 7);
    assert.equal(history.undo(7), undefined);
  });

  it("refuses a limit that is not a positive integer", () => {
    for (const bad of [0, -1, 2.5, Number.NaN]) assert.throws(() => createHistory(bad), RangeError);
  });

  it("clears everything", () => {
    const history = createHistory<number>();
    history.record(1);
    history.undo(2);
    history.clear();
    assert.ok(!history.canUndo && !history.canRedo);
  });
});

describe("coalescing keys of config edits", () => {
  it("names the node and the fields an edit changes", () => {
    assert.equal(configEditKey("w", { fields: "v", size: 3 }, { fields: "vi", size: 3 }), "config:w:fields");
    assert.equal(configEditKey("w", { a: 1 }, { b: 2 }), "config:w:a,b");
    assert.equal(configEditKey("w", { a: 1 }, undefined), "node:w", "a rename or disable is keyed by node");
    assert.notEqual(configEditKey("w", {}, { a: 1 }), configEditKey("x", {}, { a: 1 }));
  });

  it("restores snapshot items with the current selection, not the snapshot's, and not dragging", () => {
    const before = [{ id: "a", selected: true }, { id: "b", dragging: true }, { id: "c", selected: false }, { id: "d" }, { id: "e" }];
    // Selected now: "e" and a pasted "a-2" the undo takes away.
    const back = restorable(before, new Set(["e", "a-2"]));
    assert.deepEqual(back.map((n) => [n.id, !!n.selected, !!("dragging" in n && n.dragging)]), [["a", false, false], ["b", false, false], ["c", false, false], ["d", false, false], ["e", true, false]]);
    assert.equal(back.length, before.length, "ids selected now but not in the snapshot do not come back");
    assert.equal(back[3], before[3], "an untouched item is the same object");
    assert.equal(before[0]!.selected, true, "the snapshot itself is not changed");
    assert.deepEqual(restorable(before, new Set()).filter((n) => n.selected), [], "nothing selected now: nothing selected after");
    assert.deepEqual(restorable([], new Set(["a"])), []);
  });
});
