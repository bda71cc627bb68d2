import { errorMessage, isRecord } from "../../../runtime/sdk/index.ts";

/** One JSON document of a message: `index` is its place in an array or line stream (absent for a lone document). */
export type Element = { readonly index?: number } & ({ readonly json: unknown } | { readonly problem: string });

export interface Split {
  /** At most `max` documents, in order. */
  readonly elements: readonly Element[];
  /** Documents past `max`, not read. */
  readonly dropped: number;
}

/**
 * Splits a message body into the documents it holds: one JSON value, a JSON array (one document per
 * element), or JSON lines (The Things Stack storage integration streams one `{ "result": {...} }` per
 * line). A storage `{ "result": ... }` wrapper is taken off, and its `{ "error": ... }` lines become
 * problems. A body that is none of these is one problem: "not JSON".
 */
export function splitBody(text: string, max: number): Split {
  let whole: unknown;
  try {
    whole = JSON.parse(text);
  } catch (error) {
    const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
    if (lines.length < 2) return { elements: [{ problem: `not JSON (${errorMessage(error)})` }], dropped: 0 };
    return {
      elements: lines.slice(0, max).map((line, index) => {
        try {
          return unwrap(JSON.parse(line), index);
        } catch (lineError) {
          return { index, problem: `not JSON (${errorMessage(lineError)})` };
        }
      }),
      dropped: Math.max(0, lines.length - max),
    };
  }
  if (!Array.isArray(whole)) return { elements: [unwrap(whole, undefined)], dropped: 0 };
  return { elements: whole.slice(0, max).map((item, index) => unwrap(item, index)), dropped: Math.max(0, whole.length - max) };
}

function unwrap(json: unknown, index: number | undefined): Element {
  const at = index === undefined ? {} : { index };
  if (isRecord(json) && Object.keys(json).length === 1) {
    if ("result" in json) return { ...at, json: json["result"] };
    const error = json["error"];
    if (isRecord(error)) return { ...at, problem: `the storage integration answered an error: ${typeof error["message"] === "string" ? error["message"] : JSON.stringify(error)}` };
  }
  return { ...at, json };
}
