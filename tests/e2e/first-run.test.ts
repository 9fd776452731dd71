/**
 * First run and the demo, in a real browser against the real server (demo mode: built-in Meta
 * emulator with the demo's account mix, demo agency backfilled on start):
 * 1. a brand-new agency signs up and follows the setup checklist on its overview to its first
 *    numbers: add a client → connect Meta through the emulator's login dialog → attach an ad account
 *    → first numbers; the checklist is computed from real state and its next steps stay open;
 * 2. the demo: overview and the main client at 1440 and 375 px, the main client's ROAS is not
 *    loss-making in any currency, the client whose connection needs re-authorisation says so;
 * 3. every page at 375 px: no sideways scroll, nothing sticking out of the viewport.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchBrowser, OUTCOME_TIMEOUT_MS, screenshot } from "./helpers/browser";
import { startServer, type RunningServer } from "./helpers/server";

let server: RunningServer;
let browser: Browser;
let owner: BrowserContext;
let page: Page;

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  owner = await browser.newContext({ baseURL: server.url, viewport: { width: 1440, height: 900 } });
  page = await owner.newPage();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const poll = <T>(fn: () => T | Promise<T>, timeout = OUTCOME_TIMEOUT_MS) => expect.poll(fn, { timeout, interval: 250 });
const path = (p: Page) => new URL(p.url()).pathname;
const step = (p: Page, key: string) => p.locator(`[data-testid="setup-checklist"] [data-step="${key}"]`);

/** Horizontal overflow of the page, and elements reaching past the viewport outside a scroll box. */
async function overflow(p: Page): Promise<{ scroll: number; outside: string[] }> {
  return p.evaluate(() => {
    const w = document.documentElement.clientWidth;
    const outside = [...document.querySelectorAll("body *")]
      .filter((el) => {
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.right > w + 1 && !el.closest(".overflow-x-auto, .overflow-auto, .sr-only") && getComputedStyle(el).position !== "fixed";
      })
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}.${String((el as HTMLElement).className).slice(0, 80)} "${(el.textContent ?? "").trim().slice(0, 40)}"`);
    return { scroll: document.documentElement.scrollWidth - w, outside };
  });
}

async function logIn(p: Page, email: string, password: string) {
  await p.goto("/login");
  await p.getByLabel("Email").fill(email);
  await p.getByLabel("Password").fill(password);
  await p.getByRole("button", { name: "Log in" }).click();
}

describe("first run", () => {
  it("a brand-new agency follows the setup checklist to its first numbers", async () => {
    const context = await browser.newContext({ baseURL: server.url, viewport: { width: 1440, height: 900 } });
    const p = await context.newPage();
    await p.goto("/signup");
    await p.getByLabel("Your name").fill("Robin Lake");
    await p.getByLabel("Work email").fill("robin@lakeside.example");
    await p.getByLabel("Password").fill("first-run-password-7");
    await p.getByLabel("Agency name").fill("Lakeside Media");
    await p.getByRole("button", { name: "Create agency" }).click();
    await poll(() => path(p)).toBe("/a/lakeside-media");

    // an empty agency: a checklist, and no "Offline" next to the empty list
    await step(p, "client").waitFor();
    expect(await p.locator("[data-live]").count()).toBe(0);
    expect(await p.getByText("Offline").count()).toBe(0);
    expect(await step(p, "client").getAttribute("data-done")).toBe("false");
    await screenshot(p, "first-run-empty-1440");

    // 1. add a client
    await step(p, "client").getByRole("link").click();
    await poll(() => path(p)).toBe("/a/lakeside-media/clients");
    await p.getByLabel("Client name").fill("Harbor Bikes");
    await p.getByRole("button", { name: "Add client" }).click();
    await p.getByText("Added Harbor Bikes.").waitFor();
    // the client's row is a link to its workspace
    expect(await p.locator('[data-client="harbor-bikes"] a').getAttribute("href")).toBe("/a/lakeside-media/w/harbor-bikes");

    // 2. connect Meta, from the checklist, through the emulator's login dialog
    await p.goto("/a/lakeside-media");
    await poll(() => step(p, "client").getAttribute("data-done")).toBe("true");
    await step(p, "meta").getByRole("link").click();
    await poll(() => path(p)).toBe("/a/lakeside-media/w/harbor-bikes/connections");
    await p.getByRole("button", { name: "Connect Meta" }).click();
    await p.waitForURL((u) => u.toString().startsWith(server.emulatorUrl));
    await p.getByRole("button", { name: "Approve as Alice Martin" }).click();
    await p.waitForURL((u) => u.pathname === "/a/lakeside-media/w/harbor-bikes/connections");

    // 3. attach an ad account (a small one of the demo's: five campaigns)
    const picker = p.getByRole("form", { name: "Choose ad accounts" });
    await picker.waitFor();
    await picker.getByRole("checkbox", { name: /Blue Harbor Coffee UK/ }).check();
    await picker.getByRole("button", { name: "Attach selected" }).click();
    await p.getByRole("list", { name: "Attached ad accounts" }).getByText("Blue Harbor Coffee UK").waitFor();

    // 4. first numbers: the backfill's first chunk lands (it queues behind the demo's own backfills)
    await expect
      .poll(
        async () => {
          await p.goto("/a/lakeside-media");
          await step(p, "numbers").waitFor();
          return step(p, "numbers").getAttribute("data-done");
        },
        { timeout: 900_000, interval: 3000 },
      )
      .toBe("true");
    for (const k of ["client", "meta", "accounts"]) expect(await step(p, k).getAttribute("data-done")).toBe("true");
    // the next steps stay open, each with a link to where it is done
    expect(await step(p, "invite").getByRole("link").getAttribute("href")).toBe("/a/lakeside-media/w/harbor-bikes/settings");
    expect(await step(p, "report").getByRole("link").getAttribute("href")).toBe("/a/lakeside-media/w/harbor-bikes/reports");
    await p.locator('[data-client="harbor-bikes"] td[data-value]').first().waitFor();
    expect(Number(await p.locator('[data-client="harbor-bikes"] td[data-value]').first().getAttribute("data-value"))).toBeGreaterThan(0);
    await screenshot(p, "first-run-numbers-1440");
    await p.setViewportSize({ width: 375, height: 812 });
    await poll(async () => (await overflow(p)).scroll).toBeLessThanOrEqual(1);
    await screenshot(p, "first-run-numbers-375");
    await context.close();
  }, 1_000_000);

  it("the demo: overview and the main client at 1440 and 375 px, no loss-making ROAS on it", async () => {
    await logIn(page, server.demoLogin!.email, server.demoLogin!.password);
    await poll(() => path(page)).toBe("/a/northwind");
    // the main client's backfill is done when Refresh is possible again
    await page.goto("/a/northwind/w/acme-outdoor");
    const refresh = page.getByRole("button", { name: "Refresh" });
    await refresh.waitFor({ timeout: 600_000 });
    await expect.poll(() => refresh.isEnabled(), { timeout: 600_000, interval: 1000 }).toBe(true);
    await page.reload();
    const roas = page.locator('[data-metric="roas"]');
    await roas.first().waitFor();
    // one ROAS card per currency (USD and EUR): all of them at least break-even
    const values = await roas.evaluateAll((els) => els.map((e) => [(e as HTMLElement).dataset.currency, Number((e as HTMLElement).dataset.value)] as const));
    expect(values.length).toBeGreaterThanOrEqual(2);
    for (const [currency, v] of values) expect(v, `ROAS in ${currency}`).toBeGreaterThanOrEqual(1);
    // the chart's metric is kept in the URL
    await page.getByTestId("chart-metric").first().selectOption("roas");
    await poll(() => new URL(page.url()).searchParams.get("metric")).toBe("roas");
    await page.reload();
    await poll(() => page.getByTestId("chart-metric").first().inputValue()).toBe("roas");
    await screenshot(page, "first-run-demo-client-1440");

    await page.goto("/a/northwind");
    await page.locator('[data-client="acme-outdoor"]').first().waitFor();
    // every state: the client whose Meta connection Meta no longer accepts says so
    await poll(() => page.locator('[data-client="hudson-legal"]').getByText("Needs re-authorisation").isVisible(), 300_000).toBe(true);
    await screenshot(page, "first-run-demo-overview-1440");

    await page.setViewportSize({ width: 375, height: 812 });
    await page.reload();
    await page.locator('[data-client="acme-outdoor"]').first().waitFor();
    await poll(() => overflow(page)).toEqual({ scroll: 0, outside: [] });
    await screenshot(page, "first-run-demo-overview-375");
    await page.goto("/a/northwind/w/acme-outdoor?metric=roas");
    await page.locator('[data-metric="roas"]').first().waitFor();
    await poll(() => overflow(page)).toEqual({ scroll: 0, outside: [] });
    await screenshot(page, "first-run-demo-client-375");
    await page.setViewportSize({ width: 1440, height: 900 });
  }, 1_000_000);

  it("every page at 375 px: no sideways scroll, nothing cut off at the edge", async () => {
    await page.setViewportSize({ width: 375, height: 812 });
    const ws = "/a/northwind/w/acme-outdoor";
    await page.goto(ws);
    const campaign = await page.locator('table[data-testid^="campaign-table-"] tbody tr[data-campaign] th a').first().getAttribute("href");
    await page.goto(campaign!);
    const adset = await page.locator('table[data-testid="adset-table"] tbody tr[data-adset] th a').first().getAttribute("href");
    const pages = [
      "/a/northwind",
      "/a/northwind/clients",
      "/a/northwind/alerts",
      "/a/northwind/alerts/settings",
      "/a/northwind/team",
      "/a/northwind/billing",
      "/a/northwind/branding",
      "/a/northwind/audit",
      "/account",
      ws,
      campaign!,
      adset!,
      `${ws}/alerts`,
      `${ws}/connections`,
      `${ws}/reports`,
      `${ws}/settings`,
      "/a/northwind/w/hudson-legal",
      "/a/northwind/w/hudson-legal/connections",
      `/dev/outbox`,
    ];
    const failures: string[] = [];
    for (const url of pages) {
      const res = await page.goto(url);
      expect(res?.status(), url).toBe(200);
      await page.locator("main h1, h1").first().waitFor();
      const o = await overflow(page);
      if (o.scroll > 1 || o.outside.length) failures.push(`${url}: scroll ${o.scroll}px; ${o.outside.join(", ")}`);
      await screenshot(page, `first-run-375${url.replace(/[/?=&]+/g, "-")}`);
    }
    // the pages of someone not logged in
    const anon = await browser.newContext({ baseURL: server.url, viewport: { width: 375, height: 812 } });
    const ap = await anon.newPage();
    for (const url of ["/login", "/signup", "/forgot-password"]) {
      await ap.goto(url);
      await ap.locator("h1").first().waitFor();
      const o = await overflow(ap);
      if (o.scroll > 1 || o.outside.length) failures.push(`${url}: scroll ${o.scroll}px; ${o.outside.join(", ")}`);
    }
    // the app's icons and robots.txt are served from public/
    for (const [asset, type] of [
      ["/favicon.ico", "image/"],
      ["/favicon.svg", "image/svg+xml"],
      ["/apple-touch-icon.png", "image/png"],
      ["/robots.txt", "text/plain"],
      ["/site.webmanifest", "application/manifest+json"],
    ] as const) {
      const r = await ap.request.get(asset);
      expect(r.status(), asset).toBe(200);
      expect(r.headers()["content-type"], asset).toContain(type);
    }
    await anon.close();
    expect(failures).toEqual([]);
  }, 300_000);
});
