/**
 * Review finding 2 and the fuzz walk it asked for: Host-header variations on every route that sends
 * mail (password reset, member and viewer invitations, resends, email change). With APP_URL unset a
 * link used to be built from the request's Host, so `Host: evil.example` (plus a matching Origin)
 * mailed a valid reset token pointing at evil.example. Now a state change for a host we do not serve
 * is refused (CSRF), and a link is never built from a client-chosen host, whether it arrives as Host
 * or as X-Forwarded-Host through a trusted proxy.
 */
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { firstLink, listOutbox } from "../../app/.server/mail";
import { inviteMember } from "../../app/.server/tenancy/invitations";
import { createAgencyFixture, createUser, TEST_PASSWORD, uniq } from "../helpers/factories";
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

const EVIL_HOSTS = [
  "evil.example",
  "evil.example:443",
  "localhost.evil.example",
  "127.0.0.1.nip.io",
  "EVIL.example:8080",
  "evil.example.",
  "xn--80ak6aa92e.com",
];

/** node:http, because fetch does not let a caller choose the Host header. */
function raw(
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string },
  target: TestServer = server,
): Promise<{ status: number; text: string }> {
  const url = new URL(target.url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path, method: opts.method ?? "GET", headers: { "x-forwarded-for": target.clientAddress, ...opts.headers } },
      (res) => {
        let text = "";
        res.on("data", (d) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("error", reject);
    req.end(opts.body);
  });
}

const FORM = { "content-type": "application/x-www-form-urlencoded" };

interface MailRoute {
  name: string;
  /** path, form and cookie of one request that sends mail to `to` */
  prepare(): Promise<{ path: string; form: Record<string, string>; cookie?: string; to: string }>;
}

const ROUTES: MailRoute[] = [
  {
    name: "password reset",
    async prepare() {
      const u = await createUser();
      return { path: "/forgot-password", form: { email: u.email }, to: u.email };
    },
  },
  {
    name: "member invitation",
    async prepare() {
      const fx = await createAgencyFixture({ workspaces: 1 });
      const to = `${uniq("inv")}@example.test`;
      return { path: `/a/${fx.agency.slug}/team`, form: { intent: "invite", email: to, role: "member" }, cookie: await sessionCookieFor(fx.owner.id), to };
    },
  },
  {
    name: "invitation resend",
    async prepare() {
      const fx = await createAgencyFixture({ workspaces: 1 });
      const to = `${uniq("res")}@example.test`;
      const inv = await inviteMember(fx.owner.id, fx.agency.id, { email: to, role: "member" }, { baseUrl: "http://localhost:3000" });
      return { path: `/a/${fx.agency.slug}/team`, form: { intent: "resend", invitationId: inv.id }, cookie: await sessionCookieFor(fx.admin.id), to };
    },
  },
  {
    name: "client viewer invitation",
    async prepare() {
      const fx = await createAgencyFixture({ workspaces: 1 });
      const to = `${uniq("view")}@example.test`;
      return {
        path: `/a/${fx.agency.slug}/w/${fx.workspaces[0].slug}/settings`,
        form: { intent: "invite", email: to },
        cookie: await sessionCookieFor(fx.owner.id),
        to,
      };
    },
  },
  {
    name: "email change",
    async prepare() {
      const u = await createUser();
      const to = `${uniq("new")}@example.test`;
      return { path: "/account", form: { intent: "email", email: to, password: TEST_PASSWORD }, cookie: await sessionCookieFor(u.id), to };
    },
  },
];

describe("Host header variations on every mail-producing route", () => {
  for (const route of ROUTES) {
    it(`${route.name}: a foreign Host (direct or forwarded) is refused and mails nothing; the own host mails a link to itself`, async () => {
      for (const host of EVIL_HOSTS) {
        for (const variant of ["host", "x-forwarded-host"] as const) {
          const r = await route.prepare();
          const before = (await listOutbox({ to: r.to })).length;
          const headers = { ...FORM, [variant]: host, origin: `http://${host}`, ...(r.cookie ? { cookie: r.cookie } : {}) };
          const res = await raw(r.path, { method: "POST", headers, body: new URLSearchParams(r.form).toString() });
          expect(res.status, `${route.name} with ${variant}: ${host}`).toBe(403);
          expect((await listOutbox({ to: r.to })).length).toBe(before);
        }
      }
      const r = await route.prepare();
      const before = (await listOutbox({ to: r.to })).length;
      const res = await raw(r.path, {
        method: "POST",
        headers: { ...FORM, origin: server.url, ...(r.cookie ? { cookie: r.cookie } : {}) },
        body: new URLSearchParams(r.form).toString(),
      });
      expect(res.status, res.text.slice(0, 300)).toBeLessThan(400);
      const mails = await listOutbox({ to: r.to });
      expect(mails.length).toBe(before + 1);
      expect(new URL(firstLink(mails[0].textBody)!).origin).toBe(server.url);
    });
  }

  it("APP_URL, when set, is the only origin for links and for the CSRF check", async () => {
    // links: whatever the request's host, APP_URL
    const { resetEnvForTests } = await import("../../app/.server/env");
    const { appBaseUrl } = await import("../../app/.server/mail");
    const saved = process.env.APP_URL;
    process.env.APP_URL = "https://app.example.com";
    resetEnvForTests();
    try {
      for (const host of ["evil.example", "127.0.0.1:3000", "localhost"])
        expect(appBaseUrl(new Request(`http://${host}/forgot-password`))).toBe("https://app.example.com");
    } finally {
      if (saved === undefined) delete process.env.APP_URL;
      else process.env.APP_URL = saved;
      resetEnvForTests();
    }
    // CSRF: only APP_URL's origin, not the request's own loopback origin
    const configured = await startTestServer({ env: { NODE_ENV: "production", APP_URL: "https://app.example.com" } });
    try {
      const u = await createUser();
      const from = (host: string, origin: string) =>
        raw("/forgot-password", { method: "POST", headers: { ...FORM, host, origin }, body: new URLSearchParams({ email: u.email }).toString() }, configured);
      expect((await from(new URL(configured.url).host, configured.url)).status).toBe(403);
      expect((await from("evil.example", "http://evil.example")).status).toBe(403);
      // behind the TLS proxy: Host app.example.com, the browser's Origin https://app.example.com
      expect((await from("app.example.com", "https://app.example.com")).status).toBe(200);
    } finally {
      await configured.close();
    }
  });
});
