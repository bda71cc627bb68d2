import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startApi, type TestApi } from "../../../test/support/api.ts";
import { EVENTS_PATH, eventsRoute } from "./events-route.ts";

describe("the events route", () => {
  it("documents the WebSocket as a public GET of /api/events: 101 to switch protocols, 426 for a plain request", () => {
    const route = eventsRoute();
    assert.deepEqual([route.method, route.path, route.access, route.operationId], ["get", "/api/events", "public", "events"]);
    assert.equal(EVENTS_PATH, "/api/events");
    assert.deepEqual(Object.keys(route.responses), ["101"]);
    assert.deepEqual(Object.keys(route.errors ?? {}), ["426"]);
    for (const told of ["?token=", "?flow=", "text/event-stream", "1013", "replayed"]) assert.ok(route.description?.includes(told), `the description tells ${told}`);
  });

  describe("served by the API", () => {
    let t: TestApi;
    before(async () => (t = await startApi()));
    after(() => t.close());

    it("answers a plain GET with 426 API_UPGRADE_REQUIRED saying to use a WebSocket client, with or without a token", async () => {
      for (const as of ["nobody", "viewer"] as const) {
        const reply = await t.request("GET", EVENTS_PATH, { as });
        assert.equal(reply.status, 426, as);
        assert.equal(reply.body.error.code, "API_UPGRADE_REQUIRED");
        assert.equal(reply.body.error.message, "/api/events is a WebSocket; open it with a WebSocket client");
      }
    });
  });
});
