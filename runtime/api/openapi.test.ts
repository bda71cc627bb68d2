import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startApi, type TestApi } from "../../test/support/api.ts";

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json => value !== null && typeof value === "object" && !Array.isArray(value);
/** `doc.a.b.c`, or undefined where a step is missing. */
const dig = (value: unknown, ...keys: string[]): unknown => keys.reduce((v, key) => (isRecord(v) ? v[key] : undefined), value);

/** The `stack` of an express router or of a layer's handle (routers are functions with a stack). */
function stackOf(value: unknown): unknown[] | undefined {
  if ((typeof value === "function" || isRecord(value)) && "stack" in value && Array.isArray(value.stack)) return value.stack;
  return undefined;
}

/** `METHOD /path/{param}` of every route express will actually dispatch, found by walking its router stack. */
function mountedRoutes(router: unknown): string[] {
  const found: string[] = [];
  const walk = (layer: unknown) => {
    if (!isRecord(layer)) return;
    const route = layer["route"];
    if (isRecord(route) && typeof route["path"] === "string" && isRecord(route["methods"])) {
      for (const method of Object.keys(route["methods"])) if (method !== "_all") found.push(`${method.toUpperCase()} ${route["path"].replace(/:(\w+)/g, "{$1}")}`);
    }
    stackOf(layer["handle"])?.forEach(walk);
  };
  stackOf(router)?.forEach(walk);
  return found.sort();
}

describe("the OpenAPI document", () => {
  let t: TestApi;
  let doc: Json;
  before(async () => {
    t = await startApi();
    const reply = await t.request("GET", "/api/openapi.json", { as: "nobody" });
    assert.equal(reply.status, 200, "served without a token");
    doc = reply.body;
  });
  after(() => t.close());

  const operations = () =>
    Object.entries(isRecord(doc["paths"]) ? doc["paths"] : {}).flatMap(([path, methods]) =>
      Object.entries(isRecord(methods) ? methods : {}).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, op: isRecord(op) ? op : {} })),
    );

  it("documents every mounted route, and every documented route is mounted", () => {
    // GET /api/events is mounted twice (Server-Sent Events, then the WebSocket hint): one documented operation.
    const mounted = [...new Set(mountedRoutes(t.api.app.router))];
    const documented = operations().map((o) => o.key).sort();
    assert.ok(mounted.length >= 35, `only ${mounted.length} routes found in the router`);
    assert.deepEqual(documented, mounted);
  });

  it("is OpenAPI 3.1 with a bearer security scheme, and says which role each operation needs", () => {
    assert.equal(doc["openapi"], "3.1.0");
    assert.equal(dig(doc, "components", "securitySchemes", "bearerAuth", "type"), "http");
    assert.equal(dig(doc, "components", "securitySchemes", "bearerAuth", "scheme"), "bearer");
    const ids = new Set<unknown>();
    for (const { key, op } of operations()) {
      assert.ok(!ids.has(op["operationId"]), `${key}: duplicate operationId`);
      ids.add(op["operationId"]);
      const role = op["x-aiotflow-role"];
      assert.ok(["public", "viewer", "editor", "operator", "admin"].includes(String(role)), key);
      assert.deepEqual(op["security"], role === "public" ? [] : [{ bearerAuth: [] }], key);
      const responses = isRecord(op["responses"]) ? op["responses"] : {};
      if (role !== "public") assert.ok(responses["401"] && responses["403"], `${key} documents 401 and 403`);
      if (key.includes("{")) assert.ok(responses["400"] && responses["404"], `${key} documents 400 and 404`);
      if (op["requestBody"]) assert.ok(responses["413"] && responses["415"], `${key} documents 413 and 415`);
    }
  });

  it("documents path and query parameters, request bodies and public routes", () => {
    const find = (key: string) => operations().find((o) => o.key === key)?.op ?? {};
    const diff = find("GET /api/flows/{id}/diff");
    assert.deepEqual(
      (Array.isArray(diff["parameters"]) ? diff["parameters"] : []).map((p: Json) => `${p["in"]} ${p["name"]} ${p["required"]}`),
      ["path id true", "query from false", "query to false"],
    );
    const save = find("PUT /api/flows/{id}");
    assert.match(JSON.stringify(save["requestBody"]), /"document":\{"\$ref":"#\/components\/schemas\/FlowDocument"/);
    assert.equal(find("GET /metrics")["x-aiotflow-role"], "public");
    assert.equal(find("POST /api/auth/login")["x-aiotflow-role"], "public");
    assert.match(String(find("GET /api/events")["description"]), /WebSocket/);
  });

  it("resolves every $ref to a component, and publishes the flow document schema", () => {
    const schemas = dig(doc, "components", "schemas");
    assert.ok(isRecord(schemas));
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map((m) => m[1]!);
    assert.ok(refs.length > 50);
    for (const name of new Set(refs)) assert.ok(schemas[name], `missing component ${name}`);
    assert.equal(dig(schemas, "FlowDocument", "properties", "nodes", "type"), "array");
    assert.doesNotMatch(JSON.stringify(doc), /x-component/);
  });
});
