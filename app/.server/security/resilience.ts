/**
 * When the database is unreachable the app answers 503 ("try again shortly"), not 500, and recovers
 * by itself: the `postgres` pool reconnects on the next query once the database is back, so nothing
 * has to restart.
 *
 * Route loaders and actions are wrapped once, centrally, so no route has to remember this: a
 * connection error thrown anywhere below a loader becomes a thrown 503 Response, which Remix renders
 * with the nearest ErrorBoundary for documents and encodes as data for fetches. Errors outside Remix
 * reach the Express error handler, which uses the same test.
 */
import type { ServerBuild } from "@remix-run/node";
import { logContext, logger } from "../logger";

/** Node socket errors and `postgres` client codes that mean "no database connection". */
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "CONNECTION_ENDED",
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  // PostgreSQL: admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections
  "57P01",
  "57P02",
  "57P03",
  "53300",
]);

/** True for errors that mean the database cannot be reached right now (as opposed to a bad query). */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== "object" || depth > 4) return false;
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown[] };
  if (typeof e.code === "string") {
    // SQLSTATE class 08: connection exception
    if (CONNECTION_CODES.has(e.code) || /^08[0-9A-Z]{3}$/.test(e.code)) return true;
  }
  if (Array.isArray(e.errors) && e.errors.some((x) => isDatabaseUnavailable(x, depth + 1))) return true;
  return isDatabaseUnavailable(e.cause, depth + 1);
}

export const RETRY_AFTER_SECONDS = 5;
export const UNAVAILABLE_MESSAGE = "Spendlane is temporarily unavailable. Try again in a moment.";

/** True when the client asked for data (a Remix data fetch or JSON), false for a page load. */
export function wantsJson(url: string, accept: string | null | undefined): boolean {
  const { pathname, searchParams } = new URL(url, "http://localhost");
  return pathname.endsWith(".data") || searchParams.has("_data") || (accept ?? "").includes("application/json");
}

export function unavailableJson(): Response {
  return new Response(JSON.stringify({ error: UNAVAILABLE_MESSAGE }), {
    status: 503,
    headers: { "Content-Type": "application/json; charset=utf-8", "Retry-After": String(RETRY_AFTER_SECONDS), "Cache-Control": "no-store" },
  });
}

/** A self-contained page (no scripts, no app shell: the shell may need the database too). */
export function unavailableHtml(): string {
  return `<!doctype html><html lang="en" class="dark"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Spendlane is temporarily unavailable</title>
<style>body{margin:0;min-height:100vh;display:grid;place-items:center;background:#09090b;color:#e4e4e7;font-family:system-ui,sans-serif}
main{max-width:28rem;padding:2.5rem;text-align:center}p{color:#a1a1aa}a{color:#60a5fa}</style></head>
<body><main><p>Error 503</p><h1>${UNAVAILABLE_MESSAGE}</h1><p>Your data is safe. This page will work again as soon as the connection is back.</p><a href="">Try again</a></main></body></html>`;
}

type RouteFn = (args: { request: Request }) => unknown;

function guard(fn: RouteFn, routeId: string): RouteFn {
  return async (args) => {
    try {
      return await fn(args);
    } catch (err) {
      if (!isDatabaseUnavailable(err)) throw err;
      logger.error({ err, routeId }, "database unavailable");
      // kept for server/app.ts: single-fetch (.data) responses lose this Response's headers
      const ctx = logContext();
      if (ctx) ctx.retryAfterSeconds = Math.max(ctx.retryAfterSeconds ?? 0, RETRY_AFTER_SECONDS);
      throw unavailableJson();
    }
  };
}

const wrapped = new WeakMap<ServerBuild, ServerBuild>();

/** The same build with every loader and action guarded (memoised per build, so dev reloads stay cheap). */
export function withDatabaseResilience(build: ServerBuild): ServerBuild {
  const hit = wrapped.get(build);
  if (hit) return hit;
  const routes: ServerBuild["routes"] = {};
  for (const [id, route] of Object.entries(build.routes)) {
    const mod = { ...route.module } as Record<string, unknown>;
    if (typeof mod.loader === "function") mod.loader = guard(mod.loader as RouteFn, id);
    if (typeof mod.action === "function") mod.action = guard(mod.action as RouteFn, id);
    routes[id] = { ...route, module: mod as unknown as typeof route.module };
  }
  const out = { ...build, routes };
  wrapped.set(build, out);
  return out;
}
