/**
 * Alerts in a real browser against the real server (demo mode, embedded PGlite, the in-process
 * worker and the demo's Meta emulator):
 * - the demo owner chooses the daily digest for spend anomalies on the settings page;
 * - with the client's dashboard open (live), a spike is injected in the emulator and Refresh is
 *   clicked: the worker syncs, the alert opens, and the bell count rises without a page load;
 * - the alert on the Alerts page links to the client's day;
 * - `spendlane alerts digest --force` (another process, through the server's PGlite socket) puts
 *   the digest into the outbox, where the dev outbox page shows it.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchBrowser, screenshot } from "./helpers/browser";
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

async function logIn(page: Page) {
  const login = server.demoLogin!;
  await page.goto("/login");
  await page.getByLabel("Email").fill(login.email);
  await page.getByLabel("Password").fill(login.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL((u) => u.pathname.startsWith("/a/"));
}

function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.resolve(import.meta.dirname, "../../cli/bin.mjs"), ...args], {
      // the same deployment as the server: its data folder and its public URL (links in the digest)
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "",
        NODE_ENV: "production",
        DATA_DIR: server.dataDir,
        APP_URL: server.url,
        LOG_LEVEL: "silent",
      },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("exit", (status) => resolve({ status, stdout, stderr }));
  });
}

describe("alerts in the browser", () => {
  it(
    "an emulator spike during a watched session raises the bell without a reload; the alert links to the client's day; the digest lands in the outbox",
    { timeout: 1_800_000 },
    async () => {
      const context = await browser.newContext({ baseURL: server.url, viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      await logIn(page);

      // spend anomalies by daily digest instead of immediately
      await page.goto("/a/northwind/alerts/settings");
      await page.getByLabel("Email for Spend anomaly").selectOption("digest");
      await page.getByRole("button", { name: "Save my emails" }).click();
      await page.getByText("Your alert emails are set.").waitFor();

      let navigations = 0;
      page.on("framenavigated", (f) => {
        if (f === page.mainFrame()) navigations++;
      });
      await page.goto("/a/northwind/w/acme-outdoor");
      await page.waitForSelector('[data-live="on"]');
      // the demo backfills on start; wait until Refresh is possible
      const refresh = page.getByRole("button", { name: "Refresh" });
      await refresh.waitFor({ timeout: 600_000 });
      await expect.poll(() => refresh.isEnabled(), { timeout: 600_000, interval: 1000 }).toBe(true);
      const bell = page.getByTestId("alert-bell");
      const before = Number(await bell.getAttribute("data-count"));
      const navigationsBefore = navigations;

      // the spike, in Meta (the emulator), on the client's first ad account
      const world = await (await fetch(`${server.emulatorUrl}/__emulator/world`)).json();
      const acctName = (await page.locator("[data-currency-group] h2").first().textContent()) ?? "";
      const acct = (world.accounts as { id: string; name: string }[]).find((a) => acctName.includes(a.name));
      expect(acct, `an emulator account named in "${acctName}"`).toBeDefined();
      const spike = await fetch(`${server.emulatorUrl}/__emulator/scenarios/spike`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ account: acct!.id }),
      });
      expect(spike.status).toBe(200);
      const { date } = (await spike.json()) as { date: string };
      await refresh.click();
      // The sync that Refresh queues can wait behind the demo's other accounts' backfills (the
      // embedded worker runs two at a time), as in live.test.ts: minutes on a busy machine.
      await expect.poll(async () => Number(await bell.getAttribute("data-count")), { timeout: 600_000, interval: 500 }).toBeGreaterThan(before);
      expect(navigations).toBe(navigationsBefore);
      expect(await page.evaluate(() => performance.getEntriesByType("navigation").length)).toBe(1);
      await screenshot(page, "alerts-bell-rose");

      // the alert links to the client's day
      await bell.click();
      await page.waitForURL((u) => u.pathname === "/a/northwind/alerts");
      const row = page.locator('[data-testid="alert-row"][data-rule="spend_anomaly"][data-status="open"]').first();
      await row.waitFor();
      await row.getByTestId("alert-link").click();
      await page.waitForURL((u) => u.pathname === "/a/northwind/w/acme-outdoor" && u.searchParams.get("since") === date);
      const url = new URL(page.url());
      expect(url.searchParams.get("range")).toBe("custom");
      expect(url.searchParams.get("until")).toBe(date);
      await page.locator('[data-metric="spend"]').first().waitFor();

      // the daily digest, sent by another process, lands in the outbox
      const digest = await cli(["alerts", "digest", "--agency", "northwind", "--force"]);
      expect(digest.status, digest.stderr).toBe(0);
      expect(JSON.parse(digest.stdout.trim().split("\n").pop()!).sent).toBeGreaterThanOrEqual(1);
      await page.goto(`/dev/outbox?to=${encodeURIComponent(server.demoLogin!.email)}`);
      const message = page.locator('[data-testid="outbox-message"]', { hasText: "alert_digest" }).first();
      await message.waitFor();
      await expect.poll(() => message.textContent()).toContain("Spend anomaly · Acme Outdoor");
      await screenshot(page, "alerts-digest-outbox");

      // on a page without live data of its own (Team), the bell still follows: a connection needing
      // re-authorisation, noticed by the alert pass of another process, raises it without a reload
      await page.goto("/a/northwind/team");
      await page.getByTestId("alert-bell").waitFor();
      const teamBefore = Number(await page.getByTestId("alert-bell").getAttribute("data-count"));
      const teamNavigations = navigations;
      const { url: socketUrl } = JSON.parse(fs.readFileSync(path.join(server.dataDir, "socket.json"), "utf8")) as { url: string };
      const db = postgres(socketUrl, { max: 1, onnotice: () => {} });
      try {
        await db`update public.meta_connections set status = 'needs_reauth', status_reason = 'Session has expired'
        where workspace_id = (select w.id from public.workspaces w join public.agencies a on a.id = w.agency_id where a.slug = 'northwind' and w.slug = 'blue-harbor-coffee')`;
      } finally {
        await db.end({ timeout: 2 });
      }
      const pass = await cli(["alerts", "evaluate", "--agency", "northwind"]);
      expect(pass.status, pass.stderr).toBe(0);
      expect(JSON.parse(pass.stdout.trim().split("\n").pop()!).opened.map((a: { rule: string }) => a.rule)).toContain("connection_reauth");
      await expect
        .poll(async () => Number(await page.getByTestId("alert-bell").getAttribute("data-count")), { timeout: 90_000, interval: 250 })
        .toBeGreaterThan(teamBefore);
      expect(navigations).toBe(teamNavigations);
      await context.close();
    },
  );
});
