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
      if (value instanceof Error) throw new AiotError("EXPRESSION_FAILED", `"${source}": ${failureText(value, source, scope)}`);
      if (typeof value === "number" && !Number.isFinite(value)) {
        throw new AiotError("EXPRESSION_FAILED", `"${source}" gives ${value} (a division by zero, or a root or log of a negative number?)`);
      }
      return value;
    },
  };
}

/** The types filtrex names in its type errors, and which JavaScript values are of that type. */
const EXPECTED: Record<string, { readonly words: string; readonly fits: (value: unknown) => boolean }> = {
  number: { words: "a number", fits: (v) => typeof v === "number" },
  text: { words: "text", fits: (v) => typeof v === "string" },
  "text or number": { words: "text or a number", fits: (v) => typeof v === "string" || typeof v === "number" },
  list: { words: "a list", fits: (v) => Array.isArray(v) },
  "logical value (“true” or “false”)": { words: "true or false", fits: (v) => typeof v === "boolean" },
};

/**
 * filtrex's type error ("Expected a number, but got a undefined instead.") names null as undefined
 * and never says which field: instead, name the expected type and each field of the expression
 * whose value is not of it, with that value ("expected a number, got null (payload.temp)").
 */
function failureText(error: Error, source: string, scope: object): string {
  const expected = "expectedType" in error && typeof error.expectedType === "string" ? error.expectedType : undefined;
  if (expected === undefined) return error.message;
  const type = EXPECTED[expected];
  const culprits = type ? fieldsOf(source).flatMap((path) => {
    const found = valueAt(scope, path);
    return found.present && !type.fits(found.value) ? [`${describeValue(found.value)} (${path})`] : [];
  }) : [];
  // No field to blame (a function's result): filtrex's own word for the type, without its "a undefined".
  const got = "recievedType" in error && typeof error.recievedType === "string" ? error.recievedType : "another type";
  return `expected ${type?.words ?? expected}, got ${culprits.length > 0 ? culprits.join(", ") : got}`;
}

/** The dotted field paths an expression reads (not functions, keywords or text inside quotes). */
function fieldsOf(source: string): string[] {
  const code = source.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
  const paths = [...code.matchAll(/(?<![\w.$])([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)(?![\w$.]|\s*\()/g)].map((m) => m[1]!);
  return [...new Set(paths.filter((p) => !KEYWORDS.has(p) && p !== "true" && p !== "false"))];
}

function valueAt(scope: object, path: string): { present: boolean; value?: unknown } {
  let value: unknown = scope;
  for (const part of path.split(".")) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, part)) return { present: false };
    value = (value as Record<string, unknown>)[part];
  }
  return { present: true, value };
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined || typeof value === "boolean") return String(value);
  if (typeof value === "string") return `the text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (Array.isArray(value)) return `a list of ${value.length}`;
  return typeof value === "object" ? "an object" : typeof value;
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
