import { compileExpression as compileFiltrex, useDotAccessOperator } from "filtrex";
import { AiotError, errorMessage } from "./errors.ts";

/**
 * The safe expression language of map, gate and filter nodes: filtrex (no JavaScript, no
 * prototype access, no loops). Fields are read with dots (`payload.vibration`), logic is
 * `and`/`or`/`not`, a conditional is `if a then b else c`, power is `^`, and the built-ins are
 * abs, ceil, floor, round, sqrt, log, log2, log10, min, max. A missing field is an error (so a typo is
 * reported, not silently read as empty). Strings are compared
 * with `==`, matched with `~=` (a regular expression).
 */
export const EXPRESSION_LANGUAGE_DOCS =
  "Safe expressions (filtrex): read fields with dots (payload.vibration, key, topic, ts, meta.quality); " +
  "arithmetic + - * / % ^; comparisons == != < <= > >=; logic and, or, not; " +
  "`if cond then a else b`; built-ins abs, ceil, floor, round, sqrt, log, min, max; a missing field is an error, not empty; " +
  "`~=` matches a regular expression. No JavaScript is ever run.";

export interface Expression {
  readonly source: string;
  /** Evaluates against `scope`; throws EXPRESSION_FAILED (never returns an Error value). */
  evaluate(scope: object): unknown;
}

/** filtrex's built-in functions; any other call would only fail when a message arrives. */
const FUNCTIONS = new Set(["abs", "ceil", "floor", "log", "log2", "log10", "max", "min", "round", "sqrt"]);
const KEYWORDS = new Set(["if", "then", "else", "and", "or", "not", "in", "mod"]);

/** Compiles once; throws EXPRESSION_INVALID on bad syntax or a call to a function that does not exist. */
export function compileExpression(source: string): Expression {
  const code = source.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""'); // ignore text inside strings
  for (const call of code.matchAll(/(?<![\w.$])([A-Za-z_$][\w$.]*)\s*\(/g)) {
    const name = call[1]!;
    if (!FUNCTIONS.has(name) && !KEYWORDS.has(name)) {
      throw new AiotError("EXPRESSION_INVALID", `"${source}": unknown function ${name}(); the functions are ${[...FUNCTIONS].join(", ")}`);
    }
  }
  let compiled: (scope: object) => unknown;
  try {
    compiled = compileFiltrex(source, { customProp: useDotAccessOperator });
  } catch (error) {
    throw new AiotError("EXPRESSION_INVALID", `cannot parse expression "${source}": ${errorMessage(error).split("\n").pop()}`);
  }
  return {
    source,
    evaluate(scope) {
      const value = compiled(scope);
      // filtrex reports a failure by returning the Error instead of throwing it.
      if (value instanceof Error) throw new AiotError("EXPRESSION_FAILED", `"${source}": ${value.message}`);
      if (typeof value === "number" && !Number.isFinite(value)) {
        throw new AiotError("EXPRESSION_FAILED", `"${source}" gives ${value} (a division by zero, or a root or log of a negative number?)`);
      }
      return value;
    },
  };
}

/** The parse error of `source`, or undefined when it compiles; for `check` in node definitions. */
export function expressionProblem(source: string): string | undefined {
  try {
    compileExpression(source);
    return undefined;
  } catch (error) {
    return errorMessage(error);
  }
}
