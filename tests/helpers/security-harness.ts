/**
 * A whole Spendlane HTTP server for security tests: the real Express pipeline (server/app.ts) over
 * the real routes, compiled on the fly by Vite (no production build needed), listening on a random
 * loopback port against the test database.
 */
import { randomInt } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import type { ServerBuild } from "@remix-run/node";
import { createServer, type ViteDevServer } from "vite";
import { createApp, type AppOptions, type AppRuntime } from "../../server/app";

export interface TestServer {
  url: string;
  clientAddress: string;
  /** fetch against the server; state-changing requests get a same-origin Origin unless given one. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

let vite: ViteDevServer | undefined;

async function loadBuild(): Promise<ServerBuild> {
  vite ??= await createServer({
    server: { middlewareMode: true, hmr: false, ws: false, watch: null },
    appType: "custom",
    logLevel: "error",
    clearScreen: false,
  });
  return (await vite.ssrLoadModule("virtual:remix/server-build")) as ServerBuild;
}

/** `trustProxy: false` tests the default (no proxy trusted); the harness normally poses as one. */
export async function startTestServer(
  runtime: Partial<AppRuntime> = {},
  opts: { trustProxy?: AppOptions["trustProxy"]; warmCache?: boolean } = {},
): Promise<TestServer> {
  const build = await loadBuild();
  const app = createApp(
    build,
    { env: { NODE_ENV: "production", ...runtime.env }, expressMounts: runtime.expressMounts ?? [] },
    {
      // The test client poses as a proxy on loopback (TRUST_PROXY=loopback) so that each test server
      // can play its own client address through X-Forwarded-For; `trustProxy: false` tests the default.
      trustProxy: opts.trustProxy ?? "loopback",
      // the warm path's caches (ADR 0150) only where a test asks for them, as the server turns them on
      warmCache: opts.warmCache,
    },
  );
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Each server poses as its own client address (through the trusted loopback proxy hop), so test
  // files running at the same time do not share per-IP rate-limit buckets.
  const clientAddress = `10.${randomInt(256)}.${randomInt(256)}.${1 + randomInt(254)}`;
  return {
    clientAddress,
    url,
    fetch(path, init = {}) {
      const headers = new Headers(init.headers);
      const method = (init.method ?? "GET").toUpperCase();
      if (method !== "GET" && method !== "HEAD" && !headers.has("origin") && !headers.has("sec-fetch-site")) headers.set("origin", url);
      if (!headers.has("x-forwarded-for")) headers.set("x-forwarded-for", clientAddress);
      return fetch(url + path, { redirect: "manual", ...init, headers });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function closeVite() {
  await vite?.close();
  vite = undefined;
}
