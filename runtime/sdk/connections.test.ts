import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connectionKind, ConnectionFailure, ConnectionRef, connectionRefsIn, defineConnection } from "./connections.ts";
import { Config, Secret, Type } from "./schema.ts";

describe("connection declarations", () => {
  it("names a connection kind by its type", () => assert.deepEqual(connectionKind<{ publish(): void }>("mqtt-broker"), { type: "mqtt-broker" }));

  it("marks a reference field with the connection type it needs", () => {
    assert.deepEqual(JSON.parse(JSON.stringify(ConnectionRef("mqtt-broker", "The broker to read from."))), {
      type: "string", minLength: 1, connection: "mqtt-broker", description: "The broker to read from.",
    });
  });

  it("freezes a connection definition", () => {
    const definition = defineConnection({
      type: "test-endpoint", title: "Test", summary: "A test endpoint.", config: Config({ url: Type.String() }), examples: [],
      open: async () => ({ client: 1, close: async () => {} }),
    });
    assert.ok(Object.isFrozen(definition));
  });

  it("carries a failure's code, and whether retrying can fix it", () => {
    const cause = new Error("ECONNREFUSED");
    const failure = new ConnectionFailure("CONNECTION_AUTH_FAILED", "bad password", true, { cause });
    assert.deepEqual([failure.name, failure.code, failure.message, failure.permanent, failure.cause], ["ConnectionFailure", "CONNECTION_AUTH_FAILED", "bad password", true, cause]);
    assert.equal(new ConnectionFailure("CONNECTION_REFUSED", "down").permanent, false);
  });
});

describe("connectionRefsIn", () => {
  const schema = Config({
    connection: ConnectionRef("mqtt-broker", "Broker."),
    password: Type.Optional(Secret("Password.")),
    target: Type.Object({ endpoint: ConnectionRef("opcua-endpoint", "PLC."), node: Type.String() }),
    mirrors: Type.Array(Type.Object({ via: ConnectionRef("mqtt-broker", "Mirror broker.") })),
    output: Type.Union([
      Type.Object({ to: Type.Literal("mqtt"), broker: ConnectionRef("mqtt-broker", "Out broker.") }),
      Type.Object({ to: Type.Literal("http"), broker: ConnectionRef("http-endpoint", "Out endpoint.") }),
    ]),
  });

  it("finds every reference set in a config, with its path and the type it needs", () => {
    const config = {
      connection: "plant-broker", password: { $secret: "p" }, target: { endpoint: "plc-1", node: "ns=1;s=X" },
      mirrors: [{ via: "cloud" }, { via: "backup" }], output: { to: "mqtt", broker: "out-broker" },
    };
    assert.deepEqual(connectionRefsIn(schema, config), [
      { path: "connection", id: "plant-broker", type: "mqtt-broker" },
      { path: "target.endpoint", id: "plc-1", type: "opcua-endpoint" },
      { path: "mirrors[0].via", id: "cloud", type: "mqtt-broker" },
      { path: "mirrors[1].via", id: "backup", type: "mqtt-broker" },
      { path: "output.broker", id: "out-broker", type: "mqtt-broker" },
    ]);
  });

  it("takes the type a reference needs from the union branch its tag selects", () => {
    assert.deepEqual(connectionRefsIn(schema, { output: { to: "http", broker: "api" } }), [{ path: "output.broker", id: "api", type: "http-endpoint" }]);
    assert.deepEqual(connectionRefsIn(schema, { output: { to: "mqtt", broker: "out" } }), [{ path: "output.broker", id: "out", type: "mqtt-broker" }]);
  });

  it("lists a reference once when no branch's tag matches, with the first branch's type", () => {
    assert.deepEqual(connectionRefsIn(schema, { output: { to: "ftp", broker: "x" } }), [{ path: "output.broker", id: "x", type: "mqtt-broker" }]);
  });

  const empty: Array<[string, unknown, unknown]> = [
    ["a config without references set", schema, {}],
    ["a reference that is not a string", schema, { connection: 42, target: "plc-1", mirrors: "cloud" }],
    ["a config that is not an object", schema, "plant-broker"],
    ["no schema", undefined, { connection: "x" }],
  ];
  for (const [name, s, value] of empty) it(`finds nothing in ${name}`, () => assert.deepEqual(connectionRefsIn(s, value), []));
});
