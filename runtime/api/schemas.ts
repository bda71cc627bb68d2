/**
 * JSON Schemas (TypeBox) of what the API sends and receives: they validate request bodies and
 * become the OpenAPI document's components. Response shapes mirror runtime/store/types.ts;
 * schemas.test.ts proves at compile time that they match, so they cannot drift.
 * `x-component` names the OpenAPI component a schema is published as.
 */
import { Type, type TSchema } from "typebox";
import { FLOW_FORMAT } from "../contract/flow-format.ts";
import { IdSchema, VersionSchema } from "./route.ts";

const component = (name: string, description?: string) => ({ "x-component": name, ...(description ? { description } : {}) });
const Timestamp = Type.String({ description: "ISO 8601 time." });
const Hash = Type.String({ description: "sha256 (hex) of the canonical JSON (keys sorted)." });
const Strings = Type.Array(Type.String());

/** A flow document; validated by the flow rules (422 with every problem), not by the body schema. */
export const FlowDocumentRef = Type.Unknown(component("FlowDocument", "A flow document (format aiotflow/flow@1)."));

export function roleField(description: string) {
  return Type.Union([Type.Literal("viewer"), Type.Literal("editor"), Type.Literal("operator"), Type.Literal("admin")], { description });
}
export const RoleSchema = roleField("viewer < editor < operator < admin; each role may do what the roles before it may.");

export const ProblemSchema = Type.Object(
  {
    code: Type.String(),
    message: Type.String(),
    hint: Type.String(),
    path: Type.Optional(Type.String({ description: "JSON path into the flow, e.g. nodes[3].config.max." })),
    location: Type.Optional(Type.String({ description: "body:line:column of the offending value." })),
    node: Type.Optional(Type.String()),
  },
  component("Problem"),
);

export const ErrorSchema = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: "From the error catalogue, e.g. AUTH_FORBIDDEN." }),
      message: Type.String(),
      hint: Type.String({ description: "What to do about it." }),
      path: Type.Optional(Type.String()),
      problems: Type.Optional(Type.Array(ProblemSchema, { description: "422: every problem of the flow." })),
    }),
  },
  component("Error", "Every error. 409 VERSION_CONFLICT adds base, latest and diff; DEPLOY_FAILED adds cause and running."),
);

export const FlowRecordSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    latestVersion: Type.Integer(),
    deployedVersion: Type.Optional(Type.Integer({ description: "Version running on the local runtime." })),
    lastGoodVersion: Type.Optional(Type.Integer({ description: "Last version that deployed and started: the rollback target." })),
  },
  component("FlowRecord"),
);

const versionInfoFields = {
  flowId: Type.String(),
  version: Type.Integer(),
  author: Type.String(),
  createdAt: Timestamp,
  hash: Hash,
  message: Type.String(),
};
export const FlowVersionInfoSchema = Type.Object(versionInfoFields, component("FlowVersionInfo"));
export const FlowVersionSchema = Type.Object({ ...versionInfoFields, document: FlowDocumentRef }, component("FlowVersion"));

const Changes = Type.Object({ added: Strings, removed: Strings, changed: Strings });
export const FlowDiffSchema = Type.Object(
  {
    nodes: Type.Object({
      added: Strings,
      removed: Strings,
      changed: Type.Array(Type.Object({ id: Type.String(), paths: Strings })),
    }),
    edges: Changes,
    connections: Changes,
    flow: Type.Array(Type.String(), { description: "Top-level fields that changed (name, description)." }),
  },
  component("FlowDiff"),
);

export const DeploymentRecordSchema = Type.Object(
  {
    id: Type.String(),
    flowId: Type.String(),
    version: Type.Integer(),
    by: Type.String(),
    at: Timestamp,
    outcome: Type.Union([Type.Literal("running"), Type.Literal("failed"), Type.Literal("rolled-back")]),
    durationMs: Type.Number(),
    error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
  },
  component("DeploymentRecord"),
);

export const DeployReportSchema = Type.Object(
  { flowId: Type.String(), added: Strings, changed: Strings, removed: Strings, kept: Strings },
  component("DeployReport", "Node ids the redeploy added, changed, removed and kept running (with their state)."),
);

export const AuditRecordSchema = Type.Object(
  {
    seq: Type.Integer(),
    at: Timestamp,
    actor: Type.String(),
    action: Type.String({ description: "The route's operationId, e.g. flow.save, flow.deploy." }),
    target: Type.String({ description: "flow:<id>, user:<name>, token:<id>, secret:<name> or the request path." }),
    outcome: Type.Union([Type.Literal("ok"), Type.Literal("refused"), Type.Literal("failed")]),
    before: Type.Optional(Hash),
    after: Type.Optional(Hash),
    detail: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    prev: Type.String({ description: "Hash of the previous record (empty for the first)." }),
    hash: Hash,
  },
  component("AuditRecord"),
);

export const UserRecordSchema = Type.Object(
  { username: Type.String(), role: RoleSchema, createdAt: Timestamp, disabled: Type.Optional(Type.Boolean()) },
  component("UserRecord"),
);

export const TokenInfoSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    username: Type.String(),
    role: RoleSchema,
    createdAt: Timestamp,
    expiresAt: Type.Optional(Timestamp),
    kind: Type.Union([Type.Literal("session"), Type.Literal("api")]),
  },
  component("TokenInfo", "A token's facts; its value is shown once, when it is issued."),
);

export const PrincipalSchema = Type.Object(
  { username: Type.String(), role: RoleSchema, tokenId: Type.Optional(Type.String()) },
  component("Principal"),
);

const NodeStatusSchema = Type.Object({
  state: Type.Union([
    Type.Literal("running"),
    Type.Literal("idle"),
    Type.Literal("waiting"),
    Type.Literal("reconnecting"),
    Type.Literal("disconnected"),
    Type.Literal("error"),
  ]),
  text: Type.Optional(Type.String()),
});

export const RunningFlowStateSchema = Type.Object(
  {
    flowId: Type.String(),
    version: Type.Integer(),
    state: Type.Union([Type.Literal("running"), Type.Literal("stopped"), Type.Literal("failed")]),
    since: Timestamp,
    nodes: Type.Array(Type.Object({ node: Type.String(), status: NodeStatusSchema })),
  },
  component("RunningFlowState"),
);

export const NodeMetricsSchema = Type.Object(
  {
    node: Type.String(),
    type: Type.String(),
    in: Type.Number(),
    out: Type.Number(),
    errors: Type.Number(),
    dropped: Type.Number(),
    queueDepth: Type.Number(),
    latencyMs: Type.Object({
      count: Type.Number(),
      p50: Type.Number(),
      p99: Type.Number(),
      mean: Type.Number(),
      sum: Type.Number(),
      buckets: Type.Array(Type.Number(), { description: "Per-bucket (not cumulative) counts: one per bound of the engine's latency buckets, then +Inf." }),
    }),
    counters: Type.Record(Type.String(), Type.Number()),
  },
  component("NodeMetrics"),
);

export const SecretInfoSchema = Type.Object({ name: Type.String(), updatedAt: Timestamp }, component("SecretInfo", "A secret's name; never its value."));

export const FlowBundleSchema = Type.Object(
  {
    format: Type.Literal("aiotflow/flow-bundle@1"),
    flow: Type.Object({
      id: IdSchema,
      name: Type.String(),
      createdAt: Timestamp,
      updatedAt: Timestamp,
      latestVersion: Type.Integer(),
      deployedVersion: Type.Optional(Type.Integer()),
      lastGoodVersion: Type.Optional(Type.Integer()),
    }),
    versions: Type.Array(
      Type.Object({ ...versionInfoFields, flowId: IdSchema, version: VersionSchema, document: FlowDocumentRef }),
      { minItems: 1 },
    ),
  },
  component("FlowBundle", "A flow with all its versions, as one JSON file (GET /api/flows/{id}/export)."),
);

export const CatalogNodeSchema = Type.Object(
  {
    type: Type.String(),
    version: Type.Integer(),
    family: Type.String(),
    title: Type.String(),
    summary: Type.String(),
    docs: Type.String(),
    config: Type.Record(Type.String(), Type.Unknown(), { description: "The config's JSON Schema." }),
    inputs: Type.Record(Type.String(), Type.Unknown()),
    outputs: Type.Record(Type.String(), Type.Unknown()),
    examples: Type.Array(Type.Unknown()),
    concurrency: Type.Integer(),
    loopSafe: Type.Boolean(),
  },
  component("CatalogNode", "A node type: config schema, ports, docs and examples."),
);

export const ValidationSchema = Type.Object(
  {
    ok: Type.Boolean(),
    problems: Type.Array(ProblemSchema),
    nodes: Type.Optional(Type.Integer()),
    edges: Type.Optional(Type.Integer()),
  },
  component("Validation", `Every problem of a ${FLOW_FORMAT} document, as \`aiotflow validate\` reports them.`),
);

/** Every schema published under components/schemas (FlowDocument is added from the flow format). */
export const COMPONENT_SCHEMAS: readonly TSchema[] = [
  ProblemSchema,
  ErrorSchema,
  FlowRecordSchema,
  FlowVersionInfoSchema,
  FlowVersionSchema,
  FlowDiffSchema,
  DeploymentRecordSchema,
  DeployReportSchema,
  AuditRecordSchema,
  UserRecordSchema,
  TokenInfoSchema,
  PrincipalSchema,
  RunningFlowStateSchema,
  NodeMetricsSchema,
  SecretInfoSchema,
  FlowBundleSchema,
  CatalogNodeSchema,
  ValidationSchema,
];
