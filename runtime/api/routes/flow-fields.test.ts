import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, describe, it } from "node:test";
import { flowOf } from "../../../test/support/test-nodes.ts";
import { loadCatalog } from "../../catalog/catalog.ts";
import { createApi, type Api } from "../app.ts";
import { startApi, type TestApi } from "../../../test/support/api.ts";

describe("POST /api/flows/fields", () => {
  let t: TestApi;
  // The same stores and tokens, but the shipped node catalog, whose nodes declare their fields.
  let api: Api;
  let server: Server;
  let url: string;
  before(async () => {
    t = await startApi();
    api = createApi({ ...t.deps, catalog: await loadCatalog() });
    server = createServer(api.app);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  });
  after(async () => {
    api.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await t.close();
  });

  const post = async (body: unknown, token: string | null = t.tokens.viewer) => {
    const response = await fetch(`${url}/api/flows/fields`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  };

  it("answers a viewer with the fields at each node of an unsaved, half-finished flow", async () => {
    const flow = flowOf(
      [
        ["pumps", "simulated-sensor", { signals: ["vibration"] }],
        ["alarm", "threshold", { field: "vibration", raise: 7, clear: 6 }],
        ["window", "tumbling-window", { fields: ["vibration"], stats: ["max"] }],
        ["unfinished", "threshold", {}],
      ],
      ["pumps.out->alarm.in", "pumps.out->window.in", "window.out->unfinished.in"],
    );
    const reply = await post(flow);
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.body.nodes.alarm, { inputs: ["vibration"], outputs: { alarm: ["vibration"], normal: ["vibration"], events: ["state", "field", "value", "raise", "clear"] } });
    assert.deepEqual(reply.body.nodes.window.outputs.out, ["vibration_max", "count", "window_start", "window_end"]);
    // Its own picker still gets the fields; without a raise and clear yet, what it passes on does not depend on them.
    const windowFields = ["vibration_max", "count", "window_start", "window_end"];
    assert.deepEqual(reply.body.nodes.unfinished, { inputs: windowFields, outputs: { alarm: windowFields, normal: windowFields, events: ["state", "field", "value", "raise", "clear"] } });
    assert.deepEqual(reply.body.problems, []);
    assert.equal(t.flows.listFlows().length, 0, "nothing is stored");
  });

  it("refuses a body that is not a flow's nodes and edges, naming the bad field", async () => {
    for (const body of [{ nodes: "all" }, { nodes: [{ id: "a" }] }, { nodes: [], edges: [{ from: "a" }] }, []]) {
      const reply = await post(body);
      assert.equal(reply.status, 400, JSON.stringify(body));
      assert.equal(reply.body.error.code, "API_BODY_INVALID");
      assert.ok(reply.body.error.path, `names the field for ${JSON.stringify(body)}`);
    }
  });

  it("needs a token", async () => {
    const reply = await post({ nodes: [] }, null);
    assert.equal(reply.status, 401);
  });
});
