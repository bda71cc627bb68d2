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
