/**
 * The warm path's shared state (ADR 0150): whether the per-process caches are on, and the process's
 * invalidation generation. It lives on globalThis because the server entry (server/app.ts, run by
 * tsx) and the Remix build (the loaders, bundled by Vite) load separate copies of these modules and
 * must see one cache, exactly like the live event bus.
 *
 * Off unless the HTTP server turns it on (createApp's `warmCache`): loaders called directly (tests,
 * CLI, workers) always read access and sessions from the database.
 */
export interface WarmState {
  enabled: boolean;
  /**
   * Bumped by every state-changing request this process finished (a membership change, a logout, a
   * goal edited…) and by clearWarmCaches(). Cache keys contain it, so an entry computed before such a
   * request can never be served after it, even if the computation finishes later.
   */
  generation: number;
  /** Callbacks of the cache modules, run on every bump (they drop what the old generation stored). */
  onInvalidate: Set<() => void>;
  stats: { sessionHits: number; accessHits: number; bodyHits: number; bodyMisses: number; bodyStored: number; invalidations: number };
}

const KEY = "__spendlaneWarmCache";

export function warmState(): WarmState {
  const g = globalThis as Record<string, unknown>;
  return (g[KEY] ??= {
    enabled: false,
    generation: 0,
    onInvalidate: new Set(),
    stats: { sessionHits: 0, accessHits: 0, bodyHits: 0, bodyMisses: 0, bodyStored: 0, invalidations: 0 },
  }) as WarmState;
}

/** Whether GET requests may use the warm caches (the HTTP server's switch; WARM_CACHE=0 turns it off). */
export function warmCacheEnabled(): boolean {
  return warmState().enabled;
}

export function setWarmCacheEnabled(on: boolean) {
  const s = warmState();
  if (s.enabled !== on) clearWarmCaches();
  s.enabled = on;
}

/** Forgets every session, access and body entry of this process. */
export function clearWarmCaches() {
  const s = warmState();
  s.generation++;
  s.stats.invalidations++;
  for (const fn of s.onInvalidate) fn();
}

/** GET and HEAD only: actions always check sessions and access against the database. */
export function isReadRequest(request: { method: string }) {
  return request.method === "GET" || request.method === "HEAD";
}
