/**
 * The team flow in a real browser against the real server (tests/e2e/helpers: production build, demo
 * mode, fresh embedded database): the owner signs up and adds two clients, invites an admin (team
 * page) and a client viewer (client settings); both accept through the link in the dev outbox and
 * set a password; the viewer sees exactly one workspace, read-only, and gets 404 everywhere else.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchBrowser, OUTCOME_TIMEOUT_MS, screenshot } from "./helpers/browser";
import { startServer, type RunningServer } from "./helpers/server";

let server: RunningServer;
let browser: Browser;
/** expect.poll waits one second by default; a real server round trip can take longer on a busy machine. */
const POLL = { timeout: OUTCOME_TIMEOUT_MS, interval: 100 };

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const stamp = Date.now().toString(36);
const OWNER = { name: "Olive Owner", email: `owner-${stamp}@example.test`, password: "owner-password-1", agency: `Team E2E ${stamp}` };
const agency = `team-e2e-${stamp}`;
const ws1 = { name: "Acme Shoes", slug: "acme-shoes" };
const ws2 = { name: "Beta Foods", slug: "beta-foods" };

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ baseURL: server.url, viewport: { width: 1280, height: 900 } });
  return context.newPage();
}

/** The invitation link of the newest email to `email`, read from the dev outbox page. */
async function outboxLink(page: Page, email: string): Promise<string> {
  const res = await page.goto(`/dev/outbox?to=${encodeURIComponent(email)}`);
  expect(res?.status()).toBe(200);
  const link = page.getByTestId("outbox-link").first();
  await link.waitFor();
  const href = await link.getAttribute("href");
  expect(href).toMatch(/\/invite\/[A-Za-z0-9_-]{43}$/);
  return new URL(href!).pathname;
}

/** Accepts with a new account; returns the page and where the acceptance redirected to. */
async function acceptAsNewPerson(link: string, name: string, password: string): Promise<{ page: Page; landing: string }> {
  const page = await newPage();
  await page.goto(link);
  await expect.poll(() => page.getByRole("heading", { name: "You're invited" }).count(), POLL).toBe(1);
  await page.getByLabel("Your name").fill(name);
  await page.getByLabel("Choose a password").fill(password);
  const [accepted] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname.startsWith(link)),
    page.getByRole("button", { name: "Create account and accept" }).click(),
  ]);
  expect([200, 202, 204, 302]).toContain(accepted.status());
  await page.waitForURL((u) => u.pathname.startsWith("/a/"));
  return { page, landing: new URL(page.url()).pathname };
}

describe("team e2e", () => {
  it("owner invites an admin and a client viewer; both accept; the viewer sees one workspace only", async () => {
    const adminEmail = `e2e-admin-${stamp}@example.test`;
    const viewerEmail = `e2e-client-${stamp}@example.test`;
    const owner = await newPage();
    await owner.goto("/signup");
    await owner.getByLabel("Your name").fill(OWNER.name);
    await owner.getByLabel("Work email").fill(OWNER.email);
    await owner.getByLabel("Password").fill(OWNER.password);
    await owner.getByLabel("Agency name").fill(OWNER.agency);
    await owner.getByRole("button", { name: "Create agency" }).click();
    await owner.waitForURL((u) => u.pathname === `/a/${agency}`);
    for (const ws of [ws1, ws2]) {
      await owner.goto(`/a/${agency}/clients`);
      await owner.getByLabel("Client name").fill(ws.name);
      await owner.getByRole("button", { name: "Add client" }).click();
      await owner.waitForURL((u) => u.searchParams.get("added") === ws.slug);
      await expect.poll(() => owner.getByRole("list", { name: "Client workspaces" }).getByText(ws.name).count(), POLL).toBe(1);
    }

    await owner.goto(`/a/${agency}/team`);
    await owner.getByLabel("Email", { exact: true }).fill(adminEmail);
    await owner.getByLabel("Role", { exact: true }).selectOption("admin");
    await owner.getByRole("button", { name: "Send invitation" }).click();
    await expect.poll(() => owner.getByText("Invitation sent.").count(), POLL).toBe(1);
    await expect.poll(() => owner.getByRole("list", { name: "Pending invitations" }).getByText(adminEmail).count(), POLL).toBe(1);

    await owner.goto(`/a/${agency}/w/${ws1.slug}/settings`);
    await owner.getByLabel("Invite a client viewer by email").fill(viewerEmail);
    await owner.getByRole("button", { name: "Send invitation" }).click();
    await expect.poll(() => owner.getByText("Invitation sent.").count(), POLL).toBe(1);

    // the admin accepts and lands in the agency with admin navigation
    await screenshot(owner, "team-client-invited");
    const { page: admin, landing: adminLanding } = await acceptAsNewPerson(await outboxLink(owner, adminEmail), "New Admin", "admin-password-1");
    expect(adminLanding).toBe(`/a/${agency}`);
    const adminTeam = await admin.goto(`/a/${agency}/team`);
    expect(adminTeam?.status()).toBe(200);
    await expect.poll(() => admin.getByRole("list", { name: "Members" }).getByText(adminEmail).count(), POLL).toBeGreaterThan(0);
    await expect.poll(() => admin.getByRole("link", { name: "Audit" }).count(), POLL).toBe(1);

    // the viewer accepts and lands on its one workspace
    const { page: viewer, landing: viewerLanding } = await acceptAsNewPerson(await outboxLink(owner, viewerEmail), "Client Person", "client-password-1");
    expect(viewerLanding).toBe(`/a/${agency}/w/${ws1.slug}`);
    const wsResponse = await viewer.goto(`/a/${agency}/w/${ws1.slug}`);
    expect(wsResponse?.status()).toBe(200);
    // read-only: the navigation offers this workspace and nothing else, and no form changes anything
    const nav = viewer.getByRole("navigation", { name: "Agency" });
    await expect.poll(() => nav.getByRole("link").allTextContents(), POLL).toEqual([ws1.name]);
    await expect.poll(() => viewer.locator('form[method="post" i]:not([action="/logout"])').count(), POLL).toBe(0);
    await expect.poll(() => viewer.getByRole("link", { name: /settings/i }).count(), POLL).toBe(0);

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
      expect(html, path).not.toContain(OWNER.email);
    }

    // the owner sees both acceptances in the audit log
    await owner.goto(`/a/${agency}/audit`);
    // as sentences that name the person and the client (ADR 0130)
    await expect.poll(() => owner.getByText("New Admin joined the agency as admin.").count(), POLL).toBe(1);
    await expect.poll(() => owner.getByText(`Client Person accepted the invitation to view ${ws1.name}.`).count(), POLL).toBe(1);
    await screenshot(owner, "team-audit");
    // three sign-ups (argon2) and about twenty page loads: past the 300 s default at load 15
  }, 600_000);
});
