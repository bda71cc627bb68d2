import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { OPCUA_TEST_PKI, OPCUA_USER, startOpcuaServer, type OpcuaTestServer } from "../../../test/support/opcua-server.ts";
import { ConnectionSupervisor } from "../supervisor.ts";
import { loadConnectionTypes } from "../registry.ts";
import opcuaEndpoint from "./opcua-endpoint.ts";
import { parseConfig } from "../../sdk/config.ts";

/** A client PKI kept between runs (creating a key pair is slow); "strict" never trusts an unknown server. */
const trusting = join(OPCUA_TEST_PKI, "client");
const strict = join(OPCUA_TEST_PKI, "client-strict");

describe("opcua-endpoint connection: test connection", () => {
  let server: OpcuaTestServer;
  let supervisor: ConnectionSupervisor;
  before(async () => {
    server = await startOpcuaServer();
    supervisor = new ConnectionSupervisor({ types: await loadConnectionTypes(), secrets: (name) => ({ "pump-password": OPCUA_USER.password, wrong: "guess" })[name], testTimeoutMs: 20_000 });
  });
  after(() => server.close());

  for (const example of opcuaEndpoint.examples) {
    it(`accepts its example "${example.title}"`, () => assert.ok(parseConfig({ type: opcuaEndpoint.type, config: opcuaEndpoint.config }, example.config, "config").ok));
  }

  const base = () => ({ endpointUrl: server.endpointUrl, pkiDir: trusting, trustServerCertificate: true, connectTimeoutMs: 8_000 });
  const cases: Array<{ name: string; config: () => Record<string, unknown>; code?: string; message?: RegExp }> = [
    { name: "anonymous, security None", config: base },
    { name: "user and password from the secret store", config: () => ({ ...base(), auth: { type: "username", username: OPCUA_USER.username, password: { $secret: "pump-password" } } }) },
    { name: "Basic256Sha256, sign and encrypt", config: () => ({ ...base(), security: { policy: "Basic256Sha256", mode: "SignAndEncrypt" } }) },
    { name: "a wrong password", config: () => ({ ...base(), auth: { type: "username", username: OPCUA_USER.username, password: { $secret: "wrong" } } }), code: "CONNECTION_AUTH_FAILED", message: /refused the user identity/ },
    { name: "a server certificate aiotflow does not trust", config: () => ({ ...base(), pkiDir: strict, trustServerCertificate: false, security: { policy: "Basic256Sha256", mode: "Sign" } }), code: "OPCUA_CERTIFICATE_REJECTED" },
    { name: "nothing listening on the port", config: () => ({ ...base(), endpointUrl: "opc.tcp://127.0.0.1:1/UA/Pump" }), code: "CONNECTION_REFUSED", message: /nothing accepts connections at opc\.tcp:\/\/127\.0\.0\.1:1/ },
    { name: "a security mode with policy None", config: () => ({ ...base(), security: { policy: "None", mode: "Sign" } }), code: "CONNECTION_CONFIG_INVALID" },
    { name: "a URL that is not opc.tcp", config: () => ({ ...base(), endpointUrl: "http://127.0.0.1:4840" }), code: "CONNECTION_CONFIG_INVALID", message: /endpointUrl/ },
  ];
  for (const { name, config, code, message } of cases) {
    it(code ? `fails with ${code} for ${name}` : `connects with ${name}`, async () => {
      const result = await supervisor.test("opcua-endpoint", config());
      if (!code) return assert.deepEqual({ ...result, durationMs: 0 }, { ok: true, durationMs: 0 });
      assert.equal(result.ok, false, JSON.stringify(result));
      if (result.ok) return;
      assert.equal(result.code, code, result.message);
      if (message) assert.match(result.message, message);
    });
  }
});
