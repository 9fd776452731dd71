/** Queries of the app shell (landing redirect, agency layout, clients list), all under asUser. */
import { asUser } from "../db/connection";
import { listMyAgencies } from "./guards";

/**
 * Where "/a" sends a signed-in user: their first agency (staff roles first), or for a pure client
 * viewer their first workspace. Null when they have access to nothing (yet).
 */
export async function homePathFor(userId: string): Promise<string | null> {
  const agencies = await listMyAgencies(userId);
  const first = agencies[0];
  if (!first) return null;
  if (first.role !== "viewer") return `/a/${first.slug}`;
  const [ws] = await viewerWorkspaces(userId, first.id);
  return ws ? `/a/${first.slug}/w/${ws.slug}` : null;
}

/** Workspaces a client viewer was invited to in one agency (RLS shows only those). */
export async function viewerWorkspaces(userId: string, agencyId: string): Promise<{ slug: string; name: string }[]> {
  return asUser(
    userId,
    (tx) => tx<{ slug: string; name: string }[]>`
    select w.slug, w.name from public.workspaces w
    join public.workspace_viewers v on v.workspace_id = w.id and v.user_id = ${userId}
    where w.agency_id = ${agencyId} and w.archived_at is null
    order by w.name`,
  );
}

export interface ClientListRow {
  id: string;
  slug: string;
  name: string;
  createdAt: Date;
  archivedAt: Date | null;
}

/** The agency's client workspaces as this user may see them: active first, then archived. */
export async function listClientWorkspaces(userId: string, agencyId: string): Promise<ClientListRow[]> {
  return asUser(
    userId,
    (tx) => tx<ClientListRow[]>`
    select id, slug, name, created_at as "createdAt", archived_at as "archivedAt"
    from public.workspaces where agency_id = ${agencyId}
    order by archived_at is not null, lower(name)`,
  );
}
