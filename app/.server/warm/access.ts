/**
 * The short-lived session and guard cache (ADR 0150). A warm dashboard request used to spend 1.7 ms
 * of CPU on the session row and the agency/workspace guard (two small transactions); both answers
 * change rarely, so GET requests reuse them for ACCESS_TTL_MS, per process.
 *
 * Keys: the request's exact Cookie header (its session cookie is signed) for the session, and the user id plus the slugs for
 * a guard, so an answer is only ever reused for the same signed-in session or the same user. Every
 * key carries the process's generation (state.ts): a state-changing request finished in this process
 * (a membership change, a logout, a password change) drops everything at once; in other processes the
 * answer is at most ACCESS_TTL_MS old. Only successes are kept: a 404 or a redirect to /login is
 * asked again next time. Actions never use this cache; row-level security still enforces every read
 * underneath.
 */
import { LRUCache } from "lru-cache";
import { isReadRequest, warmState } from "./state";

export const ACCESS_TTL_MS = 5_000;

interface AccessCaches {
  entries: LRUCache<string, Promise<unknown>>;
}
const KEY = "__spendlaneWarmAccess";

function caches(): AccessCaches {
  const g = globalThis as Record<string, unknown>;
  let c = g[KEY] as AccessCaches | undefined;
  if (!c) {
    c = { entries: new LRUCache<string, Promise<unknown>>({ max: 20_000, ttl: ACCESS_TTL_MS, ttlAutopurge: false }) };
    g[KEY] = c;
    const entries = c.entries;
    warmState().onInvalidate.add(() => entries.clear());
  }
  return c;
}

/**
 * `load()` once per key for ACCESS_TTL_MS on GET requests while the warm cache is on; otherwise (an
 * action, the cache off) simply `load()`. Rejections are not cached.
 */
export function memoAccess<T>(request: { method: string }, key: string, load: () => Promise<T>): Promise<T> {
  const state = warmState();
  if (!state.enabled || !isReadRequest(request)) return load();
  const { entries } = caches();
  const k = `${state.generation}|${key}`;
  const hit = entries.get(k) as Promise<T> | undefined;
  if (hit) {
    state.stats.accessHits++;
    return hit;
  }
  const p = load();
  entries.set(k, p);
  p.catch(() => {
    if (entries.get(k) === p) entries.delete(k);
  });
  return p;
}
