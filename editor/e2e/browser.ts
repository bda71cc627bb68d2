/** The headless Chromium every browser test drives: Debian's package, never a download. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import type { Logger } from "../../runtime/sdk/define.ts";

export const CHROMIUM = "/usr/bin/chromium";

/** `describe`'s skip option: the tests run wherever Chromium is installed (`.ci/run` installs it). */
export const SKIP_WITHOUT_CHROMIUM: string | false = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is missing: install it with \`apt-get install -y chromium\` to run the browser tests`;

/** Launches Chromium with its crash reporter writing under `temp` (it uses $XDG_CONFIG_HOME whatever the profile). */
export function launchChromium(temp: string): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    env: { ...process.env, XDG_CONFIG_HOME: join(temp, "xdg") },
  });
}

/** A server logger that keeps its error lines, so each browser suite can end by checking there were none. */
export function errorCollectingLogger(errors: string[]): Logger {
  const ignore = () => {};
  return { debug: ignore, info: ignore, warn: ignore, error: (message) => void errors.push(message) };
}

/** What an API call answered: its status and parsed JSON body (loosely typed: tests look into it). */
export type ApiAnswer = { status: number; body: any };

/** Logs in to the server at `url` and returns a JSON caller carrying that user's bearer token. */
export async function apiClient(url: string, password: string, username = "admin"): Promise<(method: string, path: string, body?: unknown) => Promise<ApiAnswer>> {
  const login = await fetch(`${url}/api/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username, password }) });
  if (!login.ok) throw new Error(`login as ${username} failed: ${login.status} ${await login.text()}`);
  const { token } = (await login.json()) as { token: string };
  return async (method, path, body) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: await response.json() };
  };
}
