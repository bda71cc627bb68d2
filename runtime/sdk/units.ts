/**
 * Units of measure through the convert-units library (no hand-written factors). A unit is one of
 * the library's symbols (`C`, `bar`, `rpm`, `kW` ...), a spelling of one (`°C`, `degC`), or a ratio of
 * two non-temperature units (`mm/s`, `l/h`, `kWh/t`), converted as numerator over denominator.
 *
 * @example
 * unitConverter("C", "F")(20);     // 68
 * unitConverter("mm/s", "in/s")(25.4); // 1
 * describeUnit("barr");             // throws UNIT_UNKNOWN: did you mean "bar"?
 */
import { createRequire } from "node:module";
import type convertUnits from "convert-units";

let library: typeof convertUnits | undefined;
/** Loaded on first use (~8 MiB): only flows that convert units pay for it. */
function convert(...args: Parameters<typeof convertUnits>): ReturnType<typeof convertUnits> {
  library ??= createRequire(import.meta.url)("convert-units") as typeof convertUnits;
  return library(...args);
}
import { AiotError } from "./errors.ts";
import { closest } from "./suggest.ts";

/** Other spellings of library symbols seen in device data. */
const SPELLINGS: Readonly<Record<string, string>> = { "°C": "C", degC: "C", "°F": "F", degF: "F", "°R": "R" };

export interface UnitInfo {
  /** The unit as the library names it (`degC` -> `C`). */
  readonly unit: string;
  /** What it measures (`temperature`, `pressure`, `length/time`). */
  readonly measure: string;
}

type Symbol = convertUnits.Unit;

let known: Set<string> | undefined;
function isSymbol(unit: string): unit is Symbol {
  return (known ??= new Set<string>(convert().possibilities())).has(unit);
}

/** A unit as the library can compute with it: one symbol, or a ratio of two. */
interface Parsed {
  readonly info: UnitInfo;
  readonly parts: readonly [Symbol] | readonly [Symbol, Symbol];
  /** Numerator and denominator when the unit reads as one (`m/s` too, though the library also knows it as a speed). */
  readonly ratio?: readonly [Symbol, Symbol];
}

function single(unit: string): { symbol: Symbol; measure: string } | undefined {
  const symbol = SPELLINGS[unit] ?? unit;
  return isSymbol(symbol) ? { symbol, measure: convert().describe(symbol).measure } : undefined;
}

function ratioOf(unit: string): { top: Symbol; bottom: Symbol; measure: string } | undefined {
  const halves = unit.split("/").map((p) => p.trim());
  if (halves.length !== 2) return undefined;
  const [top, bottom] = [single(halves[0]!), single(halves[1]!)];
  if (!top || !bottom || top.measure === "temperature" || bottom.measure === "temperature") return undefined;
  return { top: top.symbol, bottom: bottom.symbol, measure: `${top.measure}/${bottom.measure}` };
}

function parse(unit: string, path: string): Parsed {
  const direct = single(unit.trim());
  const ratio = ratioOf(unit);
  const asRatio = ratio ? { ratio: [ratio.top, ratio.bottom] as const } : {};
  if (direct) return { info: { unit: direct.symbol, measure: direct.measure }, parts: [direct.symbol], ...asRatio };
  if (ratio) return { info: { unit: `${ratio.top}/${ratio.bottom}`, measure: ratio.measure }, parts: [ratio.top, ratio.bottom], ...asRatio };
  const suggestion = closest(unit, [...convert().possibilities(), ...Object.keys(SPELLINGS), "mm/s", "m/s", "l/min", "m3/h"]);
  throw new AiotError("UNIT_UNKNOWN", `unknown unit "${unit}"${suggestion ? `; did you mean "${suggestion}"?` : ""}`, { path, unit, ...(suggestion ? { suggestion } : {}) });
}

/** The unit's canonical symbol and measure; UNIT_UNKNOWN (with the closest known unit) otherwise. */
export function describeUnit(unit: string, path = "unit"): UnitInfo {
  return parse(unit, path).info;
}

/** A function converting values from `from` to `to`; UNIT_UNKNOWN or UNIT_INCOMPATIBLE (°C -> bar) when it cannot. */
export function unitConverter(from: string, to: string, path = "unit"): (value: number) => number {
  const a = parse(from, path);
  const b = parse(to, path);
  if (a.info.measure !== b.info.measure) {
    // mm/s (a ratio) against m/s (a speed to the library): compare them as ratios.
    if (a.ratio && b.ratio && ratioOf(from)?.measure === ratioOf(to)?.measure) return ratioConverter(a.ratio, b.ratio);
    throw new AiotError("UNIT_INCOMPATIBLE", `cannot convert ${from} (${a.info.measure}) to ${to} (${b.info.measure})`, { path, from, to });
  }
  if (a.info.unit === b.info.unit) return (value) => value;
  const [topA, bottomA] = a.parts;
  const [topB, bottomB] = b.parts;
  if (bottomA === undefined || bottomB === undefined) return (value) => convert(value).from(topA).to(topB);
  return ratioConverter([topA, bottomA], [topB, bottomB]);
}

/** Both parts of a ratio are linear (temperatures are refused when parsing), so one factor does. */
function ratioConverter([topA, bottomA]: readonly [Symbol, Symbol], [topB, bottomB]: readonly [Symbol, Symbol]): (value: number) => number {
  const factor = convert(1).from(topA).to(topB) / convert(1).from(bottomA).to(bottomB);
  return (value) => value * factor;
}
