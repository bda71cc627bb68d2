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
  CATALOG_INVALID: "A file under nodes/<family>/ must default-export one defineNode whose type equals its file or folder name (<type>.ts or <type>/index.ts); move helpers into the node's folder or nodes/lib/<topic>/.",
  NODE_DEFINITION_INVALID: "Fix the node's defineNode call at the field named: give every port a kind from runtime/contract/ports.ts (PORT_KINDS), leave the `error` output out (every node has it), and write orderBy as \"key\" or not at all.",
  FLOW_UNKNOWN_NODE_TYPE: "Use a type listed by `aiotflow nodes`.",
  FLOW_DUPLICATE_ID: "Give every node and edge its own id.",
  FLOW_EDGE_UNKNOWN_NODE: "Point the edge at an existing node id.",
  FLOW_EDGE_UNKNOWN_PORT: "Use a port the node declares (see `aiotflow nodes`).",
  FLOW_EDGE_KIND_MISMATCH: "Wire outputs only to inputs whose payload kind fits (the same kind, `any`, or a reading into features); put the converting node the message names between them.",
  FLOW_CYCLE: "Break the loop, or pass it through a loop-safe node: to re-send what failed, wire the failing node's error port to a `retry` node's `retry` input (it stops after maxAttempts); to slow a loop down, put a `delay` (fixed delay or rate limit) in it.",
  FLOW_DUPLICATE_EDGE: "Delete the repeated edge: two edges between the same output and input would deliver every message twice.",
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
  MESSAGE_MUTATED: "Build a new message instead of changing the one received, e.g. `ctx.emit(\"out\", { ...msg, payload: { ...msg.payload, x } })`: one message object goes to every node wired to the same output, so a change would reach them too.",
  FLOW_HOP_LIMIT: "A message went round a loop more often than the flow's settings.maxHops allows and was dropped: make a node on the loop stop passing it on (a condition, a gate, a retry limit), or raise settings.maxHops if it really needs that many rounds.",
  REDEPLOY_BUFFER_FULL: "A source kept sending while the flow was being redeployed and the parking buffer was full, so those messages were dropped (counted as dropped_during_redeploy): make the source wait when emit returns false (await ctx.writable()), or give the engine a larger redeploy buffer.",
  DRAIN_TIMEOUT: "The flow did not drain within the drain timeout, so the messages still queued were dropped (counted per node): find the slow node in the summary, raise its concurrency, or give a longer drain timeout (aiotflow run --drain-timeout <s>).",
  HOOK_FAILED: "A routing-hook listener (a plugin, tracer or debug tap) threw; the flow went on and further failures of that listener are only counted (engine.hooks.failures): fix or remove the listener.",
  STATE_SNAPSHOT_INVALID: "Delete or repair the snapshot file named; the flow starts with empty state until then.",
  FLOW_INVALID: "The flow has the problems listed; fix them (aiotflow validate shows each with its line) and deploy again.",
  DEPLOY_FAILED: "The new version did not start: fix its cause and deploy again. A version that was running before keeps running; if none was, the flow stays stopped.",
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
  CONNECTION_TYPE_UNKNOWN: "Use a connection type the runtime knows (GET /api/connections/types lists them), e.g. mqtt-broker.",
  CONNECTION_CONFIG_INVALID: "Correct the connection's config field named; GET /api/connections/types documents every field.",
  CONNECTION_TYPE_MISMATCH: "Point the field at a connection of the type it needs, or change that connection's type.",
  CONNECTION_TYPE_INVALID: "A file under runtime/connections/types/ must default-export one defineConnection whose type equals its file name (<type>.ts), and each connection type may be defined only once.",
  CONNECTION_FAILED: "The connection could not be opened; check the address and that the server is running. The runtime keeps retrying.",
  CONNECTION_REFUSED: "Nothing accepts connections at that address: check host and port, and that the broker or server is running.",
  CONNECTION_LOST: "The link broke; the runtime reconnects with backoff. Check the network and the server's logs if it keeps happening.",
  CONNECTION_TIMEOUT: "The server did not answer in time: check the address, firewalls and that TLS/plain matches the port.",
  CONNECTION_AUTH_FAILED: "The server refused the credentials: fix the user name, or the password / token / API-key secret (PUT /api/secrets/<name>), or grant that user access on the server (broker ACL, OPC UA user rights, API key scope).",
  CONNECTION_TLS_FAILED: "TLS failed: check the CA certificate, the client certificate and key (paths or secrets), and that the server name matches its certificate.",
  CONNECTION_FILE_UNREADABLE: "Make the certificate or key file named readable by the user running aiotflow, or give it as a secret.",
  MQTT_PAYLOAD_INVALID: "The payload does not match the node's format (e.g. not JSON, not a number); fix the publisher or choose the right format.",
  MQTT_TOPIC_TEMPLATE_INVALID: "Write the template as topic levels with {name} placeholders, e.g. plant/{site}/pump/{id}/{signal}; {name} must fill a whole level.",
  MQTT_SUBSCRIBE_REFUSED: "The broker refused the subscription: allow this user to subscribe to the filter named in the broker's ACL, or subscribe to a filter it allows.",
  MQTT_PUBLISH_FAILED: "The broker did not accept the publish; the message stays in the store-and-forward buffer and is retried after reconnect.",
  SPARKPLUG_DECODE_FAILED: "The payload is not a Sparkplug B protobuf; check the publisher and that the topic is spBv1.0/<group>/<type>/<node>[/<device>].",
  SPARKPLUG_ALIAS_UNKNOWN: "A DATA message used a metric alias no BIRTH defined; the edge node should publish its BIRTH again (send an NCMD Rebirth).",
  SPARKPLUG_SEQ_GAP: "An edge node's message carried another seq than the one after its last (0-255, wrapping): messages were lost or reordered between it and the broker. Check its link and QoS; set requestRebirth on mqtt-in (with publish rights on spBv1.0/<group>/NCMD/<node>) to have it send its BIRTH again.",
  LORAWAN_UPLINK_INVALID: "The uplink is not The Things Stack v3 or ChirpStack v4 JSON; check the network server's MQTT integration and the node's format.",
  LORAWAN_DECODE_FAILED: "The frame could not be decoded with the node's decoder: check the codec fields against the device's payload format.",
  LORAWAN_EVENT_INVALID: "A ChirpStack v4 event (status, join, ack, txack, log, location, integration) has a field of the wrong type or lacks one it needs: check the network server's version and that its MQTT integration uses the JSON marshaler.",
  LORAWAN_BATCH_TOO_LARGE: "The message held more uplinks than the node's maxBatch; the first maxBatch were read and the rest dropped: raise maxBatch, or ask the storage integration for fewer at a time (its limit parameter).",
  BUFFER_OVERFLOW: "The store-and-forward buffer is full and dropped its oldest messages; raise its size or fix the outage sooner.",
  BUFFER_EXPIRED: "Buffered messages older than the buffer's age limit were dropped; raise maxAgeMs if they are still useful that late.",
  BUFFER_UNREADABLE: "The buffer file named is damaged; the readable records were kept. Delete the file to start empty.",
  // — connections and devices (OPC UA, HTTP, replay, assets and units) —
  REPLAY_FILE_NOT_FOUND: "Check the replay file's path (relative paths start at the directory aiotflow was started in) and that it is readable.",
  REPLAY_ROW_MALFORMED: "Fix the row at the line given (column count, quoting, JSON syntax or timestamp); the replay skipped it and went on.",
  HTTP_DELIVERY_FAILED: "The receiver is unreachable or answered 408/425/429/5xx; messages stay in the store-and-forward buffer and are retried with backoff: check the URL, the network and the receiver's logs, or raise timeoutMs if it is only slow.",
  HTTP_DELIVERY_REJECTED: "The receiver refused this message with a status retrying cannot fix (400 body, 401/403 token, 404 URL, 413 size, 422): fix the body, the auth secret or the URL; the message was not retried.",
  ASSET_NOT_FOUND: "Check the asset id (`GET /api/assets` lists them) or register it with PUT /api/assets/<id>.",
  ASSET_INVALID: "Give the asset an id of 1-128 letters, digits, _ . : -, and each signal a name, a unit convert-units knows, and min <= max.",
  SIGNAL_NOT_FOUND: "Use a signal the asset declares (GET /api/assets/<id>) or add it to the asset.",
  UNIT_UNKNOWN: "Use a unit symbol convert-units knows (e.g. C, F, K, bar, Pa, psi, mm/s, rpm); the closest match is suggested.",
  UNIT_INCOMPATIBLE: "Convert only between units of the same measure (temperature to temperature, pressure to pressure).",
  OPCUA_CERTIFICATE_REJECTED: "A certificate was not trusted: trust the server's certificate (copy it into <pkiDir>/trusted/certs, or set trustServerCertificate for a first connect) and trust aiotflow's certificate (<pkiDir>/own/certs) on the server.",
  OPCUA_DEADBAND_UNSUPPORTED: "A percent deadband is a percentage of the variable's EURange, and this variable has none (it is not an AnalogItem): use an absolute deadband, or none, for this item.",
  OPCUA_NODE_NOT_FOUND: "Check the NodeId or browse path (browse the server with an OPC UA client such as UaExpert); namespace indexes can differ between servers.",
  OPCUA_WRITE_REFUSED: "The server refused the write: check that the variable is writable for this user (AccessLevel) and that the value fits its data type and range.",
  HTTP_TOKEN_INVALID: "Send the webhook's token as `Authorization: Bearer <token>` (or header X-Aiotflow-Token); the token is the secret the http-in node names.",
  HTTP_BODY_INVALID: "Send a JSON object (or an array of objects) with the fields the http-in node documents, as Content-Type application/json.",
  HTTP_BUSY: "The flow behind this webhook is saturated: retry after the seconds given in Retry-After, or slow the sender down.",
  // — models and inference (registry, ONNX, batching) —
  MODEL_NOT_ONNX: "Register an ONNX model file (.onnx, a serialized ModelProto with a graph, inputs and outputs); export PyTorch/sklearn models to ONNX first.",
  MODEL_FILE_UNREADABLE: "Check the model file's path (relative paths start at the current directory) and that the user running aiotflow can read it.",
  MODEL_INVALID: "Fix the registration field named (model name 1-128 letters, digits, _ . : -; one feature name per model input column).",
  MODEL_NOT_FOUND: "Check the model name and version or stage (`aiotflow models list`, GET /api/models); promote a version to the stage first.",
  MODEL_HASH_MISMATCH: "The model file changed on disk after registration: restore it from a backup or register the model again; the running version keeps serving.",
  MODEL_STAGE_INVALID: "Use the stage candidate, production or archived.",
  MODEL_EVALUATION_FAILED: "This version failed its evaluation (metrics.evaluation.passed is false); train and register a better candidate instead of promoting it.",
  MODEL_INPUT_MISMATCH: "Make the node's features match the model's inputs (same names and count as registered), or pick the model version built for this flow.",
  MODEL_FEATURE_INVALID: "Send every feature the model needs as a finite number; drop or clamp bad values upstream (range-check), fill or compute them (map), or feed window statistics (sliding-window, tumbling-window).",
  MODEL_RUN_FAILED: "The model failed on this batch (onnxruntime error in the message); check the model with `aiotflow models show` and the inputs the flow sends.",
  ONNX_EXPORT_INVALID: "The weights given to the ONNX exporter do not fit together at the place named: give at least one feature name and one layer, one bias per weight row, rows as wide as the layer's input, finite numbers only, and one outputMeaning entry per output.",
  // — MLOps (drift, A/B and shadow, feature store, retraining, explanations) —
  DRIFT_REFERENCE_MISSING: "Give the drift monitor reference statistics for every feature it checks: register the model with reference statistics for that feature, add it to the inline reference, or drop it from `features`.",
  DRIFT_REFERENCE_INVALID: "Make each reference histogram { edges, proportions } with edges ascending, one more edge than bins, and proportions >= 0 summing to 1.",
  FEEDBACK_UNKNOWN_PREDICTION: "Send a label only for a prediction the monitor saw (same key and ts, or id) and within its retention; check the join fields and that predictions reach the monitor first.",
  FEATURE_STORE_UNREADABLE: "The feature store file is not an SQLite database or cannot be opened: move it aside (it is not deleted for you) or point the runtime at another data directory.",
  TRAINING_SET_EMPTY: "Record more feature vectors (with labels for supervised models) in the feature store before training, or widen the time range.",
  TRAINING_SET_INVALID: "Every training row needs the same finite features (and a finite label for supervised models); fix or filter the rows named.",
  RETRAIN_FAILED: "The retraining run stopped at the step named; the production model keeps serving. Fix the cause and trigger it again (POST /api/retrain).",
  RETRAIN_WEBHOOK_FAILED: "The external trainer did not answer with a model: check the webhook URL, its logs and that it replies 200 with { \"onnxBase64\": \"<the ONNX file, base64>\" } within timeoutMs.",
  VARIANTS_NODE_NOT_RUNNING: "The variants report reads a running onnx-inference node: deploy the flow (POST /api/flows/<id>/deploy) and check the node id and type (GET /api/runtime lists running flows and their nodes).",
  // — serve (ports, shutdown) —
  SERVE_PORT_IN_USE: "Another program (often another aiotflow, Node-RED or Mosquitto) has the port named: stop it, or choose another port: `npm start -- --port 18080` for the editor/API, `--mqtt-port 11883` for the embedded MQTT broker, or `--no-mqtt` to run without the embedded broker (flows can use the broker already on that port).",
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
