import type { Catalog } from "../core/validate.ts";
import type { ConnectionTester } from "../connections/tester.ts";
import type { AssetStore } from "../store/assets.ts";
import type { HttpIngressRegistry } from "../connections/http-ingress.ts";
import type { Logger } from "../sdk/define.ts";
import type { AuditLog } from "../store/audit-log.ts";
import type { FlowStore } from "../store/flow-store.ts";
import type { LocalRuntime } from "../local/local-runtime.ts";
import type { SecretStore } from "../store/secrets.ts";
import type { UserStore } from "../store/users.ts";
import type { ModelRegistry } from "../ml/model-registry.ts";
import type { FeatureStore } from "../ml/feature-store.ts";
import type { Retrainer } from "../ml/retrain.ts";
import type { EventLimits } from "./events/limits.ts";
import type { LoginLimits } from "./login-guard.ts";
import type { RefusalAuditLimits } from "./refusal-audit.ts";

export interface ApiLimits {
  /** Largest request body accepted (default 1 MiB); bigger ones get 413. */
  readonly bodyBytes?: number;
  /** Largest ONNX file accepted as a raw upload (POST /api/models/:name/upload; default 64 MiB). */
  readonly modelBytes?: number;
  /** A refused login answers no sooner than this after the request came in (default 400 ms). */
  readonly loginFailureDelayMs?: number;
  /** Rate and buffer limits of the live event stream. */
  readonly events?: EventLimits;
  /** Refusal records written one by one per (reason, address) per window; the rest are summarised. */
  readonly refusalAudit?: RefusalAuditLimits;
  /** Login throttling and concurrent password checks. */
  readonly login?: LoginLimits;
}

/** What the admin API is built from; everything is injected, nothing is global. */
export interface ApiDeps {
  readonly catalog: Catalog;
  readonly flows: FlowStore;
  readonly users: UserStore;
  readonly audit: AuditLog;
  readonly secrets: SecretStore;
  readonly runtime: LocalRuntime;
  /** The model registry (`/api/models`); without it those routes answer 503 SERVICE_UNAVAILABLE. */
  readonly models?: ModelRegistry;
  /** The feature store (`/api/features`); absent: those routes answer 503. */
  readonly features?: FeatureStore;
  /** The retraining loop (`/api/retrain`); absent: those routes answer 503. */
  readonly retrain?: Retrainer;
  /** Connection types and "test connection" (POST /api/connections/test); absent: those routes answer 503. */
  readonly connections?: ConnectionTester;
  /** The asset/signal registry (GET/PUT/DELETE /api/assets); absent: those routes answer 503. */
  readonly assets?: AssetStore;
  /** Webhooks of running http-in nodes (POST /api/hooks/<flow>/<node>); absent: that route answers 503. */
  readonly ingress?: HttpIngressRegistry;
  /** false = the `--no-auth` demo mode: every caller is the admin "anonymous". */
  readonly auth: boolean;
  /**
   * `/metrics` answers without a token by default, as Prometheus scrapes it; false asks for a
   * viewer token (configure Prometheus' `authorization` with an API token then).
   */
  readonly publicMetrics?: boolean;
  readonly logger?: Logger;
  readonly limits?: ApiLimits;
}
