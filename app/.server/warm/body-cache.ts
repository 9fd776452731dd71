/**
 * The encoded-body cache (ADR 0150): the bytes Remix sent for a GET (the turbo-stream of a single
 * fetch, or a rendered document with its nonce taken out), and their gzip, per process. A warm hit
 * skips the loaders, serialisation and compression, which were most of a warm request's CPU.
 *
 * An entry is found only under its whole scope: the user id, the agency, the role, the workspace,
 * the page and its exact query, the process generation (state.ts: bumped by every state-changing
 * request here) and the workspace's generation, bumped by every live event of that workspace on the
 * bus (a sync committed a data version, sync progress or status changed). Generations are read
 * before the page is computed, so bytes computed from older data are stored under a key no later
 * request asks for. BODY_TTL_MS bounds what no event announces (another process's edit of a goal
 * or a name, the clock moving on): an older entry is served while one request renders it anew (no
 * stampede of renders), and one older than twice that is gone.
 */
import { gzip } from "node:zlib";
import { promisify } from "node:util";
import { LRUCache } from "lru-cache";
import { getBus, type Subscription } from "../realtime/bus";
import { logger } from "../logger";
import { deflateParts, type DeflatedParts } from "./spliced-gzip";
import { clearWarmCaches, warmState } from "./state";

export const BODY_TTL_MS = 15_000;
const MAX_BYTES = 96 * 1024 * 1024;
const MAX_WATCHED = 2_000;
const gzipAsync = promisify(gzip);
const EMPTY = Buffer.alloc(0);

export interface BodyEntry {
  status: number;
  headers: [string, string][];
  /** a data body as sent, and its gzip (empty for documents) */
  raw: Buffer;
  gzip: Buffer;
  storedAt: number;
  /** a document, cut where its CSP nonce was and deflated once: joined with each request's own nonce */
  doc?: DeflatedParts;
}

/** Who asks for what: every part of it is in the key. */
export interface BodyScope {
  userId: string;
  agencyId: string;
  role: string;
  canManage: boolean;
  workspaceId: string;
  /** "data" or "document" */
  kind: string;
  /** path and sorted query string */
  view: string;
}

interface BodyCaches {
  entries: LRUCache<string, BodyEntry>;
  generations: Map<string, number>;
  inflight: Map<string, Promise<BodyEntry | undefined>>;
  watched: Set<string>;
  subscription?: Subscription;
  bus?: Promise<boolean>;
}
const KEY = "__spendlaneWarmBodies";
const log = logger.child({ module: "warm-cache" });

function caches(): BodyCaches {
  const g = globalThis as Record<string, unknown>;
  let c = g[KEY] as BodyCaches | undefined;
  if (!c) {
    const made: BodyCaches = {
      entries: new LRUCache<string, BodyEntry>({
        maxSize: MAX_BYTES,
        sizeCalculation: (e) => e.raw.length + e.gzip.length + (e.doc?.parts.reduce((n, p, i) => n + p.length + e.doc!.segments[i].length, 0) ?? 0) + 256,
        ttl: 2 * BODY_TTL_MS,
      }),
      generations: new Map(),
      inflight: new Map(),
      watched: new Set(),
    };
    c = made;
    g[KEY] = made;
    warmState().onInvalidate.add(() => made.entries.clear());
  }
  return c;
}

/** A key holding the generations as they are now: read it before computing what is stored under it. */
export function bodyKey(scope: BodyScope): string {
  const c = caches();
  const ws = c.generations.get(scope.workspaceId) ?? 0;
  return JSON.stringify([warmState().generation, ws, scope.userId, scope.agencyId, scope.role, scope.canManage, scope.workspaceId, scope.kind, scope.view]);
}

/** The entry under `key`; `stale` once it is older than BODY_TTL_MS (it is dropped at twice that). */
export function getBody(key: string): { entry: BodyEntry; stale: boolean } | undefined {
  const e = caches().entries.get(key);
  const stats = warmState().stats;
  if (e) stats.bodyHits++;
  else stats.bodyMisses++;
  return e && { entry: e, stale: Date.now() - e.storedAt > BODY_TTL_MS };
}

/**
 * Stores `raw` (and its gzip) under `key` if nothing was invalidated since the key was made. The
 * workspace must be watched on the bus first (watchWorkspace), or its events would not evict.
 */
export async function putBody(
  key: string,
  workspaceId: string,
  body: { status: number; headers: [string, string][]; raw: Buffer; parts?: Buffer[] },
): Promise<BodyEntry | undefined> {
  const c = caches();
  const entry: BodyEntry = body.parts
    ? { status: body.status, headers: body.headers, raw: EMPTY, gzip: EMPTY, doc: await deflateParts(body.parts), storedAt: Date.now() }
    : { status: body.status, headers: body.headers, raw: body.raw, gzip: await gzipAsync(body.raw), storedAt: Date.now() };
  if (key !== bodyKey(scopeOf(key, workspaceId))) return undefined;
  c.entries.set(key, entry);
  warmState().stats.bodyStored++;
  return entry;
}

/**
 * Single flight: while one request computes a key's body, others asking for the same key wait for it
 * instead of computing it again (a hundred connections on an expired entry would otherwise render a
 * hundred documents at once). Resolves undefined when nothing was stored; those then compute.
 */
export function pendingBody(key: string): Promise<BodyEntry | undefined> | undefined {
  return caches().inflight.get(key);
}

/** Marks `key` as being computed; call the returned function exactly once with what was stored. */
export function startBody(key: string): (entry: BodyEntry | undefined) => void {
  const c = caches();
  let resolve!: (entry: BodyEntry | undefined) => void;
  const p = new Promise<BodyEntry | undefined>((r) => (resolve = r));
  c.inflight.set(key, p);
  return (entry) => {
    if (c.inflight.get(key) === p) c.inflight.delete(key);
    resolve(entry);
  };
}

/** Rebuilds the scope of a key so putBody can check that no generation moved while computing. */
function scopeOf(key: string, workspaceId: string): BodyScope {
  const [, , userId, agencyId, role, canManage, ws, kind, view] = JSON.parse(key) as [number, number, string, string, string, boolean, string, string, string];
  if (ws !== workspaceId) throw new Error("body cache key of another workspace");
  return { userId, agencyId, role, canManage, workspaceId: ws, kind, view };
}

function bump(workspaceId: string) {
  const c = caches();
  c.generations.set(workspaceId, (c.generations.get(workspaceId) ?? 0) + 1);
}

/**
 * Subscribes this process's bus to the workspace's events (once); resolves false when there is no
 * bus, in which case nothing of the workspace may be stored.
 */
export async function watchWorkspace(workspaceId: string): Promise<boolean> {
  const c = caches();
  c.bus ??= getBus().then(
    (bus) => {
      c.subscription = bus.subscribe([], (event) => bump(event.workspaceId));
      return true;
    },
    (err) => {
      log.warn({ err }, "no live event bus: the warm body cache stays off");
      return false;
    },
  );
  if (!(await c.bus)) return false;
  if (!c.watched.has(workspaceId)) {
    if (c.watched.size >= MAX_WATCHED) {
      // start over: the process generation moves first, so no key made before can match again
      clearWarmCaches();
      c.watched.clear();
      c.generations.clear();
    }
    c.watched.add(workspaceId);
    c.subscription?.update(c.watched);
  }
  return true;
}

export function bodyCacheStats() {
  const c = caches();
  return { entries: c.entries.size, bytes: c.entries.calculatedSize, watched: c.watched.size, ...warmState().stats };
}
