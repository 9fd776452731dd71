/**
 * The first minutes of a new agency, in a real browser against the real server (demo mode, fresh
 * embedded database): sign up, log out, log in again, open the clients page, add a client; and the
 * demo login printed at start-up works.
 */
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

async function newPage(width = 1280): Promise<Page> {
  const context = await browser.newContext({ baseURL: server.url, viewport: { width, height: 900 } });
  return context.newPage();
}

async function logIn(page: Page, email: string, password: string) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
}

describe("auth in the browser", () => {
  const email = `e2e-${Date.now()}@example.test`;
  const password = "e2e-password-1";

  it("signs up, logs out, logs in, and adds a client", async () => {
    const page = await newPage();
    await page.goto("/");
    await expect.poll(() => new URL(page.url()).pathname).toBe("/login");
    await page.getByRole("link", { name: "Create an agency account" }).click();
    await page.getByLabel("Your name").fill("Erin Example");
    await page.getByLabel("Work email").fill(email);
    await page.getByLabel("Password").fill("short");
    await page.getByLabel("Agency name").fill("Erin Media");
    await page.getByRole("button", { name: "Create agency" }).click();
    await expect.poll(() => page.getByText("Use at least 10 characters").isVisible()).toBe(true);
    await screenshot(page, "signup-error");

    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Create agency" }).click();
    await page.waitForURL(/\/a\/erin-media$/);
    await expect.poll(() => page.getByRole("navigation", { name: "Agency" }).getByRole("link", { name: "Clients" }).isVisible()).toBe(true);

    // log out lives in the user menu
    await page.locator("[data-user-menu] > summary").click();
    await page.getByRole("button", { name: "Log out" }).click();
    await page.waitForURL(/\/login$/);
    await page.goto("/a/erin-media/clients");
    await page.waitForURL(/\/login\?redirectTo=%2Fa%2Ferin-media%2Fclients$/);

    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill("wrong-password-1");
    await page.getByRole("button", { name: "Log in" }).click();
    await expect.poll(() => page.getByText("Email or password is incorrect").isVisible()).toBe(true);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(/\/a\/erin-media\/clients$/);
    await expect.poll(() => page.getByText("No clients yet").isVisible()).toBe(true);

    await page.getByLabel("Client name").fill("Harbor Bikes");
    await page.getByRole("button", { name: "Add client" }).click();
    await expect.poll(() => page.getByRole("list", { name: "Client workspaces" }).getByRole("link", { name: "Harbor Bikes" }).isVisible()).toBe(true);
    await screenshot(page, "clients-after-add");
    await page.context().close();
  });

  it("logs in with the demo login printed at start-up", async () => {
    expect(server.demoLogin).not.toBeNull();
    const page = await newPage();
    await logIn(page, server.demoLogin!.email, server.demoLogin!.password);
    await page.waitForURL(/\/a\/northwind/);
    await page.goto("/a/northwind/clients");
    for (const name of ["Acme Outdoor", "Blue Harbor Coffee", "Kumo Tea Japan"]) {
      await expect.poll(() => page.getByRole("link", { name }).first().isVisible()).toBe(true);
    }
    await screenshot(page, "demo-clients");
    await page.context().close();
  });

  it("works at 375 px: no horizontal scrolling on login and clients", async () => {
    const page = await newPage(375);
    const pageWidth = () => page.evaluate(() => document.documentElement.scrollWidth);
    await page.goto("/login");
    await expect.poll(() => page.getByRole("button", { name: "Log in" }).isVisible()).toBe(true);
    await screenshot(page, "login-375");
    await expect.poll(pageWidth).toBeLessThanOrEqual(375);
    await logIn(page, email, password);
    await page.waitForURL(/\/a\/erin-media/);
    await page.goto("/a/erin-media/clients");
    await expect.poll(() => page.getByLabel("Client name").isVisible()).toBe(true);
    await screenshot(page, "clients-375");
    await expect.poll(pageWidth).toBeLessThanOrEqual(375);
    await page.context().close();
  });

  it("keeps other agencies out: 404 for an agency the user does not belong to", async () => {
    const page = await newPage();
    await logIn(page, email, password);
    await page.waitForURL(/\/a\/erin-media/);
    const res = await page.goto("/a/northwind/clients");
    expect(res?.status()).toBe(404);
    await expect.poll(() => page.getByText("Page not found").isVisible()).toBe(true);
    await page.context().close();
  });
});
