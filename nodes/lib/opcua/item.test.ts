import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { AttributeIds, DataType, DataValue, OPCUAClient, StatusCodes, Variant, VariantArrayType, type ClientSession, type StatusCode } from "node-opcua";
import { startOpcuaServer, type OpcuaTestServer } from "../../../test/support/opcua-server.ts";
import { isBrowsePath, isMissingNode, loadOpcua, nodeReferenceProblem, plainValue, qualityOf, resolveReference, VALUE_ATTRIBUTE } from "./item.ts";

describe("opcua item references", () => {
  const usable = [
    "ns=1;s=Pump1.Speed",
    "i=2258",
    "ns=0;i=2258",
    "nsu=urn:example:plant;s=Line 3/Pump",
    "ns=2;g=72962B91-FA75-4AE6-8D28-B404DC7DAF63",
    "ns=2;b=M/RbKBsRVkePCePcx24oRA==",
    "/Objects/1:Pump1/1:Speed",
    "/Objects/Server",
  ];
  for (const node of usable) it(`accepts ${node}`, () => assert.equal(nodeReferenceProblem(node), undefined));

  const unusable = ["", "Pump1.Speed", "ns=1;Pump1", "ns=x;i=1", "i=abc", "ns=1;g=not-a-guid", "/", "/Objects//Pump1", "s="];
  for (const node of unusable) {
    it(`refuses ${JSON.stringify(node)}, saying what a reference looks like`, () => {
      assert.equal(nodeReferenceProblem(node), `"${node}" is neither a NodeId (ns=1;s=Pump1.Speed, i=2258) nor a browse path (/Objects/1:Pump1/1:Speed)`);
    });
  }

  it("tells a browse path from a NodeId by its leading slash", () => {
    assert.equal(isBrowsePath("/Objects/1:Pump1"), true);
    assert.equal(isBrowsePath("ns=1;s=/Objects"), false);
  });
});

describe("opcua status and values", () => {
  const qualities: Array<[string, StatusCode, string]> = [
    ["Good", StatusCodes.Good, "Good"],
    ["UncertainLastUsableValue", StatusCodes.UncertainLastUsableValue, "Uncertain"],
    ["BadSensorFailure", StatusCodes.BadSensorFailure, "Bad"],
    ["BadNodeIdUnknown", StatusCodes.BadNodeIdUnknown, "Bad"],
  ];
  for (const [name, status, quality] of qualities) it(`rates ${name} as ${quality}`, () => assert.equal(qualityOf(status), quality));

  const missing: Array<[StatusCode, boolean]> = [
    [StatusCodes.BadNodeIdUnknown, true],
    [StatusCodes.BadNodeIdInvalid, true],
    [StatusCodes.BadAttributeIdInvalid, true],
    [StatusCodes.BadSensorFailure, false],
    [StatusCodes.BadNotReadable, false],
    [StatusCodes.Good, false],
  ];
  for (const [status, expected] of missing) {
    it(`${expected ? "takes" : "does not take"} ${status.name} as a node that is not there`, () => assert.equal(isMissingNode(status), expected));
  }

  const value = (variant: ConstructorParameters<typeof Variant>[0]) => new DataValue({ value: new Variant(variant) });
  const values: Array<[string, DataValue, unknown]> = [
    ["a double", value({ dataType: DataType.Double, value: 12.5 }), 12.5],
    ["a boolean", value({ dataType: DataType.Boolean, value: true }), true],
    ["a string", value({ dataType: DataType.String, value: "running" }), "running"],
    ["a date, as epoch ms", value({ dataType: DataType.DateTime, value: new Date(Date.UTC(2026, 0, 1)) }), Date.UTC(2026, 0, 1)],
    ["a typed array, as a plain array", value({ dataType: DataType.Float, arrayType: VariantArrayType.Array, value: new Float32Array([1, 2.5]) }), [1, 2.5]],
    ["an Int64, as [high, low]", value({ dataType: DataType.Int64, arrayType: VariantArrayType.Scalar, value: [0, 42] }), [0, 42]],
    ["a null value", value({ dataType: DataType.Null, value: null }), null],
    ["no value at all", new DataValue({ statusCode: StatusCodes.BadNoData }), null],
  ];
  for (const [name, dataValue, expected] of values) it(`carries ${name} as JSON`, () => assert.deepEqual(plainValue(dataValue), expected));

  it("carries a bigint as a number", () => {
    assert.equal(plainValue({ value: { value: 7n } } as unknown as DataValue), 7);
  });

  it("names the Value attribute as OPC UA does", () => assert.equal(VALUE_ATTRIBUTE, AttributeIds.Value));

  it("loads node-opcua once, however often it is asked", async () => {
    assert.equal(await loadOpcua(), await loadOpcua());
  });
});

describe("resolveReference", () => {
  let server: OpcuaTestServer;
  let client: OPCUAClient;
  let session: ClientSession;
  before(async () => {
    server = await startOpcuaServer();
    client = OPCUAClient.create({ endpointMustExist: false, connectionStrategy: { maxRetry: 0 } });
    await client.connect(server.endpointUrl);
    session = await client.createSession();
  });
  after(async () => {
    await session.close();
    await client.disconnect();
    await server.close();
  });

  it("follows a browse path from Root to the NodeId on this server", async () => {
    assert.equal(await resolveReference(session, "/Objects/1:Pump1/1:Speed"), server.nodeId("Speed"));
  });

  it("passes a NodeId through without asking the server, even one the server does not have", async () => {
    assert.equal(await resolveReference(session, "ns=1;s=Pump1.Speed"), "ns=1;s=Pump1.Speed");
    assert.equal(await resolveReference(session, "ns=1;s=Pump1.Nope"), "ns=1;s=Pump1.Nope");
  });

  it("refuses a browse path that leads nowhere with OPCUA_NODE_NOT_FOUND naming it", async () => {
    await assert.rejects(resolveReference(session, "/Objects/1:Pump1/1:Nope"), {
      code: "OPCUA_NODE_NOT_FOUND",
      message: /^browse path \/Objects\/1:Pump1\/1:Nope leads to no node on the server \(Bad/,
      details: { nodeId: "/Objects/1:Pump1/1:Nope" },
    });
  });
});
