/**
 * Trust and polish in a real browser (one demo server for all of it): KPI values never truncated at
 * 1440/1024/375 px, the campaign table keeps name and spend in view with a scroll cue, range presets
 * update From/To, destructive actions ask first, the user menu, the 375-px header and tab bar, named
 * second-currency rows, chart title and tooltip, a member's plain 403 on client settings (nothing
 * logged), the invitation field cleared after sending, and axe-core's WCAG 2 AA checks (no serious
 * or critical violations) on the main pages. Screenshots of the overview and the JPY client at 1440
 * and 375 px go to the e2e artifacts folder.
 */
import AxeBuilder from "@axe-core/playwright";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchBrowser, OUTCOME_TIMEOUT_MS, screenshot } from "./helpers/browser";
import { startServer, type RunningServer } from "./helpers/server";

let server: RunningServer;
let browser: Browser;
let owner: BrowserContext;
let page: Page;

const AGENCY = "/a/northwind";
const JPY_CLIENT = `${AGENCY}/w/kumo-tea`;
const USD_CLIENT = `${AGENCY}/w/acme-outdoor`;
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: OUTCOME_TIMEOUT_MS, interval: 250 });
const num = (s: string | null) => (s == null || s === "" ? null : Number(s));
const addDays = (ymd: string, n: number) => new Date(Date.parse(`${ymd}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

async function logIn(p: Page, email: string, password: string) {
  await p.goto("/login");
  await p.getByLabel("Email").fill(email);
  await p.getByLabel("Password").fill(password);
  await p.getByRole("button", { name: "Log in" }).click();
  await p.waitForURL((u) => u.pathname !== "/login");
}

/**
 * Opens a client dashboard and waits for its spend card to hold a number. Navigates again on each
 * try: while the demo backfill runs, a 13-month page on a loaded machine can take a while to answer.
 */
async function openWithSpend(url: string) {
  await expect
    .poll(
      async () => {
        await page.goto(url);
        const card = page.locator('[data-metric="spend"]').first();
        await card.waitFor({ timeout: 60_000 });
        return num(await card.getAttribute("data-value")) ?? 0;
      },
      { timeout: 150_000, interval: 1000 },
    )
    .toBeGreaterThan(0);
}

/** Every headline value on the page that does not fit its box (scrollWidth > clientWidth). */
async function truncatedKpis(p: Page) {
  return p
    .locator("[data-kpi-value]")
    .evaluateAll((els) => els.filter((e) => e.scrollWidth > e.clientWidth + 0.5 || getComputedStyle(e).textOverflow === "ellipsis").map((e) => e.textContent));
}

async function seriousAxe(p: Page) {
  const r = await new AxeBuilder({ page: p }).withTags(["wcag2a", "wcag2aa", "wcag21aa"]).analyze();
  return r.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map(
      (v) =>
        `${v.id}: ${v.nodes
          .slice(0, 3)
          .map((n) => `${n.target.join(" ")} ${n.failureSummary?.split("\n")[1] ?? ""}`)
          .join(" | ")}`,
    );
}

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  owner = await browser.newContext({ baseURL: server.url, viewport: { width: 1440, height: 900 } });
  page = await owner.newPage();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("layout", () => {
  it("logs in as the demo owner once the demo data has arrived", async () => {
    expect(server.demoLogin).not.toBeNull();
    await logIn(page, server.demoLogin!.email, server.demoLogin!.password);
    // the demo backfill runs in the background: wait until the JPY client shows spend (bounded, retrying)
    await expect
      .poll(
        async () => {
          await page.goto(`${AGENCY}?range=last_28d`);
          const cell = page.locator('[data-client="kumo-tea"] td[data-value]').first();
          await cell.waitFor();
          return num(await cell.getAttribute("data-value")) ?? 0;
        },
        { timeout: 600_000, interval: 2000 },
      )
      .toBeGreaterThan(0);
  }, 660_000);

  it("KPI values show in full at 1440, 1024 and 375 px for the largest range; screenshots", async () => {
    // 13 months up to today: the longest totals the demo has (JPY in the millions)
    const until = new Date().toISOString().slice(0, 10);
    const since = `${Number(until.slice(0, 4)) - 1}-${until.slice(5, 7)}-01`;
    const q = `?range=custom&since=${since}&until=${until}&compare=previous`;
    for (const width of [1440, 1024, 375]) {
      await page.setViewportSize({ width, height: 900 });
      for (const path of [JPY_CLIENT, USD_CLIENT]) {
        await openWithSpend(`${path}${q}`);
        // reach and frequency cards (or their "not available" note) have settled too
        await poll(() => page.locator('[data-metric="reach"]').count()).toBeGreaterThan(0);
        expect(await page.locator("[data-kpi-value]").count()).toBeGreaterThanOrEqual(10);
        expect(await truncatedKpis(page), `${path} at ${width}px`).toEqual([]);
      }
    }
    for (const width of [1440, 375]) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${AGENCY}?range=last_28d`);
      await poll(() => page.locator('[data-client="kumo-tea"]').count()).toBeGreaterThan(0);
      await screenshot(page, `polish-overview-${width}`);
      await openWithSpend(`${JPY_CLIENT}?range=last_28d`);
      await screenshot(page, `polish-kumo-tea-${width}`);
    }
  }, 480_000);

  it("the campaign table keeps name and spend in view at every width, with a scroll cue", async () => {
    for (const width of [1440, 1024, 375]) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${USD_CLIENT}?range=last_90d`);
      const table = page.locator('[data-testid^="campaign-table-"]').first();
      await table.waitFor();
      const box = page.locator("[data-scroll-container]").first();
      const scrollable = await box.evaluate((e) => e.scrollWidth > e.clientWidth);
      if (width === 375) expect(scrollable).toBe(true);
      // the right-hand shade shows exactly when there are more columns to the right
      await poll(() =>
        page
          .locator('[data-scroll-shadow="right"]')
          .first()
          .evaluate((e) => getComputedStyle(e).opacity),
      ).toBe(scrollable ? "1" : "0");
      // scrolled all the way: name and spend still in the visible part of the box
      await box.evaluate((e) => e.scrollTo({ left: e.scrollWidth }));
      await box.dispatchEvent("scroll");
      const visible = await box.evaluate((e) => {
        const r = e.getBoundingClientRect();
        const row = e.querySelector("tbody tr[data-campaign]")!;
        const inside = (el: Element | null) => {
          const b = el!.getBoundingClientRect();
          return b.left >= r.left - 1 && b.right <= r.right + 1 && b.width > 0;
        };
        return { name: inside(row.querySelector("th")), spend: inside(row.querySelector('td[data-col="spend"]')) };
      });
      expect(visible, `at ${width}px`).toEqual({ name: true, spend: true });
      if (scrollable)
        await poll(() =>
          page
            .locator('[data-scroll-shadow="right"]')
            .first()
            .evaluate((e) => getComputedStyle(e).opacity),
        ).toBe("0");
    }
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  it("at 375 px the header, the tab bar and the connections page show names in full", async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    await page.goto(`${AGENCY}`);
    const name = page.locator("[data-agency-name]");
    await name.waitFor();
    expect(await name.textContent()).toBe("Northwind Digital");
    expect(await name.evaluate((e) => e.scrollWidth <= e.clientWidth)).toBe(true);
    // every tab inside the screen (the bar wraps; nothing cut off at the edge)
    const tabs = await page
      .getByRole("navigation", { name: "Agency" })
      .getByRole("link")
      .evaluateAll((els) => els.map((e) => ({ t: e.textContent, r: e.getBoundingClientRect().right })));
    expect(tabs.map((t) => t.t)).toContain("Billing");
    for (const t of tabs) expect(t.r, t.t ?? "").toBeLessThanOrEqual(375);
    await page.goto(`${USD_CLIENT}/connections`);
    const names = page.locator("[data-account-name]");
    await poll(() => names.count()).toBeGreaterThanOrEqual(2);
    expect(await names.evaluateAll((els) => els.filter((e) => e.scrollWidth > e.clientWidth).length)).toBe(0);
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  it("a two-currency client's second overview row carries its name", async () => {
    await page.goto(`${AGENCY}?range=last_28d`);
    const rows = page.locator('tr[data-client="acme-outdoor"]');
    await poll(() => rows.count()).toBe(2);
    for (const i of [0, 1]) expect(await rows.nth(i).locator("th").innerText()).toMatch(/^Acme Outdoor\s+(USD|EUR)$/);
  });
});

describe("controls and wording", () => {
  it("range presets update From and To; the chart says what it shows, with exact tooltips", async () => {
    await page.goto(`${USD_CLIENT}?range=last_28d`);
    const from = page.getByLabel("From", { exact: true });
    const to = page.getByLabel("To", { exact: true });
    await page.getByLabel("Range", { exact: true }).selectOption("today");
    await poll(() => new URL(page.url()).searchParams.get("range")).toBe("today");
    await poll(async () => (await from.inputValue()) === (await to.inputValue())).toBe(true);
    const today = await to.inputValue();
    await page.getByLabel("Range", { exact: true }).selectOption("last_7d");
    await poll(() => to.inputValue()).toBe(addDays(today, -1));
    expect(await from.inputValue()).toBe(addDays(today, -7));

    // previous values at the metric's own precision ("vs $0.72", never "vs $1")
    const cpc = page.locator('[data-metric="cpc"]').first();
    await poll(async () => num(await cpc.locator("[data-previous]").getAttribute("data-previous"))).not.toBeNull();
    expect(await cpc.locator("[data-previous]").innerText()).toMatch(/^vs \$[\d,]+\.\d\d /);

    await page.getByTestId("chart-metric").first().selectOption("ctr");
    await poll(() => page.locator("[data-chart-title]").first().innerText()).toBe("Daily CTR");
    await page.getByTestId("chart-metric").first().selectOption("spend");
    await poll(() => page.locator("[data-chart-title]").first().innerText()).toBe("Daily spend");
    const chart = page.locator(".recharts-wrapper").first();
    await chart.waitFor();
    const tip = page.locator("[data-chart-tooltip]").first();
    // hover across the plot until the tooltip shows (recharts reacts to mouse movement inside the plot)
    await poll(async () => {
      const b = (await chart.boundingBox())!;
      await page.mouse.move(b.x + 2, b.y + 2);
      await page.mouse.move(b.x + b.width * 0.6, b.y + b.height * 0.4, { steps: 8 });
      return tip.isVisible();
    }).toBe(true);
    // a readable day and the exact amount ("$2,345.67", not "$2.3K")
    expect(await tip.innerText()).toMatch(/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [A-Z][a-z]{2} \d{1,2}\n+Spend: \$[\d,]+\.\d\d$/);
  });

  it("a search labels the total row as all campaigns", async () => {
    await page.goto(`${USD_CLIENT}?range=last_28d&q=zzzz-no-such`);
    const label = page.locator("[data-total-label]").first();
    await poll(() => label.innerText()).toMatch(/^All \d+ campaigns$/);
    await page.goto(`${USD_CLIENT}?range=last_28d`);
    await poll(() => page.locator("[data-total-label]").first().innerText()).toBe("Total");
  });

  it("Archive and Disconnect ask first; archive can be undone", async () => {
    await page.goto(`${AGENCY}?range=last_28d`);
    const confirm = page.locator('[data-confirm="archive-blue-harbor-coffee"]');
    await confirm.locator("summary").click();
    const panel = confirm.getByRole("group", { name: "Archive Blue Harbor Coffee?" });
    await poll(() => panel.isVisible()).toBe(true);
    await panel.getByRole("button", { name: "Cancel" }).click();
    await poll(() => panel.isVisible()).toBe(false);
    expect(await page.locator('[data-client="blue-harbor-coffee"]').count()).toBeGreaterThan(0);
    await confirm.locator("summary").click();
    await panel.getByRole("button", { name: "Archive client" }).click();
    await poll(() => page.getByText("Blue Harbor Coffee archived.").isVisible()).toBe(true);
    await poll(() => page.locator('[data-client="blue-harbor-coffee"]').count()).toBe(0);
    await page.getByRole("button", { name: "Undo" }).click();
    await poll(() => page.getByText("Blue Harbor Coffee restored.").isVisible()).toBe(true);
    await poll(() => page.locator('[data-client="blue-harbor-coffee"]').count()).toBeGreaterThan(0);

    await page.goto(`${USD_CLIENT}/connections`);
    const disconnect = page.locator('[data-confirm="disconnect"]').first();
    await disconnect.locator("summary").click();
    const dpanel = disconnect.getByRole("group", { name: "Disconnect this Meta connection?" });
    await poll(() => dpanel.isVisible()).toBe(true);
    // deleting the data is a choice made inside the confirmation, not a checkbox beside a bare button
    expect(await dpanel.getByLabel("Also delete this client's Meta data").isChecked()).toBe(false);
    await dpanel.getByRole("button", { name: "Cancel" }).click();
    await poll(() => dpanel.isVisible()).toBe(false);
  });

  it("the user menu leads to account settings, sessions and log out", async () => {
    await page.goto(AGENCY);
    await page.locator("[data-user-menu] > summary").click();
    const menu = page.locator("[data-user-menu]");
    for (const name of ["Account settings", "Sessions"]) await poll(() => menu.getByRole("link", { name }).isVisible()).toBe(true);
    expect(await menu.getByRole("button", { name: "Log out" }).isVisible()).toBe(true);
    await menu.getByRole("link", { name: "Sessions" }).click();
    await poll(() => new URL(page.url()).pathname + new URL(page.url()).hash).toBe("/account#sessions");
    await poll(() => page.getByRole("heading", { name: "Sessions" }).isVisible()).toBe(true);
  });

  it("a member gets a plain 403 on client settings, nothing logged; the invite field clears after sending", async () => {
    const email = `member-${Date.now().toString(36)}@example.test`;
    await page.goto(`${AGENCY}/team`);
    const field = page.getByLabel("Email", { exact: true });
    await field.fill(email);
    await page.getByRole("button", { name: /Send invitation|Invite/ }).click();
    await poll(() =>
      page
        .getByText(/Invitation sent/)
        .first()
        .isVisible(),
    ).toBe(true);
    await poll(() => field.inputValue()).toBe("");

    await page.goto(`/dev/outbox?to=${encodeURIComponent(email)}`);
    const href = await page.getByTestId("outbox-link").first().getAttribute("href");
    const member = await (await browser.newContext({ baseURL: server.url, viewport: { width: 1280, height: 900 } })).newPage();
    await member.goto(new URL(href!).pathname);
    await member.getByLabel("Your name").fill("Mo Member");
    await member.getByLabel("Choose a password").fill("member-password-1");
    await member.getByRole("button", { name: "Create account and accept" }).click();
    await poll(() => new URL(member.url()).pathname.startsWith(AGENCY)).toBe(true);

    const before = server.output().length;
    const res = await member.goto(`${USD_CLIENT}/settings`);
    expect(res?.status()).toBe(403);
    await poll(() => member.getByText("Only owners and admins of the agency manage clients.", { exact: false }).isVisible()).toBe(true);
    expect(await member.getByText(/has been logged/).count()).toBe(0);
    expect(server.output().slice(before)).not.toMatch(/unhandled error|"level":50/);
    await member.context().close();
  });
});

describe("accessibility", () => {
  it("axe-core finds no serious or critical WCAG 2 AA violations (contrast included) on the main pages", async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    const pages: [string, string][] = [
      ["overview", `${AGENCY}?range=last_28d`],
      ["client dashboard", `${USD_CLIENT}?range=last_28d`],
      ["connections", `${USD_CLIENT}/connections`],
      ["team", `${AGENCY}/team`],
      ["client settings", `${USD_CLIENT}/settings`],
    ];
    const found: Record<string, string[]> = {};
    for (const [label, path] of pages) {
      await page.goto(path);
      await page.locator("main").first().waitFor();
      if (label === "client dashboard") await poll(() => page.locator(".recharts-wrapper").count()).toBeGreaterThan(0);
      found[label] = await seriousAxe(page);
    }
    const anon = await (await browser.newContext({ baseURL: server.url })).newPage();
    await anon.goto("/login");
    await anon.getByLabel("Email").waitFor();
    found.login = await seriousAxe(anon);
    await anon.context().close();
    expect(found).toEqual({ overview: [], "client dashboard": [], connections: [], team: [], "client settings": [], login: [] });
  });
});
