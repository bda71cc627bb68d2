import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { splitBody, type Split } from "./batch.ts";

const up = (device: string) => ({ end_device_ids: { device_id: device }, received_at: "2026-01-01T00:00:01Z", uplink_message: { f_port: 2, frm_payload: "CUQq" } });
const lines = (...items: unknown[]) => items.map((item) => (typeof item === "string" ? item : JSON.stringify(item))).join("\n");

describe("splitBody", () => {
  const cases: Array<[string, string, number, Split]> = [
    ["a lone document, without an index", JSON.stringify(up("a")), 10, { elements: [{ json: up("a") }], dropped: 0 }],
    ["a JSON array, one indexed document per element", JSON.stringify([up("a"), 7, up("b")]), 10, { elements: [{ index: 0, json: up("a") }, { index: 1, json: 7 }, { index: 2, json: up("b") }], dropped: 0 }],
    ["an empty array, as nothing", "[]", 10, { elements: [], dropped: 0 }],
    ["an array of storage results, unwrapped", JSON.stringify([{ result: up("a") }]), 10, { elements: [{ index: 0, json: up("a") }], dropped: 0 }],
    ["a lone storage result, unwrapped", JSON.stringify({ result: up("a") }), 10, { elements: [{ json: up("a") }], dropped: 0 }],
    ["the storage integration's JSON lines", lines({ result: up("a") }, "", { result: up("b") }) + "\n", 10, { elements: [{ index: 0, json: up("a") }, { index: 1, json: up("b") }], dropped: 0 }],
    ["CRLF lines", lines({ result: up("a") }, { result: up("b") }).replace("\n", "\r\n"), 10, { elements: [{ index: 0, json: up("a") }, { index: 1, json: up("b") }], dropped: 0 }],
    ["a broken line among good ones, as a problem at its place", lines({ result: up("a") }, '{"result": {', { result: up("b") }), 10,
      { elements: [{ index: 0, json: up("a") }, { index: 1, problem: "not JSON (…)" }, { index: 2, json: up("b") }], dropped: 0 }],
    ["an error line of the storage integration, as a problem", lines({ result: up("a") }, { error: { grpc_code: 4, http_code: 504, message: "deadline exceeded" } }), 10,
      { elements: [{ index: 0, json: up("a") }, { index: 1, problem: "the storage integration answered an error: deadline exceeded" }], dropped: 0 }],
    ["an array past the cap, counting what it drops", JSON.stringify([up("a"), up("b"), up("c"), up("d"), up("e")]), 3, { elements: [{ index: 0, json: up("a") }, { index: 1, json: up("b") }, { index: 2, json: up("c") }], dropped: 2 }],
    ["lines past the cap, counting what it drops", lines({ result: up("a") }, { result: up("b") }, "not read"), 1, { elements: [{ index: 0, json: up("a") }], dropped: 2 }],
    ["one line that is not JSON, as one problem", "not json", 10, { elements: [{ problem: "not JSON (…)" }], dropped: 0 }],
    ["an object with other keys than result, as it is", JSON.stringify({ result: 1, more: 2 }), 10, { elements: [{ json: { result: 1, more: 2 } }], dropped: 0 }],
  ];
  // V8 words JSON.parse errors differently from one Node version to the next.
  const parseErrorsAlike = ({ elements, dropped }: Split): Split => ({ elements: elements.map((e) => ("problem" in e ? { ...e, problem: e.problem.replace(/^not JSON \(.*\)$/, "not JSON (…)") } : e)), dropped });
  for (const [name, body, max, expected] of cases) it(`reads ${name}`, () => assert.deepEqual(parseErrorsAlike(splitBody(body, max)), expected));
});
