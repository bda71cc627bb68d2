import { ConnectionFailure, defineConnection } from "../../sdk/connections.ts";
import { errorMessage } from "../../sdk/errors.ts";
import { Config, Secret, Type } from "../../sdk/schema.ts";

/** What nodes get: the base URL and the resolved headers (tokens included) to send with every request. */
export interface HttpEndpoint {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

const HttpEndpointConfig = Config({
  url: Type.String({ pattern: "^https?://", description: "Base URL of the HTTP service, e.g. https://historian.plant.local/api." }),
  headers: Type.Record(
    Type.String(),
    Type.Union([Type.String({ description: "A plain header value." }), Secret("A header value from the secret store (tokens, API keys).")], { description: "A header value, plain or a secret reference." }),
    { default: {}, description: "Headers sent with every request (Authorization, API keys)." },
  ),
  healthPath: Type.String({ default: "", description: "Path (after url) that \"test connection\" requests with GET; the base URL when empty." }),
  timeoutMs: Type.Integer({ minimum: 100, default: 5_000, unit: "ms", description: "How long the test request may take." }),
});

export default defineConnection({
  type: "http-endpoint",
  title: "HTTP endpoint",
  summary: "A base URL plus headers (tokens from the secret store) for HTTP services; \"test connection\" checks that it answers and accepts the credentials.",
  docs: `Holds no open socket: HTTP is request by request. Opening resolves the secret headers; "test
connection" sends \`GET <url><healthPath>\` with the headers and reports a refused connection, a timeout,
401/403 (CONNECTION_AUTH_FAILED) or another error status. Any other answer (2xx-4xx except 401/403) counts
as reachable.`,
  config: HttpEndpointConfig,
  examples: [
    { title: "Historian with an API key", config: { url: "https://historian.plant.local/api", headers: { "X-Api-Key": { $secret: "historian-key" } }, healthPath: "/health" } },
  ],
  async open(config, ctx) {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(config.headers)) headers[name.toLowerCase()] = typeof value === "string" ? value : ctx.secret(value);
    return { client: { url: config.url, headers }, describe: config.url, close: async () => undefined };
  },
  async test(config, ctx) {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(config.headers)) headers[name.toLowerCase()] = typeof value === "string" ? value : ctx.secret(value);
    const target = `${config.url.replace(/\/$/, "")}${config.healthPath}`;
    let response: Response;
    try {
      response = await fetch(target, { headers, signal: AbortSignal.timeout(config.timeoutMs) });
      await response.body?.cancel();
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? errorMessage(error.cause) : errorMessage(error);
      if (error instanceof Error && error.name === "TimeoutError") throw new ConnectionFailure("CONNECTION_TIMEOUT", `${target}: no answer within ${config.timeoutMs} ms`);
      if (/ECONNREFUSED/.test(cause)) throw new ConnectionFailure("CONNECTION_REFUSED", `nothing accepts connections at ${target}`);
      if (/certificate|SSL|TLS/i.test(cause)) throw new ConnectionFailure("CONNECTION_TLS_FAILED", `${target}: ${cause}`, true);
      throw new ConnectionFailure("CONNECTION_FAILED", `${target}: ${cause}`);
    }
    if (response.status === 401 || response.status === 403) throw new ConnectionFailure("CONNECTION_AUTH_FAILED", `${target} answered ${response.status}: the credentials in the headers (token, API key) were refused`, true);
    if (response.status >= 500) throw new ConnectionFailure("CONNECTION_FAILED", `${target} answered ${response.status} ${response.statusText}`);
  },
});
