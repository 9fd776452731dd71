import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../server/app";
import { contentSecurityPolicy } from "../../app/.server/security/headers";
import { closeVite, startTestServer, type TestServer } from "../helpers/security-harness";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
  await closeVite();
});

function nonceOf(csp: string | null) {
  return csp?.match(/'nonce-([A-Za-z0-9+/=]+)'/)?.[1];
}

const FIXED = {
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "strict-origin-when-cross-origin",
  "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
};

describe("security headers", () => {
  it("documents get a per-response nonce CSP, and every script carries that nonce", async () => {
    const res = await server.fetch("/login");
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy");
    const nonce = nonceOf(csp);
    expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(csp).toBe(contentSecurityPolicy({ nonce, metaWebUrl: "https://www.facebook.com" }));
    for (const directive of [
      "default-src 'self'",
      `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'`,
      "frame-ancestors 'none'",
      "form-action 'self' https://www.facebook.com",
      "object-src 'none'",
      "base-uri 'self'",
    ]) {
      expect(csp).toContain(directive);
    }
    for (const [name, value] of Object.entries(FIXED)) expect(res.headers.get(name)).toBe(value);
    expect(res.headers.get("strict-transport-security")).toMatch(/^max-age=\d{8}/);

    const html = await res.text();
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);

    const again = nonceOf((await server.fetch("/login")).headers.get("content-security-policy"));
    expect(again).toBeTruthy();
    expect(again).not.toBe(nonce);
  });

  it("data requests, resource routes and Express-level answers carry the headers once", async () => {
    for (const url of ["/login.data", "/webhooks/meta/deauthorize", "/_index-does-not-exist"]) {
      const res = await server.fetch(url);
      for (const [name, value] of Object.entries(FIXED)) expect(res.headers.get(name), `${name} on ${url}`).toBe(value);
      expect(res.headers.get("content-security-policy"), url).toContain("frame-ancestors 'none'");
      await res.arrayBuffer();
    }
    const refused = await server.fetch("/login", { method: "POST", headers: { origin: "https://evil.example" } });
    expect(refused.status).toBe(403);
    expect(refused.headers.get("x-frame-options")).toBe("DENY");
    expect(refused.headers.get("content-security-policy")).toContain("default-src 'self'");
  });

  it("keeps a stricter header a route chose, but always sends our nonce CSP", async () => {
    const res = await server.fetch("/invite/not-a-real-invitation-token");
    await res.text();
    expect(res.headers.get("referrer-policy")).toBe("same-origin");
    expect(res.headers.get("content-security-policy")).toMatch(/'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
  });

  it("static files get the headers; HSTS only in production", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spendlane-static-"));
    fs.mkdirSync(path.join(dir, "assets"));
    fs.writeFileSync(path.join(dir, "assets", "app-123.js"), "console.log(1)");
    const build = async () => {
      throw new Error("not used");
    };
    for (const NODE_ENV of ["production", "development"]) {
      const app = createApp(build, { env: { NODE_ENV }, expressMounts: [] }, { clientDir: dir });
      const s = app.listen(0, "127.0.0.1");
      await new Promise((r) => s.once("listening", r));
      try {
        const res = await fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}/assets/app-123.js`);
        expect(res.status).toBe(200);
        expect(await res.text()).toBe("console.log(1)");
        for (const [name, value] of Object.entries(FIXED)) expect(res.headers.get(name)).toBe(value);
        expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
        expect(res.headers.has("strict-transport-security")).toBe(NODE_ENV === "production");
      } finally {
        s.closeAllConnections();
        await new Promise((r) => s.close(r));
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
