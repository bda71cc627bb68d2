import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileExpression, expressionProblem } from "./expression.ts";

describe("expressions", () => {
  it("evaluates arithmetic, logic, conditionals and built-ins against a message", () => {
    const msg = { topic: "sensors/p1", key: "p1", ts: 0, payload: { vibration: 4, temperature: 85 } };
    const cases: Array<[string, unknown]> = [
      ["payload.vibration * 2.5", 10],
      ["payload.temperature > 80 and payload.vibration < 7", true],
      ["if payload.vibration > 3 then 1 else 0", 1],
      ["sqrt(payload.vibration) + max(1, 2)", 4],
      ['key == "p1" and topic ~= "^sensors/"', true],
    ];
    for (const [source, expected] of cases) assert.equal(compileExpression(source).evaluate(msg), expected, source);
  });

  it("refuses bad syntax and unknown functions when compiled, not when a message arrives", () => {
    assert.match(expressionProblem("payload.x +* 2") ?? "", /cannot parse expression/);
    assert.match(expressionProblem("process.exit(1)") ?? "", /unknown function process\.exit\(\)/);
    assert.match(expressionProblem("sqr(payload.x)") ?? "", /unknown function sqr\(\)/);
    assert.equal(expressionProblem('topic ~= "a(b)" and not (payload.x > 1)'), undefined, "parentheses in strings and after keywords are fine");
  });

  it("names the expected type, the field and its actual value when a value has the wrong type", () => {
    const times = compileExpression("payload.temp * 2 + abs(payload.offset)");
    const failure = (payload: object) => {
      try {
        times.evaluate({ payload });
      } catch (error) {
        return error as { code: string; message: string };
      }
      return assert.fail("no error");
    };
    const { code, message } = failure({ temp: null, offset: 1 });
    assert.deepEqual({ code, message }, { code: "EXPRESSION_FAILED", message: '"payload.temp * 2 + abs(payload.offset)": expected a number, got null (payload.temp)' });
    assert.match(failure({ temp: "hot", offset: 1 }).message, /expected a number, got the text "hot" \(payload\.temp\)$/);
    assert.throws(() => compileExpression("payload.a * payload.b").evaluate({ payload: { a: 1, b: false } }), { message: /expected a number, got false \(payload\.b\)$/ });
    assert.match(failure({ temp: { c: 1 }, offset: 1 }).message, /got an object \(payload\.temp\)$/);
    assert.throws(() => compileExpression("payload.a + 1").evaluate({ payload: { a: null } }), { message: /expected text or a number, got null \(payload\.a\)$/ });
    assert.doesNotMatch(failure({ temp: null, offset: 1 }).message, /a undefined|but got/);
  });

  it("throws EXPRESSION_FAILED for a missing field or a non-finite result instead of returning it", () => {
    assert.throws(() => compileExpression("payload.missing + 1").evaluate({ payload: {} }), { code: "EXPRESSION_FAILED", message: /missing/ });
    assert.throws(() => compileExpression("payload.x / 0").evaluate({ payload: { x: 1 } }), { code: "EXPRESSION_FAILED", message: /gives Infinity/ });
    assert.throws(() => compileExpression("constructor").evaluate({}), { code: "EXPRESSION_FAILED" });
  });
});
