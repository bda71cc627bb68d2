import { access, constants } from "node:fs/promises";
import { extname, resolve } from "node:path";
import { AiotError, Config, defineNode, errorMessage, Type, type TimerHandle } from "../../../runtime/sdk/index.ts";
import { emitError } from "../../lib/sources/emit-error.ts";
import { readRows, type Row } from "./rows.ts";

/** Parses a timestamp cell; undefined when it is not one. */
function parseTimestamp(value: unknown, format: "auto" | "ms" | "s" | "iso"): number | undefined {
  const text = typeof value === "string" ? value.trim() : value;
  if (format !== "iso" && (typeof text === "number" || (typeof text === "string" && /^-?\d+(\.\d+)?$/.test(text)))) {
    const n = Number(text);
    return format === "s" ? n * 1000 : n;
  }
  if (format === "ms" || format === "s" || typeof text !== "string") return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** A value cell as a number: "missing" for an empty cell, "not_numeric" for anything else. */
function parseValue(value: unknown): number | "missing" | "not_numeric" {
  if (typeof value === "number") return Number.isFinite(value) ? value : "not_numeric";
  if (value === undefined || value === null || value === "") return "missing";
  if (typeof value !== "string") return "not_numeric";
  const n = Number(value.trim());
  return value.trim() !== "" && Number.isFinite(n) ? n : "not_numeric";
}

export default defineNode({
  type: "replay",
  version: 1,
  family: "sources",
  title: "Replay",
  summary: "Replays recorded readings from a CSV or JSONL file at their original pace, N times faster, or as fast as the flow accepts.",
  docs: `
Reads a CSV file (first line = column names) or a JSONL file (one JSON object per line) and emits one
reading per row, for testing flows on recorded data.

- **Event time** comes from \`timestampField\`: epoch milliseconds, epoch seconds or an ISO 8601 string
  (\`timestampFormat\`). With \`rebase\` the first row is moved to the time the replay started.
- **Pace**: \`speed: 1\` keeps the recorded gaps between rows, \`speed: 10\` plays ten times faster,
  \`speed: 0\` emits as fast as the flow accepts (it waits whenever the flow is saturated).
- **Key and fields**: \`keyField\` becomes the message key (and the last topic level); \`values\` picks
  the numeric columns that become payload fields (all other columns when omitted), \`rename\` renames them.
- **loop** starts again at the first row when the file ends, shifting event time so it keeps rising.

Bad input never stops the replay: a row that does not parse (wrong column count, bad JSON, a missing or
unreadable timestamp) goes to the error port as REPLAY_ROW_MALFORMED with its line and is counted
(\`malformed\`); an empty value cell is left out and marked \`meta.quality.<field>: "missing"\`, a
non-numeric one is left out and marked \`"not_numeric"\` (counted as \`bad_values\`). A file that does not
exist fails the start with REPLAY_FILE_NOT_FOUND naming the path.

Out: \`{ topic: "replay/pump-1", key: "pump-1", ts: 1767225600000, payload: { vibration: 2.3, temperature: 61.2 }, meta: { source: <node id>, line: 2 } }\`.

Example: \`{ "file": "examples/replay/pump-recording.csv", "keyField": "device", "speed": 10 }\``,
  config: Config({
    file: Type.String({ minLength: 1, description: "Path of the CSV or JSONL file; relative paths start at the working directory." }),
    format: Type.Enum(["auto", "csv", "jsonl"], { default: "auto", description: "File format; auto picks jsonl for .jsonl/.ndjson files and csv otherwise." }),
    delimiter: Type.String({ minLength: 1, maxLength: 1, default: ",", description: "CSV column separator." }),
    timestampField: Type.String({ minLength: 1, default: "ts", description: "Column holding each row's event time." }),
    timestampFormat: Type.Enum(["auto", "ms", "s", "iso"], {
      default: "auto",
      description: "How timestamps are written: epoch ms, epoch s, ISO 8601, or auto (numbers are ms, text is ISO 8601).",
    }),
    rebase: Type.Boolean({ default: false, description: "Shift event time so the first row carries the time the replay started." }),
    keyField: Type.Optional(Type.String({ minLength: 1, description: "Column holding the device or asset id (the message key)." })),
    values: Type.Optional(Type.Array(Type.String({ minLength: 1, description: "A column name." }), {
      minItems: 1, uniqueItems: true, description: "Numeric columns that become payload fields; every column except timestamp and key when omitted.",
    })),
    rename: Type.Record(Type.String(), Type.String({ minLength: 1, description: "Payload field name." }), {
      default: {}, description: "Column -> payload field name, for columns whose names differ from the flow's fields.",
    }),
    speed: Type.Number({ minimum: 0, default: 1, description: "1 keeps the recorded pace, N plays N times faster, 0 as fast as the flow accepts." }),
    loop: Type.Boolean({ default: false, description: "Start again at the first row when the file ends." }),
    topic: Type.String({ default: "replay", description: "Topic, or topic prefix followed by /<key> when keyField is set." }),
  }),
  inputs: {},
  outputs: { out: { kind: "reading", description: "One reading per row." } },
  examples: [
    { title: "A recorded pump at 10x", config: { file: "examples/replay/pump-recording.csv", keyField: "device", speed: 10 } },
    { title: "JSONL as fast as possible", config: { file: "recordings/line-3.jsonl", timestampFormat: "iso", values: ["vib"], rename: { vib: "vibration" }, speed: 0 } },
    { title: "Endless demo", description: "Loops the file, event time moved to now.", config: { file: "examples/replay/pump-recording.csv", keyField: "device", rebase: true, loop: true } },
  ],
  create(config, ctx) {
    const file = resolve(config.file);
    const format = config.format !== "auto" ? config.format : [".jsonl", ".ndjson"].includes(extname(file).toLowerCase()) ? "jsonl" : "csv";
    const reserved = new Set([config.timestampField, ...(config.keyField ? [config.keyField] : [])]);
    let stopped = false;
    let loop: Promise<void> | undefined;
    let wake: (() => void) | undefined;
    let timer: TimerHandle | undefined;
    let emitted = 0;

    /** Waits on the node's clock until `at`; stop() ends the wait early. */
    function sleepUntil(at: number): Promise<void> {
      const ms = at - ctx.clock.now();
      if (ms <= 0) return Promise.resolve();
      return new Promise<void>((done) => {
        wake = done;
        timer = ctx.clock.setTimeout(done, ms);
      });
    }

    function toMessage(row: Row, ts: number) {
      const key = config.keyField === undefined ? undefined : row.fields[config.keyField];
      const keyText = key === undefined || key === null || key === "" ? undefined : String(key);
      const payload: Record<string, number> = {};
      let quality: Record<string, string> | undefined;
      for (const column of config.values ?? Object.keys(row.fields).filter((c) => !reserved.has(c))) {
        const field = config.rename[column] ?? column;
        const value = parseValue(row.fields[column]);
        if (typeof value === "number") payload[field] = value;
        else {
          (quality ??= {})[field] = value;
          if (value === "not_numeric") ctx.metrics.count("bad_values");
        }
      }
      const meta = quality ? { source: ctx.nodeId, line: row.line, quality } : { source: ctx.nodeId, line: row.line };
      return { topic: keyText ? `${config.topic}/${keyText}` : config.topic, ...(keyText ? { key: keyText } : {}), ts, payload, meta };
    }

    async function play(): Promise<void> {
      const startedAt = ctx.clock.now();
      let shift = 0; // added to recorded time: rebase, plus one file span per finished loop
      let first: number | undefined;
      let origin = 0; // event time of the first row: the pace is measured from it
      let last: number | undefined;
      let step = 1000;
      do {
        for await (const item of readRows(file, format, config.delimiter)) {
          if (stopped) return;
          if ("bad" in item) {
            const error = new AiotError("REPLAY_ROW_MALFORMED", `${file}:${item.bad.line}: ${item.bad.reason}`, { file, line: item.bad.line });
            emitError(ctx, error, { topic: config.topic, ts: ctx.clock.now() }, "malformed");
            continue;
          }
          const recorded = parseTimestamp(item.row.fields[config.timestampField], config.timestampFormat);
          if (recorded === undefined) {
            const value = JSON.stringify(item.row.fields[config.timestampField] ?? null);
            const error = new AiotError("REPLAY_ROW_MALFORMED", `${file}:${item.row.line}: timestamp "${config.timestampField}" is ${value}, not a ${config.timestampFormat === "auto" ? "number or ISO 8601 date" : config.timestampFormat} timestamp`, { file, line: item.row.line });
            emitError(ctx, error, { topic: config.topic, ts: ctx.clock.now() }, "malformed");
            continue;
          }
          if (first === undefined) {
            first = recorded;
            if (config.rebase) shift = startedAt - recorded;
            origin = recorded + shift;
          } else if (last !== undefined && emitted === 1 && recorded > last) step = recorded - last;
          const ts = recorded + shift;
          if (config.speed > 0) await sleepUntil(startedAt + (ts - origin) / config.speed);
          if (stopped) return;
          last = recorded;
          emitted++;
          ctx.metrics.count("rows");
          if (!ctx.emit("out", toMessage(item.row, ts))) await ctx.writable();
        }
        // The next pass continues event time one row-step after this one ended.
        if (first !== undefined && last !== undefined) shift += last - first + step;
      } while (config.loop && !stopped && first !== undefined);
      ctx.status({ state: "idle", text: `done after ${emitted} rows` });
      ctx.done?.(); // the file has ended: `aiotflow run` can drain and exit
    }

    return {
      async start() {
        try {
          await access(file, constants.R_OK);
        } catch (error) {
          throw new AiotError("REPLAY_FILE_NOT_FOUND", `cannot read replay file ${file}: ${errorMessage(error)}`, { file, node: ctx.nodeId, path: "config.file" });
        }
        ctx.status({ state: "running" });
        loop = play().catch((error: unknown) => {
          ctx.log.error("replay failed", { error: errorMessage(error), file });
          ctx.status({ state: "error", text: errorMessage(error) });
          ctx.done?.(); // it sends nothing more either
        });
      },
      async stop() {
        stopped = true;
        timer?.cancel();
        wake?.();
        await loop;
      },
    };
  },
});
