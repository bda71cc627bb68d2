/**
 * The one catalogue of coded errors. Every error a user can cause names a code from here, the place
 * (a JSON path such as `nodes[3].config.size`, a file, a node id) and what to do about it.
 * Stack traces are for our bugs, never for a user's mistake.
 */
export const ERROR_CATALOGUE = {
  // flow documents
  FLOW_FILE_UNREADABLE: "Check the path and the file's permissions.",
  FLOW_JSON_MALFORMED: "Fix the JSON syntax at the position given (a missing comma or quote is the usual cause).",
  FLOW_FORMAT_INVALID: 'Make the document match flows/flow.schema.json (format "aiotflow/flow@1").',
  FLOW_UNKNOWN_NODE_TYPE: "Use a type listed by `aiotflow nodes`.",
  FLOW_DUPLICATE_ID: "Give every node and edge its own id.",
  FLOW_EDGE_UNKNOWN_NODE: "Point the edge at an existing node id.",
  FLOW_EDGE_UNKNOWN_PORT: "Use a port the node declares (see `aiotflow nodes`).",
  FLOW_EDGE_KIND_MISMATCH: "Wire outputs only to inputs of the same payload kind (or `any`); add a node that converts between them.",
  FLOW_CYCLE: "Break the loop, or put a loop-safe node (such as a delay) in it.",
  FLOW_SECRET_INLINE: 'Store the value in the secret store and reference it as { "$secret": "name" }.',
  FLOW_UNKNOWN_CONNECTION: "Declare the connection under `connections` or fix the reference.",
  NODE_CONFIG_INVALID: "Correct the config value; `aiotflow nodes` documents every field.",
  // running
  NODE_FAILED: "The node threw on this message; see the message and the node's docs.",
  NODE_START_FAILED: "The source could not start; check its config and the system it reads from.",
  NODE_STOP_FAILED: "The node did not stop cleanly; its resources may need a restart to free.",
  MESSAGE_SHAPE_INVALID: "Send the node messages whose payload has the fields it is configured to read.",
  EXPRESSION_INVALID: "Fix the expression syntax; see the map node's docs for the language.",
  EXPRESSION_FAILED: "The expression could not be evaluated on this message (a missing field or a wrong type).",
  QUEUE_OVERFLOW: "A node cannot keep up; raise its queue size or concurrency, or slow the source.",
  STATE_SNAPSHOT_INVALID: "Delete or repair the snapshot file named; the flow starts with empty state until then.",
  FLOW_INVALID: "The flow has the problems listed; fix them (aiotflow validate shows each with its line) and deploy again.",
  DEPLOY_FAILED: "The new flow did not start; the previous one keeps running.",
  SECRET_MISSING: "Add the secret to the runtime's secret store (admin API: PUT /api/secrets/<name>) or fix the name.",
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export interface ErrorDetails {
  /** Where: a JSON path into the flow (`nodes[3].config.size`), a file, or a node id. */
  readonly path?: string;
  readonly node?: string;
  readonly file?: string;
  readonly [extra: string]: unknown;
}

/** An error a user can act on: a code from the catalogue, a place, and a hint. */
export class AiotError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;
  readonly hint: string;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "AiotError";
    this.code = code;
    this.details = details;
    this.hint = ERROR_CATALOGUE[code];
  }

  /** `nodes[3].config.size: must be >= 1 [NODE_CONFIG_INVALID]` — the one-line form the CLI prints. */
  override toString(): string {
    const where = this.details.path ?? this.details.file ?? this.details.node;
    return `${where ? `${where}: ` : ""}${this.message} [${this.code}]`;
  }

  toJSON(): { code: ErrorCode; message: string; hint: string } & ErrorDetails {
    return { ...this.details, code: this.code, message: this.message, hint: this.hint };
  }
}

export function isAiotError(value: unknown): value is AiotError {
  return value instanceof AiotError;
}

/** The error's message whatever was thrown (strings and non-Errors included). */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === "string" ? error : JSON.stringify(error);
}
