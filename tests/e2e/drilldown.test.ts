/**
 * Drill-down in a real browser against the real server (demo mode: built-in Meta emulator, demo
 * backfill): the owner goes overview -> client -> campaign -> ad set -> ad card, whose creative is
 * loaded from our own origin; range and comparison stay in the URL all the way; a client viewer
 * (invited through the real flow) does the same read-only. Screenshots at 1440 and 375 px, and no
 * sideways scroll at 375 px.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchBrowser, OUTCOME_TIMEOUT_MS, screenshot } from "./helpers/browser";
import { startServer, type RunningServer } from "./helpers/server";

let server: RunningServer;
let browser: Browser;
let owner: Page;

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  owner = await (await browser.newContext({ baseURL: server.url, viewport: { width: 1440, height: 900 } })).newPage();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const poll = <T>(fn: () => T | Promise<T>, timeout = OUTCOME_TIMEOUT_MS) => expect.poll(fn, { timeout, interval: 250 });
const WS = "/a/northwind/w/acme-outdoor";
const path = (p: Page) => new URL(p.url()).pathname;
const param = (p: Page, k: string) => new URL(p.url()).searchParams.get(k);

/**
 * Opens `url` until `selector` is on the page (bounded): the demo backfill fills the pages in the
 * background, and a page that still answers 503 "try again" (a database held past even the tests'
 * 120 s start limit, tests/e2e/helpers/server.ts) is retried too. Each miss is printed (status and
 * heading) so a run's log says what the page showed.
 */
async function untilReady(page: Page, url: string, selector: string, ms = 200_000) {
  const shown = async () => {
    const res = await page.goto(url, { timeout: 60_000 }).catch((e: Error) => e);
    const count = res instanceof Error ? 0 : await page.locator(selector).count();
    if (count === 0) {
      const what =
        res instanceof Error
          ? res.message.split("\n")[0]
          : `${res?.status()} "${
              (await page
                .locator("h1")
                .first()
                .textContent()
                .catch(() => "")) ?? ""
            }"`;
      console.log(`untilReady: ${url} without ${selector}: ${what}`);
    }
    return count;
  };
  await expect.poll(shown, { timeout: ms, interval: 3000, message: `${selector} never appeared on ${url}` }).toBeGreaterThan(0);
}

async function noSideways(page: Page) {
  expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(1);
}

/** Overview -> client -> campaign -> ad set -> ad card; returns the URL of the ad set page. */
async function drill(page: Page, fromOverview: boolean, shot: string): Promise<string> {
  if (fromOverview) {
    await untilReady(page, "/a/northwind?range=last_14d&compare=previous", 'a:has-text("Acme Outdoor")');
    await page.getByRole("link", { name: "Acme Outdoor" }).first().click();
    await poll(() => path(page)).toBe(WS);
  } else {
    await untilReady(page, `${WS}?range=last_14d&compare=previous`, 'table[data-testid^="campaign-table-"] tbody tr[data-campaign]');
  }
  await poll(() => param(page, "range")).toBe("last_14d");
  // the campaign with the most spend: the first row of the table (sorted by spend)
  const first = page.locator('table[data-testid^="campaign-table-"] tbody tr[data-campaign] th a').first();
  await first.waitFor();
  const campaignName = (await first.textContent())!.trim();
  await first.click();
  await poll(() => path(page)).toMatch(new RegExp(`^${WS}/campaigns/\\d+$`));
  expect(param(page, "range")).toBe("last_14d");
  expect(param(page, "compare")).toBe("previous");
  await poll(() => page.getByTestId("drill-title").textContent()).toContain(campaignName);
  await page.locator('[data-breakdown="age_gender"]').waitFor();
  if (shot) await screenshot(page, `${shot}-campaign-1440`);

  const adset = page.locator('table[data-testid="adset-table"] tbody tr[data-adset] th a').first();
  await adset.waitFor();
  const adsetName = (await adset.textContent())!.trim();
  await adset.click();
  await poll(() => path(page)).toMatch(new RegExp(`^${WS}/adsets/\\d+$`));
  expect(param(page, "range")).toBe("last_14d");
  await poll(() => page.getByTestId("drill-title").textContent()).toContain(adsetName);
  // the breadcrumb leads back to the campaign with the same range
  expect(await page.locator('[data-crumb="campaign"]').getAttribute("href")).toMatch(/\/campaigns\/\d+\?range=last_14d&compare=previous$/);

  // an ad card with its creative, loaded from our origin
  const img = page.locator("li[data-ad] img").first();
  await img.waitFor();
  const src = await img.getAttribute("src");
  expect(src).toMatch(new RegExp(`^${WS}/creatives/\\d+$`));
  await poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0)).toBe(true);
  const res = await page.request.get(src!);
  expect(res.status()).toBe(200);
  expect(res.headers()["content-type"]).toBe("image/png");
  // sort the cards by CTR: the URL says so and the cards follow
  await page.locator('a[data-sort="ctr"]').click();
  await poll(() => param(page, "sort")).toBe("ctr");
  await poll(async () => {
    const v = await page.locator('li[data-ad] dd[data-metric="ctr"]').evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.value || -1)));
    return v.every((x, i) => i === 0 || v[i - 1]! >= x);
  }).toBe(true);
  if (shot) await screenshot(page, `${shot}-adset-1440`);
  return page.url();
}

describe("drill-down in the browser", () => {
  it("the owner drills from the overview to an ad card with its creative from our origin", async () => {
    await owner.goto("/login");
    await owner.getByLabel("Email").fill(server.demoLogin!.email);
    await owner.getByLabel("Password").fill(server.demoLogin!.password);
    await owner.getByRole("button", { name: "Log in" }).click();
    await poll(() => path(owner)).toBe("/a/northwind");
    // the demo backfill runs in the background: wait until the client's campaigns have ad sets
    await untilReady(owner, `${WS}?range=last_14d`, 'table[data-testid^="campaign-table-"] tbody tr[data-campaign]');
    const first = await owner.locator('table[data-testid^="campaign-table-"] tbody tr[data-campaign] th a').first().getAttribute("href");
    expect(first).toMatch(new RegExp(`^${WS}/campaigns/\\d+`));
    await untilReady(owner, first!, "table[data-testid='adset-table'] tbody tr[data-adset]");
    const adsetUrl = await drill(owner, true, "drilldown-owner");
    // CSV of the ads of this ad set
    const csv = await owner.request.get(
      `${new URL(adsetUrl).pathname.replace(/\/adsets\/(\d+)$/, "/export/level/ads")}?range=last_14d&adset=${adsetUrl.match(/adsets\/(\d+)/)![1]}`,
    );
    expect(csv.status()).toBe(200);
    expect((await csv.text()).split("\n")[0]).toMatch(/^currency,id,name,parent_id,status,spend,/);

    await owner.setViewportSize({ width: 375, height: 812 });
    await untilReady(owner, adsetUrl, "li[data-ad] img");
    await noSideways(owner);
    await screenshot(owner, "drilldown-adset-375");
    const campaignId = (await owner.locator('[data-crumb="campaign"]').getAttribute("href"))!.match(/campaigns\/(\d+)/)![1];
    await untilReady(owner, adsetUrl.replace(/\/adsets\/\d+/, `/campaigns/${campaignId}`), '[data-breakdown="country"]');
    await noSideways(owner);
    await screenshot(owner, "drilldown-campaign-375");
    await owner.setViewportSize({ width: 1440, height: 900 });
  }, 600_000);

  it("a client viewer drills the same way, read-only", async () => {
    // the owner invites a viewer to Acme Outdoor; the viewer accepts through the dev outbox link
    const email = `drill-viewer-${Date.now().toString(36)}@example.test`;
    await owner.goto(`${WS}/settings`);
    await owner.getByLabel("Invite a client viewer by email").fill(email);
    await owner.getByRole("button", { name: "Send invitation" }).click();
    await poll(() => owner.getByText("Invitation sent.").count()).toBe(1);
    let link: string | null = null;
    await poll(async () => {
      await owner.goto(`/dev/outbox?to=${encodeURIComponent(email)}`);
      link = (await owner.getByTestId("outbox-link").count()) ? await owner.getByTestId("outbox-link").first().getAttribute("href") : null;
      return link;
    }).toMatch(/\/invite\//);
    const viewer = await (await browser.newContext({ baseURL: server.url, viewport: { width: 1440, height: 900 } })).newPage();
    await viewer.goto(new URL(link!).pathname);
    await viewer.getByLabel("Your name").fill("Client Viewer");
    await viewer.getByLabel("Choose a password").fill("viewer-password-1");
    await viewer.getByRole("button", { name: "Create account and accept" }).click();
    await poll(() => path(viewer)).toBe(WS);

    await drill(viewer, false, "drilldown-viewer");
    // read-only: no form that changes anything, no refresh, no settings
    expect(await viewer.locator('form[method="post" i]:not([action="/logout"])').count()).toBe(0);
    expect(await viewer.getByRole("button", { name: "Refresh" }).count()).toBe(0);
    await viewer.setViewportSize({ width: 375, height: 812 });
    await viewer.reload();
    await viewer.locator("li[data-ad] img").first().waitFor();
    await noSideways(viewer);
    await screenshot(viewer, "drilldown-viewer-adset-375");
  });
});
