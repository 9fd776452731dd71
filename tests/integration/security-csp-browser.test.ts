/**
 * The CSP in a real browser (Debian's Chromium through playwright-core): the app hydrates and
 * navigates with every script allowed only by its nonce, and a script injected without the nonce
 * (what an XSS would do) is blocked.
 */
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeVite, startTestServer, type TestServer } from "./security-harness";

let server: TestServer;
let browser: Browser;
beforeAll(async () => {
  server = await startTestServer({}, { browser: true });
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ["--no-sandbox"] });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await closeVite();
});

describe("content security policy in the browser", () => {
  it("lets the app hydrate and navigate, and blocks an injected script without the nonce", async () => {
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on("console", (m) => {
      // The harness serves modules through Vite's dev server, whose client also tries its HMR
      // websocket; that is dev tooling (allowed in development only), not the app.
      if (/Content Security Policy/i.test(m.text()) && !/'ws:\/\/[^']*' violates the following Content Security Policy directive: "connect-src/.test(m.text()))
        violations.push(m.text());
    });
    await page.goto(`${server.url}/login`, { waitUntil: "networkidle" });
    const hydrated = await page.evaluate(() => {
      const w = window as unknown as { __remixRouter?: { state: { initialized: boolean } } };
      return !!w.__remixRouter?.state.initialized;
    });
    expect(hydrated).toBe(true);
    expect(violations).toEqual([]);

    // client-side navigation (a data fetch) works under the policy
    await page.click('a[href="/signup"]');
    await page.waitForURL("**/signup");
    expect(await page.title()).toMatch(/Create your agency/);

    // What an HTML injection would try: an inline event handler (innerHTML) and a parser-inserted
    // inline script (document.write), neither carrying the nonce. ('strict-dynamic' trusts scripts
    // that trusted scripts create with createElement, so that is not what we try here.)
    const before = violations.length;
    const handler = await page.evaluate(async () => {
      const div = document.createElement("div");
      div.innerHTML = '<img src="data:," onerror="window.__handler = true">';
      document.body.append(div);
      await new Promise((r) => setTimeout(r, 300));
      return !!(window as unknown as { __handler?: boolean }).__handler;
    });
    const injected = await page.evaluate(async () => {
      document.write('<p>injected</p><script>window.__injected = true<\/script>');
      document.close();
      await new Promise((r) => setTimeout(r, 300));
      return !!(window as unknown as { __injected?: boolean }).__injected;
    });
    expect(handler).toBe(false);
    expect(injected).toBe(false);
    const refused = violations.slice(before);
    expect(refused.some((v) => /inline event handler/i.test(v))).toBe(true);
    expect(refused.some((v) => /inline script/i.test(v))).toBe(true);
    expect(refused.every((v) => /script-src/.test(v))).toBe(true);
    await page.close();
  });
});
