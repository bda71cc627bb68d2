import { open } from "node:fs/promises";
import { parse as parseTolerant, printParseErrorCode, type ParseError } from "jsonc-parser";
import { Low, type Adapter } from "lowdb";
import type { TSchema } from "typebox";
import Compile from "typebox/compile";
import { schemaProblems } from "../sdk/config.ts";
import { AiotError, errorMessage } from "../sdk/errors.ts";
import { writeFileAtomic } from "./atomic-write.ts";
import { SerialQueue } from "./serial-queue.ts";

/** A problem found in a store file beyond its JSON syntax: where (a JSON path) and what. */
export interface StoreProblem {
  readonly path: string;
  readonly message: string;
}

export interface StoreFileSpec<T> {
  readonly file: string;
  /** The shape every read must have; a mismatch is STORE_CORRUPT, never a reset. */
  readonly schema: TSchema;
  /** Checks the schema cannot express (hashes, references between records). */
  readonly check?: (data: T) => StoreProblem[];
}

const SHOWN_PROBLEMS = 3;

/**
 * A lowdb adapter that refuses damaged files and writes durably. lowdb's own `JSONFile` (steno)
 * also writes a temp file and renames it, but never fsyncs, so a power cut soon after a save can
 * leave an empty file on some file systems; and its `read` throws a bare SyntaxError with no line.
 * Here a read checks JSON syntax (line and column), the schema (JSON paths) and `check`; a write
 * checks the schema, then replaces the file with `writeFileAtomic` (temp file -> fsync -> rename ->
 * fsync of the directory, mode 0600).
 */
export class DurableJsonFile<T> implements Adapter<T> {
  private readonly validator;

  constructor(private readonly spec: StoreFileSpec<T>) {
    this.validator = Compile(spec.schema);
  }

  async read(): Promise<T | null> {
    const { file } = this.spec;
    let text: string;
    try {
      const handle = await open(file, "r");
      try {
        text = await handle.readFile("utf8");
      } finally {
        await handle.close();
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw new AiotError("STORE_UNREADABLE", `cannot read: ${errorMessage(error)}`, { file }, { cause: error });
    }
    const value = parseStoreJson(text, file);
    if (!this.validator.Check(value)) throw corrupt(file, schemaProblems(this.spec.schema, value, ""));
    const problems = this.spec.check?.(value as T) ?? [];
    if (problems.length > 0) throw corrupt(file, problems);
    return value as T;
  }

  /** Refuses to write data of the wrong shape: a file that would not open again is worse than no write. */
  async write(data: T): Promise<void> {
    const { file, schema } = this.spec;
    if (!this.validator.Check(data)) {
      const [first] = schemaProblems(schema, data, "");
      throw new AiotError("STORE_WRITE_FAILED", `refused to write data that would not load again: ${first?.path || "$"}: ${first?.message ?? "invalid"}`, { file });
    }
    await writeFileAtomic(file, `${JSON.stringify(data, null, 2)}\n`);
  }
}

/** Parses store JSON; a syntax error is STORE_CORRUPT with its line and column. */
export function parseStoreJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    // JSON.parse gives no line (and for some mistakes no position); jsonc-parser always does.
    const problems: ParseError[] = [];
    parseTolerant(text, problems, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    const first = problems[0];
    if (!first) throw new AiotError("STORE_CORRUPT", `invalid JSON: ${errorMessage(error)}`, { file }, { cause: error });
    const before = text.slice(0, first.offset);
    const line = before.split("\n").length;
    const column = first.offset - before.lastIndexOf("\n");
    const what = printParseErrorCode(first.error).replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
    const found = text.slice(first.offset, first.offset + Math.max(1, first.length)).slice(0, 20);
    const message = `invalid JSON at line ${line}, column ${column}: ${what}${found ? ` at "${found}"` : " at end of file"}`;
    throw new AiotError("STORE_CORRUPT", message, { file, line, column }, { cause: error });
  }
}

function corrupt(file: string, problems: StoreProblem[]): AiotError {
  const shown = problems.slice(0, SHOWN_PROBLEMS).map((p) => `${p.path || "$"}: ${p.message}`);
  const more = problems.length > SHOWN_PROBLEMS ? ` (and ${problems.length - SHOWN_PROBLEMS} more)` : "";
  return new AiotError("STORE_CORRUPT", `${shown.join("; ")}${more}`, { file, jsonPath: problems[0]?.path || "$", problems });
}

/**
 * One store file held in memory through lowdb. Readers see only committed data; `update` runs
 * changes one at a time, writes the new data and commits it only when the write succeeded, so a
 * failed write leaves both the file and the in-memory state as they were.
 */
export class StoreDocument<T> {
  private readonly queue = new SerialQueue();

  private constructor(
    private readonly db: Low<T>,
    private committed: T,
    readonly file: string,
  ) {}

  /** Reads `spec.file` (a missing file starts as `empty`); throws STORE_CORRUPT / STORE_UNREADABLE. */
  static async open<T>(spec: StoreFileSpec<T>, empty: T): Promise<StoreDocument<T>> {
    const db = new Low<T>(new DurableJsonFile(spec), empty);
    await db.read();
    return new StoreDocument(db, db.data, spec.file);
  }

  get data(): T {
    return this.committed;
  }

  /**
   * `change` gets the latest committed data and returns the next data (a new object: never mutate
   * `current`) and a result. Returning `current` itself writes nothing. A throw writes nothing.
   */
  update<R>(change: (current: T) => { next: T; result: R }): Promise<R> {
    return this.queue.run(async () => {
      const { next, result } = change(this.committed);
      if (next === this.committed) return result;
      this.db.data = next;
      try {
        await this.db.write();
      } catch (error) {
        this.db.data = this.committed;
        throw error;
      }
      this.committed = next;
      return result;
    });
  }
}
