/**
 * Route guards. Loaders and actions call these first; row-level security enforces the same rules
 * underneath, so a forgotten check cannot leak another tenant's rows. Other tenants' slugs answer
 * 404 exactly like slugs that do not exist (no existence oracle); 403 is only for people who may
 * enter the agency but lack the role.
 */
import { asUser } from "../db/connection";
import { bindLogContext } from "../logger";
import { memoAccess } from "../warm/access";
import { requireUser, type SessionUser } from "./session";

export type AgencyRole = "owner" | "admin" | "member" | "viewer";
export type StaffRole = Exclude<AgencyRole, "viewer">;

export interface AgencyRef {
  id: string;
  slug: string;
  name: string;
}
export interface AgencyAccess {
  user: SessionUser;
  agency: AgencyRef;
  role: AgencyRole;
}
export interface WorkspaceAccess extends AgencyAccess {
  workspace: { id: string; slug: string; name: string; archivedAt: Date | null };
  /** Owners and admins manage a workspace (rename, archive, connections, viewers). */
  canManage: boolean;
}

const ROLE_ORDER: AgencyRole[] = ["owner", "admin", "member", "viewer"];

export function notFound(): never {
  throw new Response("Not found", { status: 404, statusText: "Not Found" });
}
export function forbidden(): never {
  throw new Response("Forbidden", { status: 403, statusText: "Forbidden" });
}

/** Agencies the user can enter (member roles first, then client-viewer access), ordered by name. */
export async function listMyAgencies(userId: string): Promise<(AgencyRef & { role: AgencyRole })[]> {
  const rows = await asUser(
    userId,
    (tx) => tx<(AgencyRef & { role: AgencyRole })[]>`
    select id, slug, name, role from private.my_agencies()`,
  );
  return rows.sort((a, b) => ROLE_ORDER.indexOf(a.role) - ROLE_ORDER.indexOf(b.role) || a.name.localeCompare(b.name));
}

/** Cheap syntactic check so obviously bad slugs never reach the database. */
function plausibleSlug(slug: string | undefined): slug is string {
  return !!slug && slug.length <= 48 && /^[a-z0-9-]+$/.test(slug);
}

/** The agency in the URL, for its members and for client viewers of one of its workspaces; else 404. */
export async function requireAgency(request: Request, agencySlug: string | undefined): Promise<AgencyAccess> {
  const user = await requireUser(request);
  if (!plausibleSlug(agencySlug)) notFound();
  // GET requests of the HTTP server reuse this user's answer for a few seconds (ADR 0150)
  const [row] = await memoAccess(request, `agency|${user.id}|${agencySlug}`, () =>
    asUser(
      user.id,
      (tx) => tx<(AgencyRef & { role: AgencyRole })[]>`
    select id, slug, name, role from private.my_agencies() where slug = ${agencySlug}`,
    ),
  );
  if (!row) notFound();
  bindLogContext({ agencyId: row.id });
  return { user, agency: { id: row.id, slug: row.slug, name: row.name }, role: row.role };
}

/** Like requireAgency, for agency staff only: 404 for viewers and outsiders, 403 for too low a role. */
export async function requireAgencyRole(request: Request, agencySlug: string | undefined, roles: StaffRole[]): Promise<AgencyAccess & { role: StaffRole }> {
  const access = await requireAgency(request, agencySlug);
  if (access.role === "viewer") notFound();
  if (!roles.includes(access.role)) forbidden();
  return access as AgencyAccess & { role: StaffRole };
}

/**
 * A client workspace of the agency in the URL, as RLS lets this user see it; else 404. The agency
 * and the workspace are looked up in one transaction: this guard runs on every dashboard request.
 */
export async function requireWorkspace(request: Request, agencySlug: string | undefined, workspaceSlug: string | undefined): Promise<WorkspaceAccess> {
  const user = await requireUser(request);
  if (!plausibleSlug(agencySlug) || !plausibleSlug(workspaceSlug)) notFound();
  const [row] = await memoAccess(request, `workspace|${user.id}|${agencySlug}|${workspaceSlug}`, () =>
    asUser(
      user.id,
      (tx) => tx<(AgencyRef & { role: AgencyRole; ws_id: string | null; ws_slug: string; ws_name: string; archived_at: Date | null })[]>`
    select a.id, a.slug, a.name, a.role, w.id as ws_id, w.slug as ws_slug, w.name as ws_name, w.archived_at
    from private.my_agencies() a
    left join public.workspaces w on w.agency_id = a.id and w.slug = ${workspaceSlug}
    where a.slug = ${agencySlug}`,
    ),
  );
  if (!row) notFound();
  bindLogContext({ agencyId: row.id });
  if (!row.ws_id) notFound();
  return {
    user,
    agency: { id: row.id, slug: row.slug, name: row.name },
    role: row.role,
    workspace: { id: row.ws_id, slug: row.ws_slug, name: row.ws_name, archivedAt: row.archived_at },
    canManage: row.role === "owner" || row.role === "admin",
  };
}
