/**
 * Reads a JSON request body within a byte limit. Refuses, each with its own code: bodies that are
 * not declared JSON (a browser cannot send `application/json` cross-site without a CORS preflight,
 * so this also keeps other sites' pages from driving a `--no-auth` server), compressed bodies,
 * bodies over the limit, broken UTF-8, nesting deeper than MAX_DEPTH and JSON syntax errors (with
 * line and column).
 */
import type { IncomingMessage } from "node:http";
import { parseFlowText } from "../core/validate.ts";
import { ApiError } from "./http-errors.ts";

export const DEFAULT_BODY_BYTES = 1024 * 1024;
const MAX_DEPTH = 64;
/** Past the limit the rest of a body is read and thrown away (so the client sees the 413) up to this many times the limit. */
const DISCARD_FACTOR = 16;

export interface JsonBody {
  readonly text: string;
  readonly value: unknown;
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

/** The body as JSON, or undefined when the request carries none. */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<JsonBody | undefined> {
  if (!hasBody(req)) return undefined;
  const type = req.headers["content-type"] ?? "";
  if (!/^application\/([\w.-]+\+)?json\s*(;|$)/i.test(type)) {
    discard(req, limit);
    throw new ApiError("API_CONTENT_TYPE", `the body must be JSON (Content-Type: application/json), not ${type ? `"${type}"` : "untyped"}`);
  }
  const encoding = req.headers["content-encoding"];
  if (encoding !== undefined && encoding.toLowerCase() !== "identity") {
    discard(req, limit);
    throw new ApiError("API_CONTENT_TYPE", `compressed bodies (Content-Encoding: ${encoding}) are not accepted`);
  }
  const bytes = await readLimited(req, limit);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ApiError("API_BODY_MALFORMED", "the body is not valid UTF-8");
  }
  const depth = nestingDepth(text);
  if (depth > MAX_DEPTH) throw new ApiError("API_BODY_MALFORMED", `the body nests ${depth} levels deep; at most ${MAX_DEPTH} are accepted`);
  const parsed = parseFlowText(text, "body");
  if (!parsed.ok) {
    const problem = parsed.errors[0];
    const location = String(problem?.details.file ?? "body");
    throw new ApiError("API_BODY_MALFORMED", `${problem?.message ?? "invalid JSON"} (${location})`, { location });
  }
  return { text, value: parsed.value };
}

/**
 * A binary body (an ONNX file) of one of `types`, within `limit` bytes. Only types a browser cannot
 * send cross-site without a CORS preflight belong in `types` (application/octet-stream does).
 */
export async function readBinaryBody(req: IncomingMessage, types: readonly string[], limit: number): Promise<Buffer> {
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (!types.includes(type)) {
    if (hasBody(req)) discard(req, limit);
    throw new ApiError("API_CONTENT_TYPE", `the body must be sent as ${types.join(" or ")}, not ${type ? `"${type}"` : "untyped"}`);
  }
  const encoding = req.headers["content-encoding"];
  if (encoding !== undefined && encoding.toLowerCase() !== "identity") {
    discard(req, limit);
    throw new ApiError("API_CONTENT_TYPE", `compressed bodies (Content-Encoding: ${encoding}) are not accepted`);
  }
  if (!hasBody(req)) throw new ApiError("API_BODY_INVALID", "this route needs the file as the request body", { path: "body" });
  return readLimited(req, limit);
}

function tooLarge(limit: number, size?: number): ApiError {
  const what = size === undefined ? "the body is larger than" : `the body has ${size} bytes; more than`;
  return new ApiError("API_BODY_TOO_LARGE", `${what} the limit of ${limit} bytes`, { limitBytes: limit });
}

function readLimited(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    if (declared > limit) {
      discard(req, limit);
      reject(tooLarge(limit, declared));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onFailure);
      req.off("aborted", onFailure);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      cleanup();
      discard(req, limit);
      reject(tooLarge(limit));
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onFailure = () => {
      cleanup();
      reject(new ApiError("API_BODY_MALFORMED", "the request body ended early"));
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onFailure);
    req.on("aborted", onFailure);
  });
}

/**
 * Reads and drops what is left of a refused body, so the connection stays usable and the client
 * reads our answer instead of a reset; a client that keeps sending far past the limit is cut off.
 */
function discard(req: IncomingMessage, limit: number): void {
  let dropped = 0;
  req.on("data", (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > limit * DISCARD_FACTOR) req.socket.destroy();
  });
  req.on("error", () => undefined);
  req.resume();
}

/** Deepest nesting of objects and arrays, counted on the text so a `[[[[...` bomb is refused before parsing. */
export function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}
