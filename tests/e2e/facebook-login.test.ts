/**
 * "Continue with Facebook" in a real browser: the real server configured with a Meta app whose
 * www and graph sides are the local Meta emulator. Chromium follows the redirect to the emulator's
 * dialog, approves as a seeded Facebook user, comes back, finishes sign-up, and on a second visit
 * goes straight in.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { startEmulator, DEFAULT_APP_ID, DEFAULT_APP_SECRET, type RunningEmulator } from "../../emulator/meta-graph";
import { launchBrowser, screenshot } from "./helpers/browser";
import { startServer, type RunningServer } from "./helpers/server";

let emu: RunningEmulator;
let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, seed: "e2e-facebook" });
  server = await startServer({
    // a real Meta app (played by this emulator), not the demo
    env: { SPENDLANE_DEMO: "0", META_APP_ID: DEFAULT_APP_ID, META_APP_SECRET: DEFAULT_APP_SECRET, META_GRAPH_URL: emu.url, META_WEB_URL: emu.url },
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await emu?.close();
});

describe("Continue with Facebook", () => {
  it("signs a new Facebook user up, then logs them straight in", async () => {
    const context = await browser.newContext({ baseURL: server.url });
    const page = await context.newPage();
    await page.goto("/login");
    await page.getByRole("button", { name: "Continue with Facebook" }).click();
    await page.waitForURL((u) => u.toString().startsWith(emu.url));
    await screenshot(page, "facebook-dialog");
    await page.getByRole("button", { name: "Approve as Alice Martin" }).click();
    await page.waitForURL(/\/signup\?via=facebook$/);
    await expect.poll(() => page.getByText("Signed in with Facebook as Alice Martin").isVisible()).toBe(true);
    await expect.poll(() => page.getByLabel("Email").inputValue()).toBe("alice@example.test");
    await page.getByLabel("Agency name").fill("Martin Performance");
    await page.getByRole("button", { name: "Create agency" }).click();
    await page.waitForURL(/\/a\/martin-performance$/);
    // log out lives in the user menu
    await page.locator("[data-user-menu] > summary").click();
    await page.getByRole("button", { name: "Log out" }).click();
    await page.waitForURL(/\/login$/);

    await page.getByRole("button", { name: "Continue with Facebook" }).click();
    await page.getByRole("button", { name: "Approve as Alice Martin" }).click();
    await page.waitForURL(/\/a\/martin-performance$/);
    await context.close();
  });

  it("Deny brings the person back to the login page with a notice", async () => {
    const context = await browser.newContext({ baseURL: server.url });
    const page = await context.newPage();
    await page.goto("/login");
    await page.getByRole("button", { name: "Continue with Facebook" }).click();
    await page.locator('[data-testid="deny-100000000000002"]').click();
    await page.waitForURL(/\/login\?fb=denied$/);
    await expect.poll(() => page.getByText("Facebook login was cancelled.").isVisible()).toBe(true);
    await context.close();
  });
});
