import { createRequire } from "node:module";
import type * as CsvParse from "csv-parse";
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";

/** One data row of a replay file: its fields (all strings for CSV) and the line it started on. */
export interface Row {
  readonly line: number;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** A row that could not be parsed: where and why. */
export interface BadRow {
  readonly line: number;
  readonly reason: string;
}

export type RowOrProblem = { readonly row: Row } | { readonly bad: BadRow };

/**
 * Streams the rows of a CSV file (first line = column names) or a JSONL file (one object per line).
 * Rows are read as the consumer asks for them, so a file larger than memory replays fine; a row that
 * does not parse comes out as a problem with its line number, and reading goes on.
 */
export async function* readRows(file: string, format: "csv" | "jsonl", delimiter: string): AsyncGenerator<RowOrProblem> {
  if (format === "jsonl") yield* readJsonl(file);
  else yield* readCsv(file, delimiter);
}

async function* readJsonl(file: string): AsyncGenerator<RowOrProblem> {
  const lines = createInterface({ input: createReadStream(file, "utf8"), crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      if (!text.trim()) continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        yield { bad: { line, reason: `not JSON: ${error instanceof Error ? error.message : String(error)}` } };
        continue;
      }
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        yield { bad: { line, reason: "not a JSON object" } };
        continue;
      }
      yield { row: { line, fields: value as Record<string, unknown> } };
    }
  } finally {
    lines.close();
  }
}

async function* readCsv(file: string, delimiter: string): AsyncGenerator<RowOrProblem> {
  const skipped: BadRow[] = [];
  // Loaded on first use (~4 MiB): only flows that replay CSV pay for it.
  const { parse } = createRequire(import.meta.url)("csv-parse") as typeof CsvParse;
  const source = createReadStream(file);
  const parser = source.pipe(
    parse({
      columns: true,
      delimiter,
      info: true,
      trim: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_skip: (error) => void skipped.push({ line: typeof error?.["lines"] === "number" ? error["lines"] : 0, reason: error?.message ?? "unparsable row" }),
    }),
  );
  // pipe() passes no read error on: without this, a file that cannot be read (gone, a directory)
  // would be an uncaught stream error instead of a failed replay.
  source.once("error", (error) => parser.destroy(error));
  try {
    for await (const entry of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      // The parser reads ahead: a bad row further down is reported before the good rows above it
      // come out. Hold each problem until the rows before it have gone, so the file's order is kept.
      while (skipped.length > 0 && skipped[0]!.line < entry.info.lines) yield { bad: skipped.shift()! };
      yield { row: { line: entry.info.lines, fields: entry.record } };
    }
    while (skipped.length > 0) yield { bad: skipped.shift()! };
  } finally {
    parser.destroy();
    source.destroy();
  }
}
