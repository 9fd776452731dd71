/**
 * Creative images, fetched by the server and kept in our database so pages serve them from our own
 * origin: the browser never calls Meta, the CSP stays `img-src 'self'`, and every app process can
 * serve every image. Meta's image URLs are signed CDN links that expire; each objects sync stores a
 * fresh one, and this step fetches images not cached yet, failed before, or older than a week.
 *
 * Only URLs on allowed hosts are fetched (Meta's CDN, or the configured Graph origin when that is the
 * emulator), redirects are not followed, and the bytes must be an image of an allowed type (checked
 * by signature, not by the header alone) under 2 MB. Runtime-agnostic (fetch, Web Crypto).
 */
import type { Sql } from "postgres";

export interface CreativeImageOptions {
  /** Host names (exact) or suffixes starting with "." that images may come from. */
  allowedHosts: string[];
  fetch?: typeof fetch;
  /** At most this many images per sync run (the rest follow on the next run). */
  maxPerRun?: number;
  timeoutMs?: number;
  refreshAfterDays?: number;
}

export const META_CDN_HOSTS = [".fbcdn.net", ".cdninstagram.com", ".facebook.com"];
const MAX_BYTES = 2 * 1024 * 1024;

const SIGNATURES: Array<[string, (b: Uint8Array) => boolean]> = [
  ["image/png", (b) => b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47],
  ["image/jpeg", (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff],
  ["image/gif", (b) => b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46],
  ["image/webp", (b) => b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 && b[8] === 0x57 && b[9] === 0x45],
];

export function hostAllowed(url: string, allowed: string[]): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") return false;
  const host = u.host.toLowerCase();
  const name = u.hostname.toLowerCase();
  return allowed.some((a) => (a.startsWith(".") ? name.endsWith(a) : host === a.toLowerCase()));
}

interface Fetched {
  creativeId: string;
  ok: boolean;
  type?: string;
  bytes?: Uint8Array;
  sha256?: string;
  error?: string;
}

async function fetchImage(creativeId: string, url: string, o: CreativeImageOptions): Promise<Fetched> {
  if (!hostAllowed(url, o.allowedHosts)) return { creativeId, ok: false, error: "image URL is not on Meta's CDN" };
  try {
    const res = await (o.fetch ?? fetch)(url, { redirect: "manual", signal: AbortSignal.timeout(o.timeoutMs ?? 10_000) });
    if (res.status !== 200) {
      await res.body?.cancel();
      return { creativeId, ok: false, error: `image fetch answered HTTP ${res.status}` };
    }
    const len = Number(res.headers.get("content-length") ?? 0);
    if (len > MAX_BYTES) {
      await res.body?.cancel();
      return { creativeId, ok: false, error: "image larger than 2 MB" };
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (bytes.length > MAX_BYTES) return { creativeId, ok: false, error: "image larger than 2 MB" };
    const type = SIGNATURES.find(([, test]) => test(bytes))?.[0];
    if (!type) return { creativeId, ok: false, error: "not a PNG, JPEG, GIF or WebP image" };
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    return { creativeId, ok: true, type, bytes, sha256: Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("") };
  } catch (err) {
    return { creativeId, ok: false, error: err instanceof Error && err.name === "TimeoutError" ? "image fetch timed out" : "image fetch failed" };
  }
}

/** Fetches the account's missing or stale creative images; returns how many were stored or failed. */
export async function refreshCreativeImages(sql: Sql, adAccountId: string, o: CreativeImageOptions): Promise<{ fetched: number; failed: number }> {
  const days = o.refreshAfterDays ?? 7;
  const due = await sql.begin(
    (tx) => tx<{ creative_id: string; image_url: string; workspace_id: string }[]>`
    select distinct on (a.creative_id) a.creative_id, a.image_url, a.workspace_id
    from public.ads a
    left join public.creative_images ci on ci.ad_account_id = a.ad_account_id and ci.creative_id = a.creative_id
    where a.ad_account_id = ${adAccountId} and a.creative_id is not null and a.image_url is not null
      and (ci.creative_id is null or ci.status = 'failed' or ci.fetched_at < now() - make_interval(days => ${days}))
    order by a.creative_id, a.updated_at desc
    limit ${o.maxPerRun ?? 300}`,
  );
  if (due.length === 0) return { fetched: 0, failed: 0 };
  const results: Fetched[] = [];
  // a few at a time: polite to the CDN, and bounded memory
  for (let i = 0; i < due.length; i += 6) {
    results.push(...(await Promise.all(due.slice(i, i + 6).map((d) => fetchImage(d.creative_id, d.image_url, o)))));
  }
  const ws = due[0]!.workspace_id;
  await sql.begin(async (tx) => {
    for (const r of results) {
      await tx`
        insert into public.creative_images (ad_account_id, creative_id, workspace_id, content_type, bytes, sha256, status, error, fetched_at)
        values (${adAccountId}, ${r.creativeId}, ${ws}, ${r.ok ? r.type! : null}, ${r.ok ? r.bytes! : null}, ${r.sha256 ?? null}, ${r.ok ? "ok" : "failed"}, ${r.error ?? null}, now())
        on conflict (ad_account_id, creative_id) do update set
          content_type = coalesce(excluded.content_type, creative_images.content_type),
          bytes = coalesce(excluded.bytes, creative_images.bytes),
          sha256 = coalesce(excluded.sha256, creative_images.sha256),
          -- a failed refresh keeps the last good image
          status = case when excluded.status = 'ok' or creative_images.bytes is null then excluded.status else creative_images.status end,
          error = excluded.error, fetched_at = excluded.fetched_at`;
    }
  });
  const fetched = results.filter((r) => r.ok).length;
  return { fetched, failed: results.length - fetched };
}
