/**
 * JSON with object keys sorted at every depth, so the same value always gives the same text (and
 * hash) whatever order its keys were written in. The same text as `JSON.stringify` with a
 * key-sorting replacer (undefined fields and functions dropped, null in arrays, `toJSON` honoured),
 * written out by hand: the replacer form was the cost of the editor's unsaved marker and live diff
 * on a 300-node flow. The store hashes this text (store/canonical.ts), so it must never change for
 * a value that already has a hash.
 *
 * @example canonicalJson({ b: 1, a: [2, { d: 3, c: 4 }] }) // '{"a":[2,{"c":4,"d":3}],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  return write(value, false) ?? "undefined";
}

function write(value: unknown, inArray: boolean): string | undefined {
  if (value === undefined || typeof value === "function" || typeof value === "symbol") return inArray ? "null" : undefined;
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  const withJson = value as { toJSON?: () => unknown };
  if (typeof withJson.toJSON === "function") return write(withJson.toJSON(), inArray);
  if (Array.isArray(value)) return `[${value.map((item) => write(item, true)).join(",")}]`;
  const parts: string[] = [];
  for (const key of Object.keys(value).sort()) {
    const text = write((value as Record<string, unknown>)[key], false);
    if (text !== undefined) parts.push(`${JSON.stringify(key)}:${text}`);
  }
  return `{${parts.join(",")}}`;
}
