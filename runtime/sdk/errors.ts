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
  FLOW_CYCLE: "Break the loop, or put a loop-safe node (one that delays or drops messages) in it.",
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
  SERVICE_UNAVAILABLE: "This node needs a runtime service the current runtime does not provide (e.g. the model registry under `aiotflow serve`); run the flow where it is available.",
  // storage (runtime/store)
  STORE_LOCKED: "Stop the other aiotflow using this data directory, or give this one its own --data-dir.",
  STORE_UNREADABLE: "Make the data directory and its files readable and writable by the user running aiotflow (check owner and mode).",
  STORE_CORRUPT: "Fix the file at the place given, or restore it from a backup; aiotflow never resets a damaged store (it would lose data).",
  STORE_WRITE_FAILED: "Check free disk space and the data directory's permissions; the change was not saved and the previous state is intact.",
  FLOW_ID_INVALID: "Use a flow id of 1-128 letters, digits, _ . : - (not just dots); ids name files and URLs.",
  FLOW_NOT_FOUND: "Check the flow id (`GET /api/flows` lists them).",
  FLOW_EXISTS: "Pick another flow id, or import with replace to overwrite the stored flow and its versions.",
  FLOW_DEPLOYED: "Stop the flow before replacing it; its running version would no longer match the stored one.",
  VERSION_NOT_FOUND: "Check the version number (`GET /api/flows/<id>/versions` lists them).",
  VERSION_CONFLICT: "Someone saved this flow since you loaded it: review the diff, merge your change onto the latest version and save again.",
  IMPORT_INVALID: "Import a bundle exported by `aiotflow` unchanged (format aiotflow/flow-bundle@1); its versions' hashes must match their documents.",
  USER_INVALID: "Usernames are 1-64 lower-case letters, digits, _ . -; passwords at least 8 characters; roles viewer, editor, operator or admin.",
  USER_EXISTS: "Pick another username.",
  USER_NOT_FOUND: "Check the username (`GET /api/users` lists them).",
  USER_DISABLED: "An admin must enable the user again before it can log in or get tokens.",
  TOKEN_INVALID: "Give the token a name of 1-100 characters and, if it should expire, a positive ttlMs.",
  ROLE_NOT_ALLOWED: "A token can carry at most its user's role; raise the user's role first or ask for a lower one.",
  AUDIT_CHAIN_BROKEN: "The audit log was edited, truncated or reordered at the record named: keep the file as evidence and compare it with a backup; new records still chain on.",
  SECRET_NAME_INVALID: "Use a secret name of 1-128 letters, digits, _ . : -.",
  SECRET_KEY_MISSING: "Set AIOTFLOW_SECRET_KEY to the key the secrets were written with, or restore the key file named.",
  SECRET_KEY_INVALID: "The key must be 32 bytes, as 64 hex characters or base64 (`openssl rand -hex 32`).",
  SECRET_KEY_INSECURE: "Run the chmod given so only the owner can read the key file, then start again.",
  SECRET_DECRYPT_FAILED: "The secret was written with another key or its ciphertext was altered: restore the original key, or set the secret again.",
  // admin API (runtime/api)
  API_BODY_TOO_LARGE: "Send a smaller body (the limit is in the message); export or import one flow at a time.",
  API_BODY_MALFORMED: "Send valid UTF-8 JSON; the line and column of the first mistake are given.",
  API_BODY_INVALID: "Send the fields this route documents (GET /api/openapi.json); the path names the wrong one.",
  API_CONTENT_TYPE: "Send the body as JSON with the header `Content-Type: application/json` (curl: -H 'Content-Type: application/json').",
  API_QUERY_INVALID: "Fix the query parameter named; GET /api/openapi.json lists each route's parameters.",
  API_ROUTE_UNKNOWN: "Check the method and path; GET /api/openapi.json lists every route.",
  API_UPGRADE_REQUIRED: "Open /api/events with a WebSocket client (token in the Authorization header or ?token=).",
  API_INTERNAL: "A bug on our side: the server logged it under the id given; please report it with that id.",
  AUTH_REQUIRED: "Send `Authorization: Bearer <token>`; get a token from POST /api/auth/login or from an admin (POST /api/tokens).",
  AUTH_INVALID: "The token is unknown, revoked or its user is disabled: log in again or ask an admin for a new token.",
  AUTH_EXPIRED: "The token has expired: log in again (POST /api/auth/login) or ask an admin for a new API token.",
  AUTH_FORBIDDEN: "Your role may not do this; ask an admin for a token with the role named.",
  AUTH_LOGIN_FAILED: "Check the username and password; an admin can create a new user if the password is lost.",
  AUTH_THROTTLED: "Too many failed logins from this address or for this user: wait the seconds given in Retry-After, then try again with the right password.",
  NOT_FOUND: "Check the name or id; the matching list route (GET /api/tokens, /api/secrets, /api/catalog, /api/runtime) shows what exists.",
  ID_INVALID: "Ids in URLs are 1-128 letters, digits, _ . : - (versions: whole numbers from 1); no slashes, dots-only names or control characters.",
  FLOW_ID_MISMATCH: "Keep the document's id equal to the flow id in the URL; to copy a flow under a new id, create it with POST /api/flows.",
  ROLLBACK_UNAVAILABLE: "No other version of this flow has run successfully; deploy a version explicitly (POST /api/flows/<id>/deploy).",
  // — connections and devices (MQTT, Sparkplug B, LoRaWAN) —
  // — connections and devices (OPC UA, HTTP, replay, assets and units) —
  // — models and inference (registry, ONNX, batching) —
  // — MLOps (drift, A/B and shadow, feature store, retraining, explanations) —
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
