/**
 * Cross-tenant URLs answer 404: every role of agency B (owner, admin, member, client viewer) gets
 * nothing from any URL carrying agency A's ids (an anonymous visitor is redirected to log in), while A's owner gets through. Drives the whole
 * Remix app (routes, loaders, actions, error boundary) through its request handler, built in memory
 * by Vite from the working tree, with real session cookies.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type ViteDevServer } from "vite";
import { createRequestHandler, type ServerBuild } from "@remix-run/node";
import { createAgencyFixture } from "../helpers/factories";
import { sessionCookieFor } from "../helpers/session";
import { TENANT_URLS, type TenantIds } from "../helpers/urls";

let vite: ViteDevServer;
let handle: (request: Request) => Promise<Response>;
let ids: TenantIds;
let agencyAName: string;
let cookieA: string;
let cookiesB: [string, string][];

beforeAll(async () => {
  vite = await createServer({ server: { middlewareMode: true, hmr: false }, appType: "custom", logLevel: "silent" });
  const build = (await vite.ssrLoadModule("virtual:remix/server-build")) as ServerBuild;
  const handler = createRequestHandler(build, "production");
  handle = (request) => handler(request, { nonce: "test-nonce", requestId: "routes-404", clientIp: "127.0.0.1" });
  const A = await createAgencyFixture();
  const B = await createAgencyFixture();
  agencyAName = A.agency.name;
  ids = { agency: A.agency.slug, workspace: A.workspaces[0].slug, workspace2: A.workspaces[1].slug, workspaceId: A.workspaces[0].id };
  cookieA = await sessionCookieFor(A.owner.id);
  cookiesB = [
    ["owner", await sessionCookieFor(B.owner.id)],
    ["admin", await sessionCookieFor(B.admin.id)],
    ["member", await sessionCookieFor(B.member.id)],
    ["viewer", await sessionCookieFor(B.viewer.id)],
  ];
});

afterAll(async () => {
  await vite?.close();
});

function request(url: (typeof TENANT_URLS)[number], cookie: string | null) {
  // Host and Origin as a browser sends them (Remix refuses document POSTs without a matching host).
  const headers = new Headers({ Host: "localhost", Origin: "http://localhost" });
  if (cookie) headers.set("Cookie", cookie);
  if (url.method === "POST") headers.set("Content-Type", "application/x-www-form-urlencoded");
  return new Request(`http://localhost${url.path(ids)}`, {
    method: url.method ?? "GET",
    headers,
    body: url.method === "POST" ? new URLSearchParams(url.form ?? {}) : undefined,
    redirect: "manual",
  });
}

describe("cross-tenant URLs", () => {
  for (const url of TENANT_URLS) {
    const label = `${url.method ?? "GET"} ${url.path({ agency: ":agency", workspace: ":workspace", workspace2: ":workspace2", workspaceId: ":workspaceId" })}`;
    it(`${label}: 404 for agency B, through for agency A, login for anonymous`, async () => {
      for (const [role, cookieB] of cookiesB) {
        const asB = await handle(request(url, cookieB));
        expect(asB.status, `agency B's ${role}`).toBe(404);
        const body = await asB.text();
        // Nothing of A leaks into the answer (pages render the 404 boundary, resource routes a bare 404).
        expect(body).not.toContain(agencyAName);
        if (asB.headers.get("Content-Type")?.includes("text/html")) expect(body).toContain("Page not found");
      }
      const asA = await handle(request(url, cookieA));
      expect(asA.status, `A's owner must get through ${label}`).not.toBe(404);
      expect(asA.status).toBeLessThan(500);
      const anon = await handle(request(url, null));
      expect(anon.status).toBe(302);
      expect(anon.headers.get("Location")).toMatch(/^\/login/);
    });
  }

  it("an agency that does not exist looks exactly like someone else's", async () => {
    const other = await handle(new Request(`http://localhost/a/${ids.agency}/clients`, { headers: { Cookie: cookiesB[0][1], Host: "localhost" } }));
    const missing = await handle(new Request(`http://localhost/a/no-such-agency-x/clients`, { headers: { Cookie: cookiesB[0][1], Host: "localhost" } }));
    expect(other.status).toBe(missing.status);
    const strip = (s: string) => s.replace(/nonce="[^"]*"/g, "").replace(/no-such-agency-x|[a-z0-9-]*ag-[a-f0-9]+/g, "SLUG");
    expect(strip(await other.text())).toBe(strip(await missing.text()));
  });
});
