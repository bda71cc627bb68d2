import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import express from "express";
import type { Logger } from "../sdk/define.ts";
import { AiotError, type ErrorCode } from "../sdk/errors.ts";
import { answerUnhandledAsJson, ApiError, errorBody, errorExit, routeUnknown, sendError, statusOf, toAiotError } from "./http-errors.ts";

/** A logger that keeps what was logged at error level. */
function recordingLogger(): Logger & { readonly errors: Array<{ message: string; fields: Record<string, unknown> | undefined }> } {
  const errors: Array<{ message: string; fields: Record<string, unknown> | undefined }> = [];
  return { errors, debug() {}, info() {}, warn() {}, error: (message, fields) => void errors.push({ message, fields }) };
}

/** Serves `app` on a free loopback port for the length of `use`. */
async function withServer(app: express.Express, use: (url: string) => Promise<void>): Promise<void> {
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    await use(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe("statusOf", () => {
  const cases: Array<[ErrorCode, number]> = [
    ["API_BODY_TOO_LARGE", 413],
    ["API_CONTENT_TYPE", 415],
    ["API_UPGRADE_REQUIRED", 426],
    ["AUTH_REQUIRED", 401],
    ["AUTH_FORBIDDEN", 403],
    ["AUTH_THROTTLED", 429],
    ["FLOW_NOT_FOUND", 404],
    ["VERSION_CONFLICT", 409],
    ["FLOW_INVALID", 422],
    ["STORE_WRITE_FAILED", 503],
    // A code the table does not know is a failure on our side until proven otherwise.
    ["NODE_CONFIG_INVALID", 500],
  ];
  for (const [code, status] of cases) {
    it(`answers ${code} with ${status}, whether raised by a store or by a route`, () => {
      assert.equal(statusOf(new AiotError(code, "x")), status);
      assert.equal(statusOf(new ApiError(code, "x")), status);
    });
  }

  it("lets an ApiError carry a status its code alone does not decide", () => {
    const error = new ApiError("DEPLOY_FAILED", "node gate-1 failed to start", {}, 422);
    assert.equal(statusOf(error), 422);
    assert.equal(statusOf(new ApiError("DEPLOY_FAILED", "crashed")), 500);
  });
});

describe("errorBody", () => {
  it("answers code, message and hint from the catalogue, then the details", () => {
    const body = errorBody(new ApiError("FLOW_NOT_FOUND", 'no flow "x"', { flowId: "x", path: "id" }));
    assert.deepEqual(Object.keys(body.error).slice(0, 3), ["code", "message", "hint"]);
    assert.deepEqual({ ...body.error, hint: typeof body.error["hint"] }, { code: "FLOW_NOT_FOUND", message: 'no flow "x"', hint: "string", flowId: "x", path: "id" });
  });
});

describe("toAiotError", () => {
  it("passes an AiotError through as it is, logging nothing", () => {
    const logger = recordingLogger();
    const error = new AiotError("FLOW_EXISTS", "taken");
    assert.equal(toAiotError(error, logger, "POST /api/flows"), error);
    assert.deepEqual(logger.errors, []);
  });

  it("turns broken percent-encoding in a path (URIError, or express's 400) into 400 ID_INVALID", () => {
    const routerError = Object.assign(new Error("Failed to decode param"), { status: 400 });
    for (const thrown of [new URIError("URI malformed"), routerError]) {
      const error = toAiotError(thrown, undefined, "GET /api/flows/%E0");
      assert.deepEqual([error.code, statusOf(error)], ["ID_INVALID", 400]);
    }
  });

  it("answers anything else as 500 API_INTERNAL with an id, logging the stack under that id and never answering it", () => {
    const thrown: unknown[] = [new TypeError("cannot read x of undefined"), "a thrown string", { weird: true }, undefined];
    for (const value of thrown) {
      const logger = recordingLogger();
      const error = toAiotError(value, logger, "GET /api/flows");
      assert.equal(error.code, "API_INTERNAL");
      assert.equal(statusOf(error), 500);
      const id = error.details["errorId"];
      assert.match(String(id), /^[0-9a-f-]{36}$/);
      assert.equal(error.message, `internal error (logged as ${id})`);
      assert.deepEqual(logger.errors.map((e) => [e.message, e.fields?.["errorId"]]), [["internal error in GET /api/flows", id]]);
      assert.doesNotMatch(JSON.stringify(errorBody(error)), /cannot read|thrown string|weird/);
    }
    const logger = recordingLogger();
    toAiotError(new TypeError("cannot read x of undefined"), logger, "GET /x");
    assert.match(String(logger.errors[0]?.fields?.["stack"]), /TypeError: cannot read x of undefined\n\s+at /);
  });

  it("gives every internal error its own id", () => {
    const ids = new Set(Array.from({ length: 5 }, () => toAiotError(new Error("bug"), undefined, "x").details["errorId"]));
    assert.equal(ids.size, 5);
  });
});

describe("the error exit of an express app", () => {
  /** An app whose routes fail in the ways the API's can, ended by errorExit and answerUnhandledAsJson. */
  function failingApp(logger: Logger) {
    const app = express();
    const router = express.Router();
    router.get("/api/throttled", () => {
      throw new ApiError("AUTH_THROTTLED", "too many failed logins", { retryAfterSeconds: 42 });
    });
    router.get("/api/bug", async () => {
      throw new Error("disk on fire");
    });
    router.get("/api/half-sent", (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("partial");
      throw new ApiError("STORE_WRITE_FAILED", "late failure");
    });
    router.use("/api", routeUnknown);
    router.use(errorExit(logger));
    app.use(router);
    app.get("/static-bug", () => {
      throw new Error("past the router");
    });
    answerUnhandledAsJson(app as unknown as Parameters<typeof answerUnhandledAsJson>[0], logger);
    return app;
  }

  it("answers a coded error with its status, JSON body, no-store and Retry-After when it says when to retry", async () => {
    await withServer(failingApp(recordingLogger()), async (url) => {
      const response = await fetch(`${url}/api/throttled`);
      assert.equal(response.status, 429);
      assert.equal(response.headers.get("retry-after"), "42");
      assert.equal(response.headers.get("cache-control"), "no-store");
      const body = (await response.json()) as { error: Record<string, unknown> };
      assert.deepEqual([body.error["code"], body.error["retryAfterSeconds"]], ["AUTH_THROTTLED", 42]);
    });
  });

  it("answers an async handler's bug with 500 API_INTERNAL and logs it with the request's method and path", async () => {
    const logger = recordingLogger();
    await withServer(failingApp(logger), async (url) => {
      const response = await fetch(`${url}/api/bug?secret=1`);
      const text = await response.text();
      assert.equal(response.status, 500);
      assert.doesNotMatch(text, /disk on fire/);
      assert.equal(logger.errors[0]?.message, "internal error in GET /api/bug");
    });
  });

  it("cuts the connection when the answer had already begun: the client sees a broken response, not a spliced one", async () => {
    await withServer(failingApp(recordingLogger()), async (url) => {
      await assert.rejects(async () => (await fetch(`${url}/api/half-sent`)).text());
    });
  });

  it("answers unknown paths under /api and elsewhere, and any method, with JSON 404 API_ROUTE_UNKNOWN without the query", async () => {
    await withServer(failingApp(recordingLogger()), async (url) => {
      for (const [method, path, named] of [["GET", "/api/nope?token=abc", "GET /api/nope"], ["DELETE", "/elsewhere?x=1", "DELETE /elsewhere"], ["PATCH", "/", "PATCH /"]] as const) {
        const response = await fetch(`${url}${path}`, { method });
        assert.equal(response.status, 404, path);
        assert.match(response.headers.get("content-type") ?? "", /application\/json/);
        const body = (await response.json()) as { error: { code: string; message: string } };
        assert.deepEqual([body.error.code, body.error.message], ["API_ROUTE_UNKNOWN", `no route ${named}`]);
      }
    });
  });

  it("answers an error raised past the API's router as JSON too, never express's HTML page", async () => {
    const logger = recordingLogger();
    await withServer(failingApp(logger), async (url) => {
      const response = await fetch(`${url}/static-bug`);
      assert.equal(response.status, 500);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, "API_INTERNAL");
      assert.equal(logger.errors[0]?.message, "internal error in GET /static-bug");
    });
  });

  it("bounds the path it echoes in a 404 to 200 characters", async () => {
    await withServer(failingApp(recordingLogger()), async (url) => {
      const response = await fetch(`${url}/${"x".repeat(5000)}`);
      const body = (await response.json()) as { error: { message: string } };
      assert.equal(body.error.message, `no route GET /${"x".repeat(199)}`);
    });
  });
});

describe("sendError", () => {
  it("sends no Retry-After when the error does not say when to retry", async () => {
    const app = express();
    app.get("/", (_req, res) => sendError(res, new ApiError("FLOW_NOT_FOUND", "gone")));
    await withServer(app, async (url) => {
      const response = await fetch(url);
      assert.equal(response.status, 404);
      assert.equal(response.headers.get("retry-after"), null);
    });
  });
});
