/**
 * The reporting cache: one LRU per process (module singleton), holding promises so concurrent cold
 * requests for the same report share one query. Keys always contain the workspace's data version
 * (public.data_versions), which every committed sync chunk bumps: a sync invalidates exactly the
 * workspaces it changed, and nothing else needs to be evicted by hand.
 *
 * Access control is not the cache's business: callers read the data version under asUser first, so a
 * user who cannot see the workspace never reaches a cached value (RLS answers "no such workspace").
 */
import { LRUCache } from "lru-cache";

const cache = new LRUCache<string, Promise<unknown>>({
  max: 2000,
  // a safety net for memory only; correctness comes from the version in the key
  ttl: 60 * 60 * 1000,
});

/** Returns the cached value for `key`, or runs `load` once and caches its promise (failures are not cached). */
export function cached<T>(key: string, load: () => Promise<T>): Promise<T> {
  const hit = cache.get(key) as Promise<T> | undefined;
  if (hit) {
    lookups.hits++;
    return hit;
  }
  lookups.misses++;
  const p = load();
  cache.set(key, p);
  p.catch(() => {
    if (cache.get(key) === p) cache.delete(key);
  });
  return p;
}

const lookups = { hits: 0, misses: 0 };

export function cacheStats() {
  return { size: cache.size, hits: lookups.hits, misses: lookups.misses };
}

/** Tests and benchmarks measure cold paths. */
export function clearReportCache() {
  cache.clear();
}
