/**
 * The body readers on requests built in-process (an IncomingMessage over an unconnected socket, fed
 * chunk by chunk), so a test decides exactly what arrives when; one test over a real socket checks
 * that a refused body leaves the connection usable.
 */
import assert from "node:assert/strict";
import { Agent, createServer, IncomingMessage, request, type IncomingHttpHeaders } from "node:http";
import { Socket, type AddressInfo } from "node:net";
import { describe, it, type TestContext } from "node:test";
import { until } from "../../test/support/wait.ts";
import { isAiotError } from "../sdk/errors.ts";
import { statusOf } from "./http-errors.ts";
import { nestingDepth, readBinaryBody, readJsonBody } from "./json-body.ts";

const JSON_TYPE = { "content-type": "application/json" };
const OCTETS = ["application/octet-stream"];

/** A request with `headers` whose body the test pushes (`send`) and ends (`end`) when it likes. */
function incoming(headers: IncomingHttpHeaders) {
  const socket = new Socket();
  const req = new IncomingMessage(socket);
  req.headers = headers;
  return {
    req,
    socket,
    send: (...chunks: Array<string | Uint8Array>) => chunks.forEach((chunk) => req.push(typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk))),
    end: () => void req.push(null),
  };
}

/** A request carrying `body` whole, declared with Content-Length, plus `headers`. */
function withBody(body: string | Uint8Array, headers: IncomingHttpHeaders = JSON_TYPE) {
  const bytes = typeof body === "string" ? Buffer.from(body) : Buffer.from(body);
  const sent = incoming({ "content-length": String(bytes.length), ...headers });
  sent.send(bytes);
  sent.end();
  return sent.req;
}

/** The coded refusal `promise` rejects with, as [status, code, message]. */
async function refusal(promise: Promise<unknown>): Promise<[number, string, string]> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isAiotError(error), `a coded error, not ${String(error)}`);
    return [statusOf(error), error.code, error.message];
  }
  assert.fail("the body was accepted");
}

describe("readJsonBody", () => {
  it("parses a JSON body, also one that trickles in over many chunks with a character split between two", async () => {
    const { req, send, end } = incoming({ ...JSON_TYPE, "transfer-encoding": "chunked" });
    const read = readJsonBody(req, 1024);
    const bytes = Buffer.from('{"site": "Köln", "values": [1, 2]}');
    const split = bytes.indexOf(0xc3) + 1; // between the two bytes of "ö"
    for (const chunk of [bytes.subarray(0, split), bytes.subarray(split, split + 3), bytes.subarray(split + 3)]) {
      send(chunk);
      await new Promise((resolve) => setImmediate(resolve));
    }
    end();
    assert.deepEqual(await read, { text: bytes.toString("utf8"), value: { site: "Köln", values: [1, 2] } });
  });

  it("answers undefined for a request without a body (no Content-Length, or 0)", async () => {
    assert.equal(await readJsonBody(incoming(JSON_TYPE).req, 1024), undefined);
    assert.equal(await readJsonBody(withBody(""), 1024), undefined);
  });

  const accepted = ["application/json", "application/json; charset=utf-8", "Application/JSON", "application/merge-patch+json", "application/vnd.api+json;v=1"];
  for (const type of accepted) {
    it(`accepts Content-Type ${type}`, async () => {
      assert.deepEqual((await readJsonBody(withBody("[1]", { "content-type": type }), 1024))?.value, [1]);
    });
  }

  const wrongTypes: Array<[string | undefined, RegExp]> = [
    [undefined, /not untyped$/],
    ["text/plain", /not "text\/plain"$/],
    ["application/x-www-form-urlencoded", /x-www-form-urlencoded/],
    ["multipart/form-data; boundary=x", /multipart/],
    ["application/jsonp", /jsonp/],
    ["application/json-seq", /json-seq/],
  ];
  for (const [type, message] of wrongTypes) {
    it(`refuses Content-Type ${type ?? "(none)"} with 415 API_CONTENT_TYPE, before reading the body`, async () => {
      const [status, code, text] = await refusal(readJsonBody(withBody("{}", type === undefined ? {} : { "content-type": type }), 1024));
      assert.deepEqual([status, code], [415, "API_CONTENT_TYPE"]);
      assert.match(text, message);
    });
  }

  it("refuses a compressed body with 415, but takes Content-Encoding identity", async () => {
    for (const encoding of ["gzip", "br", "deflate, gzip"]) {
      const [status, code, message] = await refusal(readJsonBody(withBody("{}", { ...JSON_TYPE, "content-encoding": encoding }), 1024));
      assert.deepEqual([status, code], [415, "API_CONTENT_TYPE"], encoding);
      assert.match(message, new RegExp(`Content-Encoding: ${encoding}`));
    }
    assert.deepEqual((await readJsonBody(withBody("{}", { ...JSON_TYPE, "content-encoding": "IDENTITY" }), 1024))?.value, {});
  });

  it("takes a body of exactly the limit, and refuses one byte more with 413 naming the limit", async () => {
    const body = JSON.stringify("x".repeat(98)); // 100 bytes
    assert.equal((await readJsonBody(withBody(body), 100))?.text, body);
    const [status, code, message] = await refusal(readJsonBody(withBody(`${body} `), 100));
    assert.deepEqual([status, code, message], [413, "API_BODY_TOO_LARGE", "the body has 101 bytes; more than the limit of 100 bytes"]);
  });

  it("refuses a declared oversize body at once, without waiting for a byte of it", async () => {
    const { req } = incoming({ ...JSON_TYPE, "content-length": String(10 * 1024 * 1024) });
    const [status, , message] = await refusal(readJsonBody(req, 1024));
    assert.equal(status, 413);
    assert.match(message, /10485760 bytes/);
  });

  it("refuses a streamed body as soon as it passes the limit, while the client is still sending (memory stays bounded)", async () => {
    const { req, send } = incoming({ ...JSON_TYPE, "transfer-encoding": "chunked" });
    const read = readJsonBody(req, 1024);
    send("[", "1,".repeat(400));
    send("1,".repeat(200)); // past 1024 bytes; the body never ends
    const [status, code, message] = await refusal(read);
    assert.deepEqual([status, code, message], [413, "API_BODY_TOO_LARGE", "the body is larger than the limit of 1024 bytes"]);
  });

  it("reads on past a refusal so the client sees the answer, and cuts a client that keeps sending past 16 times the limit", async (t: TestContext) => {
    const { req, socket, send } = incoming({ ...JSON_TYPE, "transfer-encoding": "chunked" });
    const destroy = t.mock.method(socket, "destroy");
    const read = readJsonBody(req, 1024);
    send("x".repeat(2048));
    assert.equal((await refusal(read))[0], 413);
    for (let i = 0; i < 15; i++) send("y".repeat(1024));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(destroy.mock.callCount(), 0, "15 KiB more are read and dropped");
    for (let i = 0; i < 3; i++) send("y".repeat(1024));
    await until(() => destroy.mock.callCount() > 0, "the socket to be cut");
  });

  it("cuts a client that sends far more than the limit with a body of the wrong type", async (t: TestContext) => {
    const { req, socket, send } = incoming({ "content-type": "text/plain", "transfer-encoding": "chunked" });
    const destroy = t.mock.method(socket, "destroy");
    assert.equal((await refusal(readJsonBody(req, 100)))[0], 415);
    send("z".repeat(1601));
    await until(() => destroy.mock.callCount() > 0, "the socket to be cut");
  });

  it("refuses a body that ends early (the client went away) with 400 API_BODY_MALFORMED", async () => {
    const { req, send } = incoming({ ...JSON_TYPE, "content-length": "100" });
    const read = readJsonBody(req, 1024);
    send('{"a":');
    req.destroy();
    assert.deepEqual(await refusal(read), [400, "API_BODY_MALFORMED", "the request body ended early"]);
  });

  const brokenUtf8: Array<[string, number[]]> = [
    ["a byte that never starts a character", [0x7b, 0x22, 0xff, 0x22, 0x7d]],
    ["a truncated two-byte character", [0x22, 0xc3, 0x22]],
    ["an overlong encoding of NUL", [0x22, 0xc0, 0x80, 0x22]],
    ["an encoded UTF-16 surrogate", [0x22, 0xed, 0xa0, 0x80, 0x22]],
  ];
  for (const [what, bytes] of brokenUtf8) {
    it(`refuses ${what} with 400: the body is not valid UTF-8`, async () => {
      assert.deepEqual(await refusal(readJsonBody(withBody(new Uint8Array(bytes)), 1024)), [400, "API_BODY_MALFORMED", "the body is not valid UTF-8"]);
    });
  }

  it("takes a UTF-8 byte-order mark before the JSON", async () => {
    assert.deepEqual((await readJsonBody(withBody(new Uint8Array([0xef, 0xbb, 0xbf, ...Buffer.from('{"a":1}')])), 1024))?.value, { a: 1 });
  });

  const malformed: Array<[string, string, string]> = [
    ['{\n  "document": {"id": "a",}\n}', `invalid JSON: property name expected at "}" (body:2:26)`, "body:2:26"],
    ["{'a': 1}", `invalid JSON: invalid symbol at "'a'" (body:1:2)`, "body:1:2"],
    ['{"a": 1} // note', `invalid JSON: invalid comment token at "// note" (body:1:10)`, "body:1:10"],
    ['{"a": 1}}', `invalid JSON: end of file expected at "}" (body:1:9)`, "body:1:9"],
    ["[NaN]", `invalid JSON: invalid symbol at "NaN" (body:1:2)`, "body:1:2"],
  ];
  for (const [body, message, location] of malformed) {
    it(`says where ${JSON.stringify(body)} goes wrong: ${location}`, async () => {
      const read = readJsonBody(withBody(body), 1024);
      await assert.rejects(read, { code: "API_BODY_MALFORMED", message, details: { location } });
    });
  }

  it("refuses an empty chunked body as malformed JSON", async () => {
    const { req, end } = incoming({ ...JSON_TYPE, "transfer-encoding": "chunked" });
    const read = readJsonBody(req, 1024);
    end();
    assert.deepEqual(await refusal(read), [400, "API_BODY_MALFORMED", "invalid JSON: value expected at end of file (body:1:1)"]);
  });

  it("takes nesting 64 levels deep and refuses 65 before parsing", async () => {
    const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
    assert.ok(await readJsonBody(withBody(nested(64)), 1024));
    assert.deepEqual(await refusal(readJsonBody(withBody(nested(65)), 1024)), [400, "API_BODY_MALFORMED", "the body nests 65 levels deep; at most 64 are accepted"]);
  });
});

describe("a refused body over a real connection", () => {
  it("is answered, and the kept-alive connection serves the next request", async () => {
    const server = createServer((req, res) => {
      readJsonBody(req, 64).then(
        (body) => res.writeHead(200).end(JSON.stringify(body?.value ?? null)),
        (error: unknown) => res.writeHead(isAiotError(error) ? statusOf(error) : 500).end(),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const post = (body: string, type: string) =>
      new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
        const req = request({ agent, host: "127.0.0.1", port: (server.address() as AddressInfo).port, method: "POST", headers: { "content-type": type } }, (res) => {
          res.resume();
          res.on("end", () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
        });
        req.on("error", reject);
        req.end(body);
      });
    try {
      assert.deepEqual(await post("a=1&b=2", "application/x-www-form-urlencoded"), { status: 415, reused: false });
      assert.deepEqual(await post("x".repeat(100), "application/json"), { status: 413, reused: true });
      assert.deepEqual(await post("[1]", "application/json"), { status: 200, reused: true });
    } finally {
      agent.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("readBinaryBody", () => {
  it("answers the bytes of a body of an accepted type, whatever the case or parameters of the type", async () => {
    for (const type of ["application/octet-stream", "Application/Octet-Stream; name=model.onnx"]) {
      assert.deepEqual(await readBinaryBody(withBody(new Uint8Array([0, 1, 255]), { "content-type": type }), OCTETS, 16), Buffer.from([0, 1, 255]));
    }
  });

  it("refuses another type or none with 415 naming the accepted ones, and a compressed body", async () => {
    const cases: Array<[IncomingHttpHeaders, RegExp]> = [
      [{ "content-type": "application/json" }, /sent as application\/octet-stream or application\/x-onnx, not "application\/json"/],
      [{}, /not untyped/],
      [{ "content-type": "application/octet-stream", "content-encoding": "gzip" }, /Content-Encoding: gzip/],
    ];
    for (const [headers, message] of cases) {
      const [status, code, text] = await refusal(readBinaryBody(withBody("abc", headers), [...OCTETS, "application/x-onnx"], 16));
      assert.deepEqual([status, code], [415, "API_CONTENT_TYPE"]);
      assert.match(text, message);
    }
  });

  it("refuses a request without a body with 400 API_BODY_INVALID at body", async () => {
    const read = readBinaryBody(incoming({ "content-type": "application/octet-stream" }).req, OCTETS, 16);
    await assert.rejects(read, { code: "API_BODY_INVALID", details: { path: "body" } });
  });

  it("refuses a file over its limit with 413", async () => {
    assert.deepEqual((await refusal(readBinaryBody(withBody(new Uint8Array(17), { "content-type": "application/octet-stream" }), OCTETS, 16))).slice(0, 2), [413, "API_BODY_TOO_LARGE"]);
  });
});

describe("nestingDepth", () => {
  const cases: Array<[string, number]> = [
    ["1", 0],
    ["[[[]]]", 3],
    ['{"a":[1,{"b":"[[[{"}]}', 3],
    ['"\\"[["', 0],
    ['["\\\\", [1]]', 2],
    ["[][][]", 1],
    ["]]][[", 0],
  ];
  for (const [text, depth] of cases) {
    it(`counts ${depth} for ${text}: brackets outside strings only`, () => assert.equal(nestingDepth(text), depth));
  }
});
