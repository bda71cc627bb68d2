import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Static } from "typebox";
import type { DeployReport } from "../core/engine.ts";
import type { NodeMetricsSnapshot } from "../core/metrics.ts";
import type { AuditRecord } from "../contract/audit-record.ts";
import type { DeploymentRecord, FlowDiff, FlowRecord, FlowVersionInfo } from "../contract/flow-records.ts";
import type { Principal, TokenInfo, UserRecord } from "../contract/access.ts";
import type { RunningFlowState } from "../local/local-runtime.ts";
import * as schemas from "./schemas.ts";

/** true only when A and B are assignable both ways (readonly aside). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

describe("API schemas", () => {
  it("mirror the store contract's types (checked by tsc)", () => {
    const mirrors: Array<true> = [
      true satisfies Same<Static<typeof schemas.FlowRecordSchema>, FlowRecord>,
      true satisfies Same<Static<typeof schemas.FlowVersionInfoSchema>, FlowVersionInfo>,
      true satisfies Same<Static<typeof schemas.FlowDiffSchema>, FlowDiff>,
      true satisfies Same<Static<typeof schemas.DeploymentRecordSchema>, DeploymentRecord>,
      true satisfies Same<Static<typeof schemas.DeployReportSchema>, DeployReport>,
      true satisfies Same<Static<typeof schemas.AuditRecordSchema>, AuditRecord>,
      true satisfies Same<Static<typeof schemas.UserRecordSchema>, UserRecord>,
      true satisfies Same<Static<typeof schemas.TokenInfoSchema>, TokenInfo>,
      true satisfies Same<Static<typeof schemas.PrincipalSchema>, Principal>,
      true satisfies Same<Static<typeof schemas.RunningFlowStateSchema>, RunningFlowState>,
      true satisfies Same<Static<typeof schemas.NodeMetricsSchema>, NodeMetricsSnapshot>,
    ];
    assert.equal(mirrors.length, 11);
  });

  it("names every published schema once", () => {
    const names = schemas.COMPONENT_SCHEMAS.map((s) => JSON.parse(JSON.stringify(s))["x-component"]);
    assert.equal(new Set(names).size, names.length);
    assert.ok(names.every((n) => typeof n === "string"));
  });
});
