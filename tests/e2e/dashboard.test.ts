/**
 * The dashboards in a real browser against the real server (demo mode: built-in Meta emulator, demo
 * agency backfilled by the sync's demo hook on start): log in as the demo owner, open the overview,
 * open a client, change the range and the comparison, sort the campaign table, export CSV and check
 * the file against the page; screenshots at 1440 and 375 px.
 */
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchBrowser, OUTCOME_TIMEOUT_MS, screenshot } from "./helpers/browser";
import { startServer, type RunningServer } from "./helpers/server";

let server: RunningServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const context = await browser.newContext({ baseURL: server.url, viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

// the machine is small and shared: give navigations time, but a bounded one
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: OUTCOME_TIMEOUT_MS, interval: 250 });
const num = (s: string | null) => (s == null || s === "" ? null : Number(s));

describe("dashboards in the browser", () => {
  it("logs in as the demo owner and sees the overview fill with data", async () => {
    expect(server.demoLogin).not.toBeNull();
    await page.goto("/login");
    await page.getByLabel("Email").fill(server.demoLogin!.email);
    await page.getByLabel("Password").fill(server.demoLogin!.password);
    await page.getByRole("button", { name: "Log in" }).click();
    await poll(() => new URL(page.url()).pathname).toBe("/a/northwind");
    // the demo backfill runs in the background: reload until a client shows spend (bounded, retrying)
    await expect
      .poll(
        async () => {
          await page.goto("/a/northwind?range=last_28d&compare=previous");
          const cell = page.locator('[data-client="acme-outdoor"] td[data-value]').first();
          await cell.waitFor();
          return num(await cell.getAttribute("data-value")) ?? 0;
        },
        { timeout: 200_000, interval: 2000 },
      )
      .toBeGreaterThan(0);
    await poll(() => page.getByRole("table").locator("[data-client]").count()).toBeGreaterThanOrEqual(3);
    await screenshot(page, "dashboard-overview-1440");
  });

  it("opens a client, changes range and comparison, sorts the table", async () => {
    await page.getByRole("link", { name: "Acme Outdoor" }).click();
    await poll(() => new URL(page.url()).pathname).toBe("/a/northwind/w/acme-outdoor");
    const spendCard = page.locator('[data-metric="spend"]').first();
    await poll(async () => num(await spendCard.getAttribute("data-value")) ?? 0).toBeGreaterThan(0);
    const spend28 = num(await spendCard.getAttribute("data-value"));
    // the page says which attribution window its conversions use
    await poll(() =>
      page
        .getByText(/^Conversions: .+ attribution$/)
        .first()
        .isVisible(),
    ).toBe(true);

    await page.getByLabel("Range", { exact: true }).selectOption("last_7d");
    await poll(() => new URL(page.url()).searchParams.get("range")).toBe("last_7d");
    await poll(async () => num(await page.locator('[data-metric="spend"]').first().getAttribute("data-value"))).not.toBe(spend28);
    const spend7 = num(await page.locator('[data-metric="spend"]').first().getAttribute("data-value"))!;
    expect(spend7).toBeGreaterThan(0);
    expect(spend7).toBeLessThan(spend28!);

    await page.getByLabel("Compare to", { exact: true }).selectOption("year");
    await poll(() => new URL(page.url()).searchParams.get("compare")).toBe("year");
    await poll(() =>
      page
        .getByText(/vs .* last year/)
        .first()
        .isVisible(),
    ).toBe(true);

    // sort by clicks, descending: the rows come back in that order
    await page.locator('a[data-sort="clicks"]').first().click();
    await poll(() => new URL(page.url()).searchParams.get("sort")).toBe("clicks");
    const clicksCol = async () => {
      const table = page.locator('table[data-testid^="campaign-table-"]').first();
      const idx = 2 + 2; // campaign, status, spend, impressions, clicks -> the 3rd metric cell
      return table.locator("tbody tr").evaluateAll((rows, i) => rows.map((r) => Number((r.children[i] as HTMLElement).dataset.value)), idx);
    };
    await poll(async () => {
      const v = await clicksCol();
      return v.length > 1 && v.every((x, i) => i === 0 || v[i - 1] >= x);
    }).toBe(true);
    await page.locator('a[data-sort="clicks"]').first().click();
    await poll(() => new URL(page.url()).searchParams.get("dir")).toBe("asc");
    await poll(async () => {
      const v = await clicksCol();
      return v.every((x, i) => i === 0 || v[i - 1] <= x);
    }).toBe(true);
    await screenshot(page, "dashboard-workspace-1440");
  });

  it("exports the campaign table as CSV that matches the page", async () => {
    const spendCard = page.locator('[data-metric="spend"]').first();
    const currency = await spendCard.getAttribute("data-currency");
    const spend = num(await spendCard.getAttribute("data-value"));
    const [download] = await Promise.all([page.waitForEvent("download"), page.locator('a[data-export="campaigns"]').first().click()]);
    expect(download.suggestedFilename()).toMatch(/^acme-outdoor_\d{4}-\d{2}-\d{2}_\d{4}-\d{2}-\d{2}_campaigns\.csv$/);
    const text = fs.readFileSync((await download.path())!, "utf8");
    const lines = text.trim().split("\n");
    expect(lines[0]).toBe(
      "currency,ad_account_id,campaign_id,campaign,status,spend,impressions,clicks,link_clicks,ctr,cpc,cpm,conversions,cpa,conversion_value,roas",
    );
    const total = lines.find((l) => l.startsWith(`${currency},,,Total,`))!;
    expect(total).toBeDefined();
    expect(Number(total.split(",")[5])).toBe(spend);
  });

  it("renders at 375 px wide without horizontal page scroll", async () => {
    await page.setViewportSize({ width: 375, height: 812 });
    await page.reload();
    await page.locator('[data-metric="spend"]').first().waitFor();
    await poll(() => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(1);
    await screenshot(page, "dashboard-workspace-375");
    await page.goto("/a/northwind");
    await page.locator("[data-client]").first().waitFor();
    const wide = () =>
      page.evaluate(() => {
        const w = document.documentElement.clientWidth;
        return [...document.querySelectorAll("body *")]
          .filter((el) => el.getBoundingClientRect().right > w + 1 && !el.closest(".overflow-x-auto"))
          .slice(0, 5)
          .map((el) => `${el.tagName}.${(el as HTMLElement).className}`.slice(0, 120));
      });
    await poll(wide).toEqual([]);
    // nothing (not even an absolutely positioned screen-reader label in a scrolling table) widens the page
    await poll(() => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(1);
    await screenshot(page, "dashboard-overview-375");
  });
});
