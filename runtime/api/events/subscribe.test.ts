import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { describe, it } from "node:test";
import type { Principal, Role } from "../../contract/access.ts";
import { ApiError } from "../http-errors.ts";
import { admitSubscriber, asRefusal, requestUrl } from "./subscribe.ts";

/** A gate that admits the token "good" and records what it was asked. */
function recordingGate() {
  const asked: Array<[Role, string, string, string | undefined]> = [];
  return {
    asked,
    async admit(_req: IncomingMessage, need: Role, action: string, target: string, token?: string): Promise<Principal> {
      asked.push([need, action, target, token]);
      if (token !== "good") throw new ApiError("AUTH_INVALID", "the token is not accepted");
      return { username: "viewer", role: "viewer" };
    },
  };
}

const request = (url: string, authorization?: string) =>
  ({ url, headers: authorization === undefined ? {} : { authorization } }) as IncomingMessage;

describe("admitting a live-event subscriber", () => {
  const cases: Array<[name: string, url: string, authorization: string | undefined, token: string | undefined, flow: string | undefined]> = [
    ["a bearer token, every flow", "/api/events", "Bearer good", "good", undefined],
    ["a token in the query (browsers)", "/api/events?token=good&flow=line-1", undefined, "good", "line-1"],
    ["the header before the query", "/api/events?token=other", "Bearer good", "good", undefined],
  ];
  for (const [name, url, authorization, token, flow] of cases) {
    it(`admits ${name} as a viewer`, async () => {
      const gate = recordingGate();
      const req = request(url, authorization);
      assert.deepEqual(await admitSubscriber(req, requestUrl(req), gate), { token, flow });
      assert.deepEqual(gate.asked, [["viewer", "events.subscribe", "events", token]]);
    });
  }

  it("refuses a caller the gate refuses, before looking at the flow", async () => {
    const gate = recordingGate();
    const req = request("/api/events?flow=..%2F");
    await assert.rejects(admitSubscriber(req, requestUrl(req), gate), { code: "AUTH_INVALID" });
    assert.deepEqual(gate.asked, [["viewer", "events.subscribe", "events", undefined]]);
  });

  it("passes a malformed Authorization header on as an empty token (the gate says why)", async () => {
    const gate = recordingGate();
    const req = request("/api/events?token=good", "Basic abc");
    await assert.rejects(admitSubscriber(req, requestUrl(req), gate), { code: "AUTH_INVALID" });
    assert.equal(gate.asked[0]?.[3], "");
  });

  for (const flow of ["..", "a/b", "../x", " "]) {
    it(`refuses ?flow=${JSON.stringify(flow)} with ID_INVALID`, async () => {
      const req = request(`/api/events?flow=${encodeURIComponent(flow)}`, "Bearer good");
      await assert.rejects(admitSubscriber(req, requestUrl(req), recordingGate()), (error: unknown) => {
        assert.ok(error instanceof ApiError);
        assert.deepEqual([error.code, error.status], ["ID_INVALID", 400]);
        return true;
      });
    });
  }

  it("answers an unexpected failure as a 500 with its message, and keeps an ApiError as it is", () => {
    const refusal = asRefusal(new Error("store went away"));
    assert.deepEqual([refusal.code, refusal.status, refusal.message], ["API_INTERNAL", 500, "store went away"]);
    const known = new ApiError("AUTH_EXPIRED", "the token has expired");
    assert.equal(asRefusal(known), known);
  });
});
