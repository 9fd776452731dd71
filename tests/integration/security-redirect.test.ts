/**
 * Open-redirect protection, driven through the real /login page and action: whatever redirectTo an
 * attacker puts in a link, a successful login lands on a path of this site.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAgencyFixture, createUser, TEST_PASSWORD } from "../helpers/factories";
import { sessionCookieFor } from "../helpers/session";
import { closeVite, startTestServer, type TestServer } from "../helpers/security-harness";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
  await closeVite();
});

const HOSTILE = [
  "//evil.example",
  "//evil.example/a",
  "/\\evil.example",
  "\\\\evil.example",
  "/\\/evil.example",
  "https://evil.example",
  "http:evil.example",
  "javascript:alert(1)",
  "JaVaScRiPt:alert(1)",
  "data:text/html,<script>alert(1)</script>",
  "/\t/evil.example",
  "/\n/evil.example",
  " //evil.example",
  "%2F%2Fevil.example",
  "evil.example",
  "",
];

/** Where a browser would go after following `location` from this server. */
function landing(location: string | null) {
  expect(location).toBeTruthy();
  const url = new URL(location!, server.url);
  return url;
}

describe("safe redirects after login", () => {
  // 16 real logins, each an argon2 verification: 3 minutes with three suites on two cores, so this
  // test gets twice the default bound (a guard against a hang, not a speed check)
  it("follows only same-site paths from redirectTo", { timeout: 600_000 }, async () => {
    for (const [i, redirectTo] of HOSTILE.entries()) {
      // a fresh user and client address per attempt, so the login rate limits stay out of the way
      const user = await createUser();
      const res = await server.fetch("/login", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "x-forwarded-for": `192.0.2.${i + 1}` },
        body: new URLSearchParams({ email: user.email, password: TEST_PASSWORD, redirectTo }).toString(),
      });
      expect(res.status, JSON.stringify(redirectTo)).toBe(302);
      const to = landing(res.headers.get("location"));
      expect(to.origin, JSON.stringify(redirectTo)).toBe(server.url);
      expect(to.pathname.startsWith("//")).toBe(false);
      await res.arrayBuffer();
    }
  });

  it("keeps a legitimate same-site path, query included", async () => {
    const fx = await createAgencyFixture();
    const res = await server.fetch("/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ email: fx.owner.email, password: TEST_PASSWORD, redirectTo: `/a/${fx.agency.slug}/clients?tab=all` }).toString(),
    });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(`/a/${fx.agency.slug}/clients?tab=all`);
  });

  it("a signed-in visitor of /login?redirectTo=<hostile> is sent to a same-site path", async () => {
    const fx = await createAgencyFixture();
    const cookie = await sessionCookieFor(fx.owner.id);
    for (const redirectTo of HOSTILE) {
      const res = await server.fetch(`/login?${new URLSearchParams({ redirectTo })}`, { headers: { cookie } });
      expect(res.status, JSON.stringify(redirectTo)).toBe(302);
      expect(landing(res.headers.get("location")).origin, JSON.stringify(redirectTo)).toBe(server.url);
      await res.arrayBuffer();
    }
  });
});
