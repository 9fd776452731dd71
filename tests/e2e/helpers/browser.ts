/** Chromium for browser tests: the system browser (never a downloaded one), headless and quiet. */
import fs from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * How long a navigation or an action may wait for its outcome. Playwright's 30 s default is too short
 * for a login on a two-core machine while the demo server backfills and another suite runs beside it
 * (argon2 plus a queue of sync transactions on the embedded engine's one connection). A guard against
 * hangs, not a speed check: the speed figures live in bench/.
 */
export const OUTCOME_TIMEOUT_MS = 90_000;

export async function launchBrowser(): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: CHROMIUM_ARGS });
  // Every context gets the same bounds, whichever test file creates it.
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (...args: Parameters<Browser["newContext"]>) => {
    const context = await newContext(...args);
    context.setDefaultTimeout(OUTCOME_TIMEOUT_MS);
    context.setDefaultNavigationTimeout(OUTCOME_TIMEOUT_MS);
    return context;
  };
  return browser;
}

export const ARTIFACTS = path.resolve(import.meta.dirname, "../artifacts");

/** Saves a full-page screenshot under tests/e2e/artifacts/ (git-ignored). */
export async function screenshot(page: Page, name: string) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}
