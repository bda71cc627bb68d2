/**
 * Per-row property work of the inference node, as functions generated once per model (feature
 * reader) or per payload shape (copier), because that work, not the model run, was most of the node's
 * cost. Measured on Node 20 (V8 11.3):
 * - reading 32 features in a loop over their names is a megamorphic keyed load per feature; with the
 *   names written out, each load has its own monomorphic inline cache;
 * - `{ ...payload, score }`, `Object.assign({}, payload)` plus a field, or a key loop give every copy
 *   of a 33-field payload a hidden class of its own (0.7 to 3 µs each, more than the model's whole
 *   per-row cost); an object literal with the names written out shares one (about 0.1 µs).
 *
 * Safety: names come from messages and the registry, so they enter generated source only as
 * `JSON.stringify(name)`: a complete string literal, whatever the name holds (quotes, backslashes,
 * line breaks, U+2028), that cannot end early and inject code. `__proto__` never goes into a literal
 * (there it would set the prototype instead of a field): such shapes take the generic path.
 * Generated functions name themselves (`//# sourceURL=generated/...`) so CPU profiles show them.
 */

/** Writes a row's features at `offset`; returns the index of the first one that is not a finite number, or -1. */
export type FeatureReader = (payload: Readonly<Record<string, unknown>>, into: Float32Array, offset: number) => number;

const readers = new WeakMap<readonly string[], FeatureReader>();

/** A reader for these feature names in this order (cached per names array: one per model version). */
export function featureReader(names: readonly string[]): FeatureReader {
  let reader = readers.get(names);
  if (!reader) {
    // `v - v !== 0` is true exactly for NaN and ±Infinity.
    const body = names.map((name, i) => `v = p[${JSON.stringify(name)}]; if (typeof v !== "number" || v - v !== 0) return ${i}; out[o + ${i}] = v;`);
    reader = new Function("p", "out", "o", `"use strict";\nlet v;\n${body.join("\n")}\nreturn -1;\n//# sourceURL=generated/feature-reader.js`) as FeatureReader;
    readers.set(names, reader);
  }
  return reader;
}

type Build = (source: Readonly<Record<string, unknown>>, a: unknown, b: unknown, c: unknown) => Record<string, unknown>;
type Match = (source: Readonly<Record<string, unknown>>) => boolean;
interface Shape {
  readonly keys: readonly string[];
  /** True when `source` has exactly these keys in this order: a for-in over V8's enum cache, no array. */
  readonly match: Match;
  readonly build: Build;
}

/** Shapes with codegen per copier: bounds the functions a stream of ever-new shapes can create. */
const MAX_SHAPES = 8;
const MAX_KEYS = 256;

/**
 * Copies objects with up to three fields set on top (`{ ...source, [extras[0]]: a, ... }`), fast
 * for the few shapes a flow's messages have. A field of the source with an extra's name is
 * overwritten in place, as with spread.
 *
 * @example
 * const withScore = new FieldCopier(["score"]);
 * withScore.copy({ temp: 61 }, 0.93); // { temp: 61, score: 0.93 }
 */
export class FieldCopier {
  private readonly shapes: Shape[] = [];
  private last: Shape | undefined;

  constructor(private readonly extras: readonly string[]) {
    // A plain RangeError: the extras are fixed in this node's code, never taken from a user's config.
    if (extras.length > 3) throw new RangeError("FieldCopier takes at most three extra fields");
  }

  copy(source: Readonly<Record<string, unknown>>, a?: unknown, b?: unknown, c?: unknown): Record<string, unknown> {
    const last = this.last;
    // for-in also walks the prototype: only plain objects qualify, so own keys are all it sees.
    const plain = Object.getPrototypeOf(source) === Object.prototype;
    if (last !== undefined && plain && last.match(source)) return last.build(source, a, b, c);
    const shape = plain ? this.shapeOf(Object.keys(source)) : undefined;
    if (shape) return (this.last = shape).build(source, a, b, c);
    const copy: Record<string, unknown> = { ...source };
    const values = [a, b, c];
    this.extras.forEach((name, i) => Object.defineProperty(copy, name, { value: values[i], enumerable: true, writable: true, configurable: true }));
    return copy;
  }

  private shapeOf(keys: readonly string[]): Shape | undefined {
    const known = this.shapes.find((s) => sameKeys(s.keys, keys));
    if (known || this.shapes.length >= MAX_SHAPES || keys.length > MAX_KEYS || keys.includes("__proto__") || this.extras.includes("__proto__")) return known;
    const fields = keys.map((k) => `${JSON.stringify(k)}: p[${JSON.stringify(k)}]`);
    const extras = this.extras.map((name, i) => `${JSON.stringify(name)}: ${"abc"[i]!}`);
    const build = new Function("p", "a", "b", "c", `"use strict";\nreturn { ${[...fields, ...extras].join(", ")} };\n//# sourceURL=generated/field-copy.js`) as Build;
    const match = new Function("K", `"use strict";\nreturn (p) => { let i = 0; for (const k in p) if (k !== K[i++]) return false; return i === ${keys.length}; };\n//# sourceURL=generated/shape-match.js`)(keys) as Match;
    const shape = { keys, match, build };
    this.shapes.push(shape);
    return shape;
  }
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
