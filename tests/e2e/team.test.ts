/**
 * Browser test of the team flow, through the real Express + Remix app in Chromium:
 * the owner invites an admin (team page) and a client viewer (client settings); both accept through
 * the link in the dev outbox and set a password; the viewer sees exactly one workspace, read-only,
 * and gets 404 everywhere else in the agency.
 *
 * The app is served by the security harness (server/app.ts over a Vite build of the working tree)
 * against a fresh database: PGlite in memory, or a new database on TEST_DATABASE_URL.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import postgres from "postgres";
import { chromium, type Browser, type Page } from "playwright-core";
import { startEmbedded, type EmbeddedDatabase } from "../../app/.server/db/embedded";
import { migrate } from "../../app/.server/db/migrate";
import { closeDatabase, configureDatabase } from "../../app/.server/db/connection";
import { createAgencyFixture, TEST_PASSWORD, uniq } from "../helpers/factories";
import { closeVite, startTestServer, type TestServer } from "../integration/security-harness";

let embedded: EmbeddedDatabase | undefined;
let dropDb: (() => Promise<void>) | undefined;
let server: TestServer;
let browser: Browser;
let fx: Awaited<ReturnType<typeof createAgencyFixture>>;

async function freshDatabase(): Promise<string> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) {
    embedded = await startEmbedded({ dataDir: "memory://", maxConnections: 16 });
    return embedded.url;
  }
  const name = `spendlane_e2e_team_${process.pid}_${Date.now()}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  dropDb = async () => {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  };
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
}

beforeAll(async () => {
  const url = await freshDatabase();
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  await migrate(sql);
  await sql.end();
  process.env.DATABASE_URL = url;
  configureDatabase(url, { max: 4 });
  fx = await createAgencyFixture({ workspaces: 2 });
  server = await startTestServer({ env: { NODE_ENV: "production", APP_URL: undefined } });
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ["--no-sandbox"] });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await closeVite();
  await closeDatabase();
  await dropDb?.();
  await embedded?.stop();
});

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ baseURL: server.url, extraHTTPHeaders: { "x-forwarded-for": server.clientAddress } });
  return context.newPage();
}

async function logIn(page: Page, email: string, password: string) {
  await page.goto("/login");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password").fill(password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith("/login")), page.getByRole("button", { name: "Log in" }).click()]);
}

/** The invitation link of the newest email to `email`, read from the dev outbox page. */
async function outboxLink(page: Page, email: string): Promise<string> {
  await page.goto(`/dev/outbox?to=${encodeURIComponent(email)}`);
  const href = await page.getByTestId("outbox-link").first().getAttribute("href");
  expect(href).toMatch(/\/invite\/[A-Za-z0-9_-]{43}$/);
  return new URL(href!).pathname;
}

/** Accepts with a new account; returns the page and where the acceptance redirected to. */
async function acceptAsNewPerson(link: string, name: string, password: string): Promise<{ page: Page; landing: string }> {
  const page = await newPage();
  await page.goto(link);
  await expect.poll(() => page.getByRole("heading", { name: "You're invited" }).count()).toBe(1);
  await page.getByLabel("Your name").fill(name);
  await page.getByLabel("Choose a password").fill(password);
  const [accepted] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname === link),
    page.getByRole("button", { name: "Create account and accept" }).click(),
  ]);
  expect(accepted.status()).toBe(302);
  await page.waitForLoadState();
  return { page, landing: accepted.headers()["location"] };
}

describe("team e2e", () => {
  it("owner invites an admin and a client viewer; both accept; the viewer sees one workspace only", async () => {
    const adminEmail = `${uniq("e2e-admin")}@example.test`;
    const viewerEmail = `${uniq("e2e-client")}@example.test`;
    const agency = fx.agency.slug;
    const [ws1, ws2] = fx.workspaces;

    const owner = await newPage();
    await logIn(owner, fx.owner.email, TEST_PASSWORD);

    await owner.goto(`/a/${agency}/team`);
    await owner.getByLabel("Email", { exact: true }).fill(adminEmail);
    await owner.getByLabel("Role", { exact: true }).selectOption("admin");
    await owner.getByRole("button", { name: "Send invitation" }).click();
    await expect.poll(() => owner.getByText("Invitation sent.").count()).toBe(1);
    await expect.poll(() => owner.getByRole("list", { name: "Pending invitations" }).getByText(adminEmail).count()).toBe(1);

    await owner.goto(`/a/${agency}/w/${ws1.slug}/settings`);
    await owner.getByLabel("Invite a client viewer by email").fill(viewerEmail);
    await owner.getByRole("button", { name: "Send invitation" }).click();
    await expect.poll(() => owner.getByText("Invitation sent.").count()).toBe(1);

    // the admin accepts and lands in the agency with admin navigation
    const { page: admin, landing: adminLanding } = await acceptAsNewPerson(await outboxLink(owner, adminEmail), "New Admin", "admin-password-1");
    expect(adminLanding).toBe(`/a/${agency}`);
    const adminTeam = await admin.goto(`/a/${agency}/team`);
    expect(adminTeam?.status()).toBe(200);
    await expect.poll(() => admin.getByRole("list", { name: "Members" }).getByText(adminEmail).count()).toBeGreaterThan(0);
    expect(await admin.getByRole("link", { name: "Audit" }).count()).toBe(1);

    // the viewer accepts and lands on its one workspace
    const { page: viewer, landing: viewerLanding } = await acceptAsNewPerson(await outboxLink(owner, viewerEmail), "Client Person", "client-password-1");
    expect(viewerLanding).toBe(`/a/${agency}/w/${ws1.slug}`);
    const wsResponse = await viewer.goto(`/a/${agency}/w/${ws1.slug}`);
    expect(wsResponse?.status()).toBe(200);
    // read-only: the navigation offers this workspace and nothing else, and no form changes anything
    const nav = viewer.getByRole("navigation", { name: "Agency" });
    expect(await nav.getByRole("link").allTextContents()).toEqual([ws1.name]);
    expect(await viewer.locator('form[method="post" i]:not([action="/logout"])').count()).toBe(0);
    expect(await viewer.getByRole("link", { name: /settings/i }).count()).toBe(0);

    // The agency overview sends a viewer home to their own workspace (dashboards' choice: a
    // redirect to what they may see leaks nothing); everything else of the agency is a 404.
    const overview = await viewer.request.get(`/a/${agency}`, { maxRedirects: 0 });
    expect([302, 404]).toContain(overview.status());
    if (overview.status() === 302) expect(overview.headers()["location"]).toBe(`/a/${agency}/w/${ws1.slug}`);
    for (const path of [
      `/a/${agency}/clients`,
      `/a/${agency}/team`,
      `/a/${agency}/audit`,
      `/a/${agency}/billing`,
      `/a/${agency}/w/${ws2.slug}`,
      `/a/${agency}/w/${ws1.slug}/settings`,
      `/a/${agency}/w/${ws1.slug}/connections`,
    ]) {
      const res = await viewer.goto(path);
      expect(res?.status(), path).toBe(404);
      // nothing of the other client or the agency's people leaks into the error page
      const html = await viewer.content();
      expect(html, path).not.toContain(ws2.name);
      expect(html, path).not.toContain(fx.member.email);
    }

    // the owner sees both acceptances in the audit log
    await owner.goto(`/a/${agency}/audit`);
    await expect.poll(() => owner.getByText("accepted an invitation (admin)").count()).toBe(1);
    await expect.poll(() => owner.getByText("accepted an invitation (viewer)").count()).toBe(1);
  });
});
