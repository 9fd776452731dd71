/**
 * Live updates in a real browser against the real server (demo mode, embedded PGlite):
 * 1. the demo owner's workspace page is open; spend is added in the demo's Meta emulator and Refresh
 *    is clicked; the in-process worker syncs and the spend KPI changes on screen without a page load;
 * 2. a sync chunk committed by another process (through the server's PGlite socket, as
 *    `spendlane sync` would, so NOTIFY does not reach the server and its poll must find the change)
 *    changes a KPI, highlights the changed card only, and sync progress drives a progress bar.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import path from "node:path";
import postgres from "postgres";
import type { Browser, Page } from "playwright-core";
import { launchBrowser, screenshot } from "./helpers/browser";
import { startServer, type RunningServer } from "./helpers/server";
import { publishEvent } from "../../app/.server/realtime/publish";

let server: RunningServer;
let browser: Browser;
let sql: postgres.Sql;

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const { url } = JSON.parse(fs.readFileSync(path.join(server.dataDir, "socket.json"), "utf8")) as { url: string };
  sql = postgres(url, { max: 1, onnotice: () => {} });
});

afterAll(async () => {
  await sql?.end({ timeout: 2 });
  await browser?.close();
  await server?.stop();
});

async function logIn(page: Page) {
  const login = server.demoLogin!;
  await page.goto("/login");
  await page.getByLabel("Email").fill(login.email);
  await page.getByLabel("Password").fill(login.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL((u) => u.pathname.startsWith("/a/"));
}

/** Logs in, opens a workspace dashboard and waits for its live stream; counts full page loads from then on. */
async function openLiveDashboard(path: string) {
  const context = await browser.newContext({ baseURL: server.url, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await logIn(page);
  let count = 0;
  page.on("framenavigated", (f) => {
    if (f === page.mainFrame()) count++;
  });
  await page.goto(path);
  await page.waitForSelector('[data-live="on"]');
  return { context, page, navigations: () => count };
}

/** Yesterday in `timeZone` (the dashboard's default range ends there; incremental syncs re-read it). */
function yesterdayIn(timeZone: string): string {
  const today = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
  return new Date(Date.parse(`${today}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
}

describe("live updates in the browser", () => {
  it("spend added in Meta (the emulator) appears on the open dashboard after Refresh, without a reload", { timeout: 2_400_000 }, async () => {
    const [acct] = await sql<{ workspace_slug: string; agency_slug: string; meta_account_id: string; currency: string; timezone_name: string }[]>`
      select w.slug as workspace_slug, g.slug as agency_slug, a.meta_account_id, a.currency, a.timezone_name
      from public.ad_accounts a join public.workspaces w on w.id = a.workspace_id join public.agencies g on g.id = a.agency_id
      where g.slug = 'northwind' order by w.slug, a.meta_account_id limit 1`;
    expect(acct, "the demo connects its workspaces to the emulator on start").toBeDefined();
    const { context, page, navigations } = await openLiveDashboard(`/a/${acct!.agency_slug}/w/${acct!.workspace_slug}`);
    // The demo backfills on start; the numbers grow live meanwhile. Wait until it is done.
    const refresh = page.getByRole("button", { name: "Refresh" });
    // (with ads and audience breakdowns the demo's 13-month backfill takes minutes on a busy machine)
    await refresh.waitFor({ timeout: 600_000 });
    await expect.poll(() => refresh.isEnabled(), { timeout: 600_000, interval: 1000 }).toBe(true);
    // The starting figure comes from a fresh load, so a live update still on its way cannot be
    // mistaken for the one this test makes; page loads are counted from here on.
    await page.reload();
    await page.waitForSelector('[data-live="on"]');
    await expect.poll(() => refresh.isEnabled(), { timeout: 600_000, interval: 1000 }).toBe(true);
    const card = page.locator(`[data-metric="spend"][data-currency="${acct!.currency}"]`);
    const before = Number(await card.getAttribute("data-value"));
    const navigationsBefore = navigations();

    const res = await fetch(`${server.emulatorUrl}/__emulator/activity`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ account: acct!.meta_account_id, date: yesterdayIn(acct!.timezone_name), spend: "1234.5" }),
    });
    expect(res.status).toBe(200);
    await refresh.click();
    // The embedded engine's worker runs two syncs at a time, and the demo's other accounts may still
    // be backfilling: the refresh can wait behind them for minutes on a busy machine.
    await expect.poll(async () => Number(await card.getAttribute("data-value")), { timeout: 600_000, interval: 250 }).toBeCloseTo(before + 1234.5, 2);
    expect(navigations()).toBe(navigationsBefore);
    expect(await page.evaluate(() => performance.getEntriesByType("navigation").length)).toBe(1);
    await screenshot(page, "live-after-refresh");
    await context.close();
  });

  it("a committed sync chunk changes the KPI on screen without a reload; progress shows as a bar", async () => {
    expect(server.demoLogin).not.toBeNull();
    // A new client of the demo agency with an ad account and a month of facts (what a finished
    // backfill leaves); its writer is this process, not the server's worker.
    const [ws] = await sql<{ id: string; agency_id: string; slug: string; agency_slug: string }[]>`
      insert into public.workspaces (agency_id, name, slug)
      select a.id, 'Live E2E Client', 'live-e2e-client' from public.agencies a where a.slug = 'northwind'
      returning id, agency_id, slug, 'northwind' as agency_slug`;
    expect(ws).toBeDefined();
    const accountId = await sql.begin(async (tx) => {
      const [acct] = await tx<{ id: string }[]>`
        insert into public.ad_accounts (agency_id, workspace_id, meta_account_id, name, currency, timezone_name, sync_status, sync_progress, last_synced_at, last_incremental_at, backfilled_since)
        values (${ws!.agency_id}, ${ws!.id}, 'act_5550001', 'Live E2E Account', 'USD', 'UTC', 'ok', 100, now(), now(), current_date - 400)
        returning id`;
      await tx`insert into public.campaigns (ad_account_id, meta_campaign_id, workspace_id, name, status, effective_status)
        values (${acct!.id}, '1', ${ws!.id}, 'Always on', 'ACTIVE', 'ACTIVE')`;
      await tx`insert into public.insights_daily (ad_account_id, meta_campaign_id, date, publisher_platform, workspace_id, spend, impressions, clicks)
        select ${acct!.id}, '1', d::date, 'facebook', ${ws!.id}, 10, 1000, 10
        from generate_series(current_date - 27, current_date - 1, interval '1 day') d`;
      await tx`update public.data_versions set version = version + 1 where workspace_id = ${ws!.id}`;
      return acct!.id;
    });

    const { context, page, navigations } = await openLiveDashboard(`/a/${ws!.agency_slug}/w/${ws!.slug}`);
    const spend = page.locator('[data-metric="spend"][data-currency="USD"]');
    await expect.poll(() => spend.getAttribute("data-value"), { timeout: 90_000 }).toBe("270");
    const navigationsBefore = navigations();
    await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
    const updatedBefore = await page.locator("[data-updated-ago]").textContent();

    // A sync chunk: replace one day's fact (10 -> 35.5), bump the version and publish, in one transaction.
    await sql.begin(async (tx) => {
      await tx`update public.insights_daily set spend = 35.5 where ad_account_id = ${accountId} and date = current_date - 2`;
      const [v] = await tx<{ version: string }[]>`update public.data_versions set version = version + 1 where workspace_id = ${ws!.id} returning version`;
      await publishEvent(tx, { type: "data", workspaceId: ws!.id, version: Number(v!.version) });
      await tx`update public.ad_accounts set last_synced_at = now() where id = ${accountId}`;
    });
    // The new value, highlighted as changed, checked in the page in one go: the highlight lasts 1.6 s,
    // which a second round trip from a loaded test process could miss.
    await page.waitForFunction(
      () => {
        const card = document.querySelector('[data-metric="spend"][data-currency="USD"]');
        return card?.getAttribute("data-value") === "295.5" && card.hasAttribute("data-live-changed");
      },
      undefined,
      { timeout: 90_000 },
    );
    // only the changed card, and still the same document: no navigation, no full load
    expect(await page.locator('[data-metric="impressions"][data-live-changed]').count()).toBe(0);
    expect(navigations()).toBe(navigationsBefore);
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    expect(await page.evaluate(() => performance.getEntriesByType("navigation").length)).toBe(1);
    await screenshot(page, "live-kpi-updated");

    // "Synced N s ago" ticks in the browser.
    await expect.poll(async () => page.locator("[data-updated-ago]").textContent()).not.toBe(updatedBefore);
    expect(await page.locator("[data-updated-ago]").textContent()).toMatch(/^Synced \d+ s ago$/);

    // Sync progress of a running refresh shows as a progress bar, and goes away when it finishes.
    const runId = await sql.begin(async (tx) => {
      const [run] = await tx<{ id: string }[]>`
        insert into public.sync_runs (agency_id, workspace_id, ad_account_id, kind, status, progress, started_at)
        values (${ws!.agency_id}, ${ws!.id}, ${accountId}, 'incremental', 'running', 40, now()) returning id`;
      await publishEvent(tx, { type: "progress", workspaceId: ws!.id, adAccountId: accountId, runId: run!.id, progress: 40 });
      return run!.id;
    });
    const bar = page.getByRole("progressbar", { name: "Syncing Live E2E Account" });
    await expect.poll(() => bar.getAttribute("aria-valuenow"), { timeout: 90_000 }).toBe("40");
    await sql.begin(async (tx) => {
      await tx`update public.sync_runs set status = 'succeeded', progress = 100, finished_at = now() where id = ${runId}`;
      await publishEvent(tx, { type: "progress", workspaceId: ws!.id, adAccountId: accountId, runId, progress: 100, status: "succeeded" });
    });
    await bar.waitFor({ state: "detached" });
    expect(navigations()).toBe(navigationsBefore);
    await context.close();
  });
});
