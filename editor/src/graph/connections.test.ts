import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { Catalog } from "./catalog.ts";
import {
  connectionEditKey, connectionLiveState, connectionNameProblem, connectionRefs, connectionsOfType, connectionUsers, deleteRefusal,
  testOutcome, withConfig, withConnection, withoutConnection, type Connections,
} from "./connections.ts";
import { pickerOf } from "./fields.ts";
import { realCatalog } from "../../../test/support/editor-fixtures.ts";
import type { AiotNode } from "./mapping.ts";

const node = (id: string, nodeType: string, config: Record<string, unknown>, name?: string): AiotNode =>
  ({ id, type: "aiot", position: { x: 0, y: 0 }, data: { nodeType, config, ...(name ? { name } : {}) } });

const connections: Connections = {
  "plant-broker": { type: "mqtt-broker", config: { url: "mqtt://127.0.0.1:1883" } },
  "spare-broker": { type: "mqtt-broker", config: {} },
  "pump-plc": { type: "opcua-endpoint", config: { endpointUrl: "opc.tcp://plc:4840" } },
};

describe("the flow's connections in the editor", () => {
  let catalog: Catalog;
  before(async () => {
    catalog = (await realCatalog()).catalog;
  });

  it("checks a new connection's name: empty, bad characters, too long, taken", () => {
    assert.equal(connectionNameProblem("line-2.broker:a_1", connections), undefined);
    assert.match(connectionNameProblem("", connections) ?? "", /Give the connection a name/);
    assert.match(connectionNameProblem("   ", connections) ?? "", /Give the connection a name/);
    assert.match(connectionNameProblem("plant broker", connections) ?? "", /characters a connection name cannot have/);
    assert.match(connectionNameProblem("plant/broker", connections) ?? "", /letters, digits and _ \. : -/);
    assert.match(connectionNameProblem("x".repeat(129), connections) ?? "", /at most 128/);
    assert.match(connectionNameProblem("plant-broker", connections) ?? "", /exists already/);
    // Inherited object keys are not connections.
    assert.equal(connectionNameProblem("toString", connections), undefined);
  });

  it("finds the nodes naming a connection through the schema's connection keyword, in the real catalog", () => {
    const nodes = [
      node("in", "mqtt-in", { connection: "plant-broker", topic: "a/#" }, "Pumps in"),
      node("out", "mqtt-out", { connection: "plant-broker", topic: "b" }),
      node("other", "mqtt-in", { connection: "spare-broker", topic: "c" }),
      node("plc", "opcua-in", { connection: "pump-plc", items: [] }),
      node("sensor", "simulated-sensor", { signals: ["plant-broker"] }),
      node("ghost", "no-such-type", { connection: "plant-broker" }),
    ];
    const users = connectionUsers("plant-broker", nodes, catalog);
    assert.deepEqual(users.map((u) => [u.node, u.label, u.field, u.type]), [
      ["in", "“Pumps in” (in)", "connection", "mqtt-broker"],
      ["out", "out", "connection", "mqtt-broker"],
    ]);
    assert.deepEqual(connectionUsers("pump-plc", nodes, catalog).map((u) => u.node), ["plc"]);
    assert.deepEqual(connectionUsers("unused", nodes, catalog), []);
  });

  it("reads references nested in objects, lists and unions, and ignores empty or non-string values", () => {
    const schema = {
      type: "object",
      properties: {
        main: { type: "string", connection: "mqtt-broker" },
        backup: { type: "object", properties: { via: { type: "string", connection: "http-endpoint" } } },
        targets: { type: "array", items: { type: "object", properties: { to: { type: "string", connection: "mqtt-broker" } } } },
        either: { anyOf: [{ type: "string", connection: "mqtt-broker" }, { type: "string", connection: "mqtt-broker" }] },
      },
    };
    const refs = connectionRefs(schema, { main: "a", backup: { via: "h" }, targets: [{ to: "b" }, { to: 7 }, { to: "" }], either: "c" });
    assert.deepEqual(refs, [
      { path: "main", name: "a", type: "mqtt-broker" },
      { path: "backup.via", name: "h", type: "http-endpoint" },
      { path: "targets.0.to", name: "b", type: "mqtt-broker" },
      { path: "either", name: "c", type: "mqtt-broker" },
    ]);
    assert.deepEqual(connectionRefs(schema, "not an object"), []);
    assert.deepEqual(connectionRefs(undefined, { main: "a" }), []);
  });

  it("refuses to delete a connection in use, naming the nodes and fields, and allows it when unused", () => {
    const users = connectionUsers("plant-broker", [node("in", "mqtt-in", { connection: "plant-broker" }, "Pumps in"), node("out", "mqtt-out", { connection: "plant-broker" })], catalog);
    const refusal = deleteRefusal("plant-broker", users) ?? "";
    assert.match(refusal, /“plant-broker” is used by 2 nodes “Pumps in” \(in\) field connection, out field connection/);
    assert.match(refusal, /point them at another connection or delete them first/);
    assert.match(deleteRefusal("plant-broker", users.slice(0, 1)) ?? "", /used by node “Pumps in” \(in\).*point it at/);
    assert.equal(deleteRefusal("plant-broker", []), undefined);
  });

  it("adds, edits and removes connections without touching the map it was given", () => {
    const frozen = Object.freeze({ ...connections });
    const added = withConnection(frozen, "line-2", "http-endpoint");
    assert.deepEqual(added["line-2"], { type: "http-endpoint", config: {} });
    assert.equal(Object.keys(frozen).length, 3);
    const edited = withConfig(added, "line-2", { url: "http://a" });
    assert.deepEqual(edited["line-2"], { type: "http-endpoint", config: { url: "http://a" } });
    assert.deepEqual(added["line-2"]?.config, {});
    assert.equal(withConfig(edited, "missing", { url: "x" }), edited, "an unknown name changes nothing");
    const removed = withoutConnection(edited, "line-2");
    assert.deepEqual(Object.keys(removed).sort(), ["plant-broker", "pump-plc", "spare-broker"]);
    assert.ok("line-2" in edited);
  });

  it("offers only the connections of the field's type, and the picker is chosen by the schema keyword alone", () => {
    assert.deepEqual(connectionsOfType(connections, "mqtt-broker"), ["plant-broker", "spare-broker"]);
    assert.deepEqual(connectionsOfType(connections, "http-endpoint"), []);
    const field = catalog.get("mqtt-in")?.config.properties?.["connection"];
    assert.ok(field, "mqtt-in declares a connection field");
    assert.equal(pickerOf(field), "connection");
    assert.equal(pickerOf({ type: "string" }), undefined);
  });

  it("coalesces typing in one field of one connection into one undo step", () => {
    const a = connectionEditKey("b", { url: "mqtt://h:1" }, { url: "mqtt://h:18" });
    assert.equal(a, connectionEditKey("b", { url: "mqtt://h:18" }, { url: "mqtt://h:188" }));
    assert.notEqual(a, connectionEditKey("b", { url: "x" }, { url: "x", username: "u" }));
    assert.notEqual(a, connectionEditKey("c", { url: "mqtt://h:1" }, { url: "mqtt://h:18" }));
  });

  it("reads the live state from the status its users report, and nothing when none reported it", () => {
    const users = connectionUsers("plant-broker", [node("in", "mqtt-in", { connection: "plant-broker" }), node("out", "mqtt-out", { connection: "plant-broker" })], catalog);
    const statuses = new Map([
      ["in", { state: "running", text: "12 msgs" }],
      ["out", { state: "reconnecting", text: "plant-broker: connect ECONNREFUSED 127.0.0.1:1883" }],
    ]);
    assert.deepEqual(connectionLiveState("plant-broker", users, statuses), { state: "reconnecting", text: "connect ECONNREFUSED 127.0.0.1:1883" });
    assert.equal(connectionLiveState("plant-broker", users, new Map([["in", { state: "running" }]])), undefined);
    assert.equal(connectionLiveState("plant-broker", [], statuses), undefined);
    // Another connection's name as a prefix is not this one's state.
    assert.equal(connectionLiveState("plant", users, statuses), undefined);
  });

  it("says a test's outcome: the time on success, else the code, the message (paths short) and the hint", () => {
    assert.deepEqual(testOutcome({ ok: true, durationMs: 12.4 }), { kind: "ok", title: "Connected in 12 ms" });
    assert.deepEqual(testOutcome({ ok: false, code: "CONNECTION_REFUSED", message: "connect ECONNREFUSED 127.0.0.1:9", hint: "check host and port" }), {
      kind: "error", title: "CONNECTION_REFUSED", detail: "connect ECONNREFUSED 127.0.0.1:9", hint: "check host and port",
    });
    const invalid = testOutcome({
      ok: false, code: "CONNECTION_CONFIG_INVALID", message: "connections.test.config.url: must match pattern",
      problems: [{ path: "connections.test.config.url", message: "must match pattern \"^(mqtts?|wss?)://\"" }],
    });
    assert.equal(invalid.detail, "url: must match pattern \"^(mqtts?|wss?)://\"");
    assert.equal(testOutcome({ ok: false }).title, "CONNECTION_FAILED");
  });
});
