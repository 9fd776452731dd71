import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

vi.hoisted(() => {
  process.env.META_APP_SECRET = "csrf-test-app-secret";
});
import { checkCsrf } from "../../app/.server/security/csrf";
import { sql } from "../../app/.server/db/connection";
import { createUser, TEST_PASSWORD } from "../helpers/factories";
import { closeVite, startTestServer, type TestServer } from "../helpers/security-harness";

let server: TestServer;
let pinned: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  pinned = await startTestServer({ env: { NODE_ENV: "production", APP_URL: "https://app.spendlane.test" } });
});
afterAll(async () => {
  await server?.close();
  await pinned?.close();
  await closeVite();
});

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = { "content-type": "application/x-www-form-urlencoded" };

async function sessionCount(userId: string) {
  const [{ n }] = await sql()<{ n: number }[]>`select count(*)::int as n from public.sessions where user_id = ${userId}`;
  return n;
}

describe("CSRF origin check", () => {
  it("decides by Origin, then Sec-Fetch-Site, for state-changing methods only", () => {
    const base = { path: "/login", expectedOrigin: "http://localhost:3000" };
    expect(checkCsrf({ ...base, method: "GET", origin: "https://evil.example" }).ok).toBe(true);
    expect(checkCsrf({ ...base, method: "POST", origin: "http://localhost:3000" }).ok).toBe(true);
    expect(checkCsrf({ ...base, method: "POST", origin: "https://evil.example" }).ok).toBe(false);
    expect(checkCsrf({ ...base, method: "POST", origin: "http://localhost:3001" }).ok).toBe(false);
    expect(checkCsrf({ ...base, method: "DELETE", origin: "http://localhost:3000.evil.example" }).ok).toBe(false);
    expect(checkCsrf({ ...base, method: "PUT", origin: "null" }).ok).toBe(false);
    expect(checkCsrf({ ...base, method: "PATCH", origin: "not a url" }).ok).toBe(false);
    expect(checkCsrf({ ...base, method: "POST", secFetchSite: "same-origin" }).ok).toBe(true);
    expect(checkCsrf({ ...base, method: "POST", secFetchSite: "none" }).ok).toBe(true);
    expect(checkCsrf({ ...base, method: "POST", secFetchSite: "same-site" }).ok).toBe(false);
    expect(checkCsrf({ ...base, method: "POST", secFetchSite: "cross-site" }).ok).toBe(false);
    expect(checkCsrf({ ...base, method: "POST" }).ok).toBe(false);
    // Origin wins over a lying Sec-Fetch-Site
    expect(checkCsrf({ ...base, method: "POST", origin: "https://evil.example", secFetchSite: "same-origin" }).ok).toBe(false);
    // signed webhooks are exempt; look-alike paths are not
    expect(checkCsrf({ ...base, method: "POST", path: "/webhooks/stripe", origin: "https://stripe.com" }).ok).toBe(true);
    expect(checkCsrf({ ...base, method: "POST", path: "/webhooks/meta/deauthorize" }).ok).toBe(true);
    expect(checkCsrf({ ...base, method: "POST", path: "/webhooks/stripe-fake", origin: "https://evil.example" }).ok).toBe(false);
    expect(checkCsrf({ ...base, method: "POST", path: "/webhooks/meta/x/y", origin: "https://evil.example" }).ok).toBe(false);
  });

  it("refuses a cross-site login post with 403 before the route runs, and lets the same post through from our origin", async () => {
    const user = await createUser();
    const body = form({ email: user.email, password: TEST_PASSWORD });
    const hostile: Record<string, string>[] = [{ origin: "https://evil.example" }, { "sec-fetch-site": "cross-site" }, { "sec-fetch-site": "same-site" }];
    for (const headers of hostile) {
      const res = await server.fetch("/login", { method: "POST", headers: { ...FORM, ...headers }, body });
      expect(res.status).toBe(403);
      expect(await res.text()).toMatch(/came from another site/);
      expect(res.headers.get("set-cookie")).toBeNull();
    }
    // no Origin and no Sec-Fetch-Site: refused too (fetch() in Node adds neither unless asked)
    const bare = await fetch(server.url + "/login", { method: "POST", headers: FORM, body, redirect: "manual" });
    expect(bare.status).toBe(403);
    expect(await sessionCount(user.id)).toBe(0);

    const ok = await server.fetch("/login", { method: "POST", headers: { ...FORM, origin: server.url }, body });
    expect(ok.status).toBe(302);
    expect(ok.headers.get("set-cookie")).toBeTruthy();
    const typed = await server.fetch("/login", { method: "POST", headers: { ...FORM, "sec-fetch-site": "same-origin" }, body });
    expect(typed.status).toBe(302);
    expect(await sessionCount(user.id)).toBe(2);
  });

  it("uses APP_URL as the origin when set, whatever the Host header says", async () => {
    const user = await createUser();
    const body = form({ email: user.email, password: TEST_PASSWORD });
    const wrong = await pinned.fetch("/login", { method: "POST", headers: { ...FORM, origin: pinned.url }, body });
    expect(wrong.status).toBe(403);
    // behind the proxy the Host is the public one (Remix compares Origin and Host itself, too)
    const right = await pinned.fetch("/login", {
      method: "POST",
      headers: { ...FORM, origin: "https://app.spendlane.test", "x-forwarded-host": "app.spendlane.test" },
      body,
    });
    expect(right.status).toBe(302);
  });

  it("lets signed webhooks through without an Origin (they answer for their signature themselves)", async () => {
    const res = await fetch(server.url + "/webhooks/meta/deauthorize", {
      method: "POST",
      headers: { ...FORM, origin: "https://www.facebook.com" },
      body: form({ signed_request: "bad.signature" }),
    });
    expect(res.status).toBe(400);
  });
});
