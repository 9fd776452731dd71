/**
 * Which GET requests the encoded-body cache serves, and how (ADR 0150). The Express pipeline
 * (server/app.ts) hands every request to `warmResponse`; pages not listed here go straight to Remix.
 *
 * A listed page is a workspace page whose loader data depends only on the user, their role in the
 * agency, the workspace's data and the URL: the dashboard and the drill-down pages. Before anything is
 * served, the same guard as the route's loader (requireWorkspace: session and access, cached for a few
 * seconds by access.ts) decides who is asking; a request it refuses (no session, another tenant's
 * slug) goes to Remix, which answers it as always (redirect to /login, 404).
 *
 * Two shapes are kept: a single fetch's turbo-stream (`….data?_routes=<page>`), as sent and gzipped;
 * and the whole HTML document, cut at its CSP nonce. A document hit is joined with the nonce of the
 * request being answered, whose CSP header names that nonce: one request's nonce is never sent to
 * another. Both are gzipped once when stored (a document through spliced-gzip.ts).
 */
import { requireWorkspace } from "../auth/guards";
import { contentSecurityPolicy } from "../security/headers";
import { bodyKey, getBody, pendingBody, putBody, startBody, watchWorkspace, type BodyScope } from "./body-cache";
import { gzipJoined, joinParts, splitBuffer } from "./spliced-gzip";
import { warmState } from "./state";

const WORKSPACE_LAYOUT = "routes/a.$agency.w.$workspace";
/** Single-fetch route ids whose loader data may be cached, with the path that reaches them. */
const PAGES: { routeId: string; pattern: RegExp }[] = [
  { routeId: "routes/a.$agency.w.$workspace._index", pattern: /^\/a\/([^/]+)\/w\/([^/]+)$/ },
  { routeId: "routes/a.$agency.w.$workspace.campaigns.$campaign", pattern: /^\/a\/([^/]+)\/w\/([^/]+)\/campaigns\/[^/]+$/ },
  { routeId: "routes/a.$agency.w.$workspace.adsets.$adset", pattern: /^\/a\/([^/]+)\/w\/([^/]+)\/adsets\/[^/]+$/ },
];

export interface WarmHit {
  kind: "hit";
  status: number;
  headers: [string, string][];
  body: Buffer;
  /** already gzipped (the client takes gzip); otherwise compression() may still compress it */
  gzipped: boolean;
}
export type WarmAnswer = WarmHit | { kind: "pass"; response: Response };

interface Candidate {
  kind: "data" | "document";
  agencySlug: string;
  workspaceSlug: string;
  view: string;
}

/** A cacheable request: a page's document, or its single fetch (`….data?_routes=<page>`); else null. */
export function warmCandidate(url: URL): Candidate | null {
  const isData = url.pathname.endsWith(".data");
  const path = isData ? url.pathname.slice(0, -".data".length) : url.pathname;
  const routes = url.searchParams.get("_routes");
  if (isData && !routes) return null;
  if (!isData && (url.searchParams.has("_data") || routes)) return null;
  for (const page of PAGES) {
    const m = page.pattern.exec(path);
    if (!m) continue;
    // the page's own loader, optionally with the workspace frame's (the agency layout's bell is not cached)
    const ids = routes?.split(",") ?? [];
    if (isData && (!ids.includes(page.routeId) || ids.some((id) => id !== page.routeId && id !== WORKSPACE_LAYOUT))) return null;
    // the exact query as sent: the page renders from it
    return { kind: isData ? "data" : "document", agencySlug: m[1], workspaceSlug: m[2], view: `${path}${url.search}` };
  }
  return null;
}

function acceptsGzip(request: Request) {
  return /\bgzip\b/.test(request.headers.get("accept-encoding") ?? "");
}

const DROP_HEADERS = new Set(["content-length", "content-encoding", "date", "content-security-policy"]);

/**
 * A cached answer for this GET, or Remix's (`handle`), whose bytes are kept for the next request when
 * the page is cacheable and the answer a plain 200 without cookies. `nonce` is this request's CSP nonce.
 */
export async function warmResponse(request: Request, nonce: string, handle: () => Promise<Response>): Promise<WarmAnswer> {
  const candidate = warmState().enabled && request.method === "GET" ? warmCandidate(new URL(request.url)) : null;
  if (!candidate || (candidate.kind === "document" && nonce.length < 16)) return { kind: "pass", response: await handle() };
  let scope: BodyScope;
  try {
    const access = await requireWorkspace(request, candidate.agencySlug, candidate.workspaceSlug);
    scope = {
      userId: access.user.id,
      agencyId: access.agency.id,
      role: access.role,
      canManage: access.canManage,
      workspaceId: access.workspace.id,
      kind: candidate.kind,
      view: candidate.view,
    };
  } catch (err) {
    // refused (redirect, 404) or failed: Remix answers it exactly as without the cache
    if (err instanceof Response) return { kind: "pass", response: await handle() };
    throw err;
  }
  const watched = await watchWorkspace(scope.workspaceId);
  const key = bodyKey(scope);
  const found = watched ? getBody(key) : undefined;
  let entry = found?.entry;
  // another request is computing this very key: wait for its bytes (no await before compute()
  // registers itself otherwise, or concurrent first requests would all render)
  const pending = watched && !entry ? pendingBody(key) : undefined;
  if (pending) entry = await pending;
  // older than BODY_TTL_MS but no event moved it: served once more while one request renders it anew
  if (found?.stale && !pendingBody(key))
    void compute(request, nonce, key, scope, handle).then(
      (r) => r.body?.cancel(),
      // a failed re-render keeps the old entry until it expires; the next request tries again
      () => undefined,
    );
  if (entry) {
    const gzipped = acceptsGzip(request);
    const headers: [string, string][] = [...entry.headers, ["Vary", "Accept-Encoding"]];
    if (gzipped) headers.push(["Content-Encoding", "gzip"]);
    if (!entry.doc) return { kind: "hit", status: entry.status, headers, body: gzipped ? entry.gzip : entry.raw, gzipped };
    // a document: this request's nonce, in the body and in the CSP header
    const mine = Buffer.from(nonce);
    headers.push(["Content-Security-Policy", contentSecurityPolicy({ nonce })]);
    return { kind: "hit", status: entry.status, headers, body: gzipped ? gzipJoined(entry.doc, mine) : joinParts(entry.doc, mine), gzipped };
  }
  if (!watched) return { kind: "pass", response: await handle() };
  return { kind: "pass", response: await compute(request, nonce, key, scope, handle) };
}

/** Remix's answer, whose bytes are stored under `key` when it is a plain 200 of the expected type without cookies. */
async function compute(request: Request, nonce: string, key: string, scope: BodyScope, handle: () => Promise<Response>): Promise<Response> {
  const finish = startBody(key);
  let response: Response;
  try {
    response = await handle();
  } catch (err) {
    finish(undefined);
    throw err;
  }
  const type = response.headers.get("Content-Type") ?? "";
  const expected = scope.kind === "data" ? type.startsWith("text/x-script") : type.startsWith("text/html");
  if (!expected || response.status !== 200 || !response.body || response.headers.has("Set-Cookie")) {
    finish(undefined);
    return response;
  }
  const [toClient, toCache] = response.body.tee();
  const headers = [...response.headers].filter(([name]) => !DROP_HEADERS.has(name.toLowerCase()));
  void new Response(toCache)
    .arrayBuffer()
    .then((bytes) => {
      // an aborted request may have ended its stream early: never keep those bytes
      if (request.signal.aborted) return undefined;
      const raw = Buffer.from(bytes);
      // a document is kept without its nonce: each later request gets its own
      const parts = scope.kind === "document" ? splitBuffer(raw, Buffer.from(nonce)) : undefined;
      return putBody(key, scope.workspaceId, { status: response.status, headers, raw, parts });
    })
    // the client went away mid-stream, or gzip failed: simply not cached
    .then(finish, () => finish(undefined));
  return new Response(toClient, { status: response.status, statusText: response.statusText, headers: response.headers });
}
