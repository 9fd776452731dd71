/**
 * Which GET requests the encoded-body cache serves, and how (ADR 0150). The Express pipeline
 * (server/app.ts) hands every GET to `warmResponse`; pages not listed here go straight to Remix.
 *
 * A listed page is a workspace page whose loader data depends only on the user, their role in the
 * agency, the workspace's data and the URL: the dashboard and the drill-down pages. Before anything is
 * served, the same guard as the route's loader (requireWorkspace: session and access, cached for a few
 * seconds by access.ts) decides who is asking; a request it refuses (no session, another tenant's
 * slug) goes to Remix, which answers it as always (redirect to /login, 404).
 */
import { requireWorkspace } from "../auth/guards";
import { bodyKey, getBody, putBody, watchWorkspace, type BodyEntry, type BodyScope } from "./body-cache";
import { warmState } from "./state";

const WORKSPACE_LAYOUT = "routes/a.$agency.w.$workspace";
/** Single-fetch route ids whose loader data may be cached, with the path that reaches them. */
const PAGES: { routeId: string; pattern: RegExp }[] = [
  { routeId: "routes/a.$agency.w.$workspace._index", pattern: /^\/a\/([^/]+)\/w\/([^/]+)$/ },
  { routeId: "routes/a.$agency.w.$workspace.campaigns.$campaign", pattern: /^\/a\/([^/]+)\/w\/([^/]+)\/campaigns\/[^/]+$/ },
  { routeId: "routes/a.$agency.w.$workspace.adsets.$adset", pattern: /^\/a\/([^/]+)\/w\/([^/]+)\/adsets\/[^/]+$/ },
];

export type WarmAnswer = { kind: "hit"; entry: BodyEntry; gzip: boolean } | { kind: "pass"; response: Response };

interface Candidate {
  agencySlug: string;
  workspaceSlug: string;
  view: string;
}

/** A cacheable single-fetch request (`/a/…/w/….data?_routes=<page>`), or null. */
export function dataCandidate(url: URL): Candidate | null {
  if (!url.pathname.endsWith(".data")) return null;
  const path = url.pathname.slice(0, -".data".length);
  const routes = url.searchParams.get("_routes");
  if (!routes) return null;
  for (const page of PAGES) {
    const m = page.pattern.exec(path);
    if (!m) continue;
    // the page's own loader, optionally with the workspace frame's (the agency layout's bell is not cached)
    const ids = routes.split(",");
    if (!ids.includes(page.routeId) || ids.some((id) => id !== page.routeId && id !== WORKSPACE_LAYOUT)) return null;
    const params = new URLSearchParams(url.search);
    params.sort();
    return { agencySlug: m[1], workspaceSlug: m[2], view: `${path}?${params}` };
  }
  return null;
}

function acceptsGzip(request: Request) {
  return /\bgzip\b/.test(request.headers.get("accept-encoding") ?? "");
}

/**
 * A cached answer for this GET, or Remix's (`handle`), whose bytes are kept for the next request when
 * the page is cacheable and the answer a plain 200 without cookies.
 */
export async function warmResponse(request: Request, handle: () => Promise<Response>): Promise<WarmAnswer> {
  const candidate = warmState().enabled && request.method === "GET" ? dataCandidate(new URL(request.url)) : null;
  if (!candidate) return { kind: "pass", response: await handle() };
  let scope: BodyScope;
  try {
    const access = await requireWorkspace(request, candidate.agencySlug, candidate.workspaceSlug);
    scope = {
      userId: access.user.id,
      agencyId: access.agency.id,
      role: access.role,
      canManage: access.canManage,
      workspaceId: access.workspace.id,
      kind: "data",
      view: candidate.view,
    };
  } catch (err) {
    // refused (redirect, 404) or failed: Remix answers it exactly as without the cache
    if (err instanceof Response) return { kind: "pass", response: await handle() };
    throw err;
  }
  const watched = await watchWorkspace(scope.workspaceId);
  const key = bodyKey(scope);
  const entry = watched ? getBody(key) : undefined;
  if (entry) return { kind: "hit", entry, gzip: acceptsGzip(request) };

  const response = await handle();
  if (!watched || response.status !== 200 || !response.body || response.headers.has("Set-Cookie")) return { kind: "pass", response };
  if (!(response.headers.get("Content-Type") ?? "").startsWith("text/x-script")) return { kind: "pass", response };
  const [toClient, toCache] = response.body.tee();
  const headers = [...response.headers].filter(([name]) => !["content-length", "content-encoding", "date"].includes(name.toLowerCase()));
  void new Response(toCache)
    .arrayBuffer()
    // an aborted request may have ended its stream early: never keep those bytes
    .then((bytes) => (request.signal.aborted ? undefined : putBody(key, scope.workspaceId, response.status, headers, Buffer.from(bytes))))
    .catch(() => {
      // the client went away mid-stream, or gzip failed: simply not cached
    });
  return { kind: "pass", response: new Response(toClient, { status: response.status, statusText: response.statusText, headers: response.headers }) };
}
