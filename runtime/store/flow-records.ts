import type { Static } from "typebox";
import Compile from "typebox/compile";
import { FlowDocumentSchema } from "../contract/flow-format.ts";
import { AiotError } from "../sdk/errors.ts";
import { Type } from "../sdk/schema.ts";
import { contentHash } from "./canonical.ts";
import type { StoreProblem } from "./store-file.ts";
import type { DeploymentRecord, FlowBundle, FlowRecord, FlowVersion } from "../contract/flow-records.ts";

/** The flow id as the flow format defines it; one pattern for documents, store and URLs. */
const FlowId = FlowDocumentSchema.properties.id;
const flowIdValidator = Compile(FlowId);
const Version = Type.Integer({ minimum: 1 });
const Timestamp = Type.String({ minLength: 1 });

export const FlowRecordSchema = Type.Object(
  {
    id: FlowId,
    name: Type.String(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    latestVersion: Version,
    deployedVersion: Type.Optional(Version),
    lastGoodVersion: Type.Optional(Version),
  },
  { additionalProperties: false },
);

export const FlowVersionSchema = Type.Object(
  {
    flowId: FlowId,
    version: Version,
    author: Type.String(),
    createdAt: Timestamp,
    hash: Type.String({ pattern: "^[0-9a-f]{64}$" }),
    message: Type.String(),
    document: FlowDocumentSchema,
  },
  { additionalProperties: false },
);

export const DeploymentRecordSchema = Type.Object(
  {
    id: Type.String({ minLength: 1 }),
    flowId: FlowId,
    version: Version,
    by: Type.String(),
    at: Timestamp,
    outcome: Type.Union([Type.Literal("running"), Type.Literal("failed"), Type.Literal("rolled-back")]),
    durationMs: Type.Number({ minimum: 0 }),
    error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

/** `<dataDir>/flows.json`. */
export const FlowsFileSchema = Type.Object(
  {
    format: Type.Literal("aiotflow/flows@1"),
    flows: Type.Array(FlowRecordSchema),
    versions: Type.Array(FlowVersionSchema),
    deployments: Type.Array(DeploymentRecordSchema),
  },
  { additionalProperties: false },
);

export const FlowBundleSchema = Type.Object(
  { format: Type.Literal("aiotflow/flow-bundle@1"), flow: FlowRecordSchema, versions: Type.Array(FlowVersionSchema) },
  { additionalProperties: false },
);

export interface FlowsFile {
  readonly format: "aiotflow/flows@1";
  readonly flows: readonly FlowRecord[];
  readonly versions: readonly FlowVersion[];
  readonly deployments: readonly DeploymentRecord[];
}

export const EMPTY_FLOWS_FILE: FlowsFile = { format: "aiotflow/flows@1", flows: [], versions: [], deployments: [] };

/** Mutually assignable with the same keys (so a missing optional field counts too). */
type Same<A, B> = [A, keyof A] extends [B, keyof B] ? ([B, keyof B] extends [A, keyof A] ? true : false) : false;
type Holds<T extends true> = T;
/** Fails to compile when a schema here drifts from the contract in types.ts. */
export type SchemasMatchContract = [
  Holds<Same<Static<typeof FlowRecordSchema>, FlowRecord>>,
  Holds<Same<Static<typeof FlowVersionSchema>, FlowVersion>>,
  Holds<Same<Static<typeof DeploymentRecordSchema>, DeploymentRecord>>,
  Holds<Same<Static<typeof FlowBundleSchema>, FlowBundle>>,
];

/**
 * Returns `id` when it is a usable flow id, else throws FLOW_ID_INVALID. Ids reach file names
 * (state snapshots) and URLs, so anything outside the flow format's pattern is refused, as are
 * `.` and `..`, which the pattern alone would let through.
 */
export function checkFlowId(id: unknown): string {
  const fits = flowIdValidator.Check(id) && !/^\.+$/.test(id);
  if (fits) return id;
  const shown = typeof id === "string" ? JSON.stringify(id.slice(0, 64)) : typeof id;
  throw new AiotError("FLOW_ID_INVALID", `invalid flow id ${shown}: use 1-128 letters, digits, _ . : - (not only dots)`, { path: "id" });
}

/**
 * Problems with one flow's versions: numbered 1..n in order, all of `flowId`, each document with
 * that id and the hash of its canonical JSON. `at(i)` names version i's place in the file.
 */
export function versionProblems(flowId: string, versions: readonly FlowVersion[], at: (index: number) => string): StoreProblem[] {
  const problems: StoreProblem[] = [];
  versions.forEach((version, index) => {
    const path = at(index);
    if (version.flowId !== flowId) problems.push({ path: `${path}.flowId`, message: `must be "${flowId}"` });
    if (version.version !== index + 1) problems.push({ path: `${path}.version`, message: `must be ${index + 1} (versions are numbered 1, 2, 3 ... in order)` });
    if (version.document.id !== flowId) problems.push({ path: `${path}.document.id`, message: `must be "${flowId}"` });
    if (version.hash !== contentHash(version.document)) {
      problems.push({ path: `${path}.hash`, message: `version ${version.version}'s document does not match its hash (changed after it was saved)` });
    }
  });
  return problems;
}

/** The checks on flows.json that its schema cannot express; each problem names its JSON path. */
export function flowsFileProblems(data: FlowsFile): StoreProblem[] {
  const problems: StoreProblem[] = [];
  const seen = new Set<string>();
  data.flows.forEach((flow, index) => {
    if (seen.has(flow.id)) problems.push({ path: `flows[${index}].id`, message: `duplicate flow id "${flow.id}"` });
    seen.add(flow.id);
    const indexes = data.versions.flatMap((version, i) => (version.flowId === flow.id ? [i] : []));
    const versions = indexes.map((i) => data.versions[i]!);
    problems.push(...versionProblems(flow.id, versions, (i) => `versions[${indexes[i]}]`));
    if (versions.length !== flow.latestVersion) {
      problems.push({ path: `flows[${index}].latestVersion`, message: `is ${flow.latestVersion} but the file holds ${versions.length} versions of "${flow.id}"` });
    }
    for (const field of ["deployedVersion", "lastGoodVersion"] as const) {
      const version = flow[field];
      if (version !== undefined && version > versions.length) problems.push({ path: `flows[${index}].${field}`, message: `version ${version} does not exist` });
    }
  });
  data.versions.forEach((version, index) => {
    if (!seen.has(version.flowId)) problems.push({ path: `versions[${index}].flowId`, message: `no flow "${version.flowId}"` });
  });
  data.deployments.forEach((deployment, index) => {
    if (!seen.has(deployment.flowId)) problems.push({ path: `deployments[${index}].flowId`, message: `no flow "${deployment.flowId}"` });
  });
  return problems;
}
