/** The admin API's version, deploy and identity routes as the history panel, deploy progress and role checks use them. */
import type { FlowDocument } from "../../runtime/contract/flow-format.ts";
import type { DeploymentRecord, FlowDiff, FlowVersionInfo } from "../../runtime/contract/flow-records.ts";
import { call, type FlowRecord } from "./api.ts";

/** The API answers with the store's own records: one definition, shared with the runtime. */
export type VersionInfo = FlowVersionInfo;
export type Deployment = DeploymentRecord;

export interface FlowRecordFull extends FlowRecord {
  readonly lastGoodVersion?: number;
}

const flowPath = (id: string) => `/api/flows/${encodeURIComponent(id)}`;
type Deployed = { flow: FlowRecordFull; deployment: Deployment };

export const versionsApi = {
  me: () => call<{ principal: { username: string; role: string } }>("GET", "/api/auth/me"),
  record: (id: string) => call<{ flow: FlowRecordFull }>("GET", flowPath(id)),
  versions: (id: string) => call<{ versions: VersionInfo[] }>("GET", `${flowPath(id)}/versions`),
  version: (id: string, version: number) => call<{ version: VersionInfo & { document: FlowDocument } }>("GET", `${flowPath(id)}/versions/${version}`),
  diff: (id: string, from: number, to: number) => call<{ from: number; to: number; diff: FlowDiff }>("GET", `${flowPath(id)}/diff?from=${from}&to=${to}`),
  deployments: (id: string) => call<{ deployments: Deployment[] }>("GET", `${flowPath(id)}/deployments`),
  runtime: () => call<{ flows: Array<{ flowId: string; version: number; state: string }> }>("GET", "/api/runtime"),
  restore: (id: string, version: number, baseVersion: number) =>
    call<{ flow: FlowRecordFull; version: VersionInfo }>("POST", `${flowPath(id)}/versions/${version}/restore`, { baseVersion }),
  deploy: (id: string) => call<Deployed>("POST", `${flowPath(id)}/deploy`, {}),
  rollback: (id: string) => call<Deployed>("POST", `${flowPath(id)}/rollback`),
  stop: (id: string) => call<{ flow: FlowRecordFull; stopped: boolean }>("POST", `${flowPath(id)}/stop`),
};
