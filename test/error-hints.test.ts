/**
 * Hints are read by users who then act on them: a node a hint names must exist, and a hint must hold
 * in every case its code is raised for (first deploy or redeploy, any connection type).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadCatalog } from "../runtime/catalog/catalog.ts";
import { ERROR_CATALOGUE } from "../runtime/sdk/errors.ts";

const catalog = await loadCatalog();

/** The node types a hint names in a parenthesised list, e.g. "(range-check, map)". */
function namedNodes(hint: string): string[] {
  return [...hint.matchAll(/\(([^)]*)\)/g)].flatMap((m) => m[1]!.split(",").map((s) => s.trim())).filter((s) => /^[a-z]+(-[a-z]+)+$|^map$/.test(s));
}

describe("error hints", () => {
  it("MODEL_FEATURE_INVALID names only node types that exist", () => {
    const named = namedNodes(ERROR_CATALOGUE.MODEL_FEATURE_INVALID);
    assert.ok(named.length >= 2, `names some nodes: ${named.join(", ")}`);
    for (const type of named) assert.ok(catalog.has(type), `"${type}" is a node type`);
  });

  it("DEPLOY_FAILED holds for a first deploy as well as a redeploy", () => {
    const hint = ERROR_CATALOGUE.DEPLOY_FAILED;
    assert.doesNotMatch(hint, /the previous one keeps running/);
    assert.match(hint, /running before keeps running/);
    assert.match(hint, /if none was/);
  });

  it("CONNECTION_AUTH_FAILED fits every connection type (MQTT broker, OPC UA, HTTP endpoint)", () => {
    const hint = ERROR_CATALOGUE.CONNECTION_AUTH_FAILED;
    assert.doesNotMatch(hint, /the broker's ACL/, "not only for brokers");
    for (const word of [/password/, /token/, /API-key/, /broker ACL/, /OPC UA/]) assert.match(hint, word);
  });
});
