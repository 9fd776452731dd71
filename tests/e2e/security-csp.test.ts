/**
 * The CSP in a real browser (Debian's Chromium through playwright-core) against the production
 * build, served exactly as `npm start` serves it: the app hydrates and navigates with every script
 * allowed only by its nonce, and a script injected without the nonce (what an XSS would do) is
 * blocked. Every step waits for its outcome (hydration, URL and heading, the violation event).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { launchBrowser, OUTCOME_TIMEOUT_MS } from "./helpers/browser";
import { startServer, type RunningServer } from "./helpers/server";

let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const POLL = { timeout: OUTCOME_TIMEOUT_MS, interval: 100 };

describe("content security policy in the browser", () => {
  it("lets the app hydrate and navigate, and blocks an injected script without the nonce", async () => {
    const context = await browser.newContext({ baseURL: server.url });
    const page = await context.newPage();
    const violations: string[] = [];
    page.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    await page.goto("/login");
    await expect
      .poll(
        () =>
          page.evaluate(() => {
            const w = window as unknown as { __remixRouter?: { state: { initialized: boolean } } };
            return !!w.__remixRouter?.state.initialized;
          }),
        POLL,
      )
      .toBe(true);
    expect(violations).toEqual([]);

    // Client-side navigation (a data fetch) works under the policy: wait for what the navigation is
    // about (the URL, then the new page's heading and title), each with a retrying assertion.
    await page.getByRole("link", { name: "Create an agency account" }).click();
    await expect.poll(() => new URL(page.url()).pathname, POLL).toBe("/signup");
    await expect.poll(() => page.getByRole("heading", { name: /Create your agency/ }).isVisible(), POLL).toBe(true);
    await expect.poll(() => page.title(), POLL).toMatch(/Create your agency/);
    expect(violations).toEqual([]);

    // What an HTML injection would try: an inline event handler (innerHTML) and a parser-inserted
    // inline script (document.write), neither carrying the nonce. ('strict-dynamic' trusts scripts
    // that trusted scripts create with createElement, so that is not what we try here.) Each
    // attempt is judged once the browser has reported its refusal, not after a fixed delay.
    const flag = (name: string) => page.evaluate((n) => !!(window as unknown as Record<string, unknown>)[n], name);
    await page.evaluate(() => {
      const div = document.createElement("div");
      div.innerHTML = '<img src="data:," onerror="window.__handler = true">';
      document.body.append(div);
    });
    await expect.poll(() => violations.some((v) => /inline event handler/i.test(v)), POLL).toBe(true);
    expect(await flag("__handler")).toBe(false);

    await page.evaluate(() => {
      document.write("<p>injected</p><script>window.__injected = true</script>");
      document.close();
    });
    await expect.poll(() => violations.some((v) => /inline script/i.test(v)), POLL).toBe(true);
    expect(await flag("__injected")).toBe(false);
    expect(violations.every((v) => /script-src/.test(v))).toBe(true);
    await context.close();
  });
});
