/**
 * Route guards. Loaders and actions call these first; row-level security enforces the same rules
 * underneath, so a forgotten check cannot leak another tenant's rows. Other tenants' slugs answer
 * 404 exactly like slugs that do not exist (no existence oracle); 403 is only for people who may
 * enter the agency but lack the role.
 */
import { asUser } from "../db/connection";
import { bindLogContext } from "../logger";
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
  const rows = await asUser(userId, (tx) => tx<(AgencyRef & { role: AgencyRole })[]>`
    select id, slug, name, role from private.my_agencies()`);
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
  const [row] = await asUser(user.id, (tx) => tx<(AgencyRef & { role: AgencyRole })[]>`
    select id, slug, name, role from private.my_agencies() where slug = ${agencySlug}`);
  if (!row) notFound();
  bindLogContext({ agencyId: row.id });
  return { user, agency: { id: row.id, slug: row.slug, name: row.name }, role: row.role };
}

/** Like requireAgency, for agency staff only: 404 for viewers and outsiders, 403 for too low a role. */
export async function requireAgencyRole(
  request: Request,
  agencySlug: string | undefined,
  roles: StaffRole[],
): Promise<AgencyAccess & { role: StaffRole }> {
  const access = await requireAgency(request, agencySlug);
  if (access.role === "viewer") notFound();
  if (!roles.includes(access.role)) forbidden();
  return access as AgencyAccess & { role: StaffRole };
}

/** A client workspace of the agency in the URL, as RLS lets this user see it; else 404. */
export async function requireWorkspace(
  request: Request,
  agencySlug: string | undefined,
  workspaceSlug: string | undefined,
): Promise<WorkspaceAccess> {
  const access = await requireAgency(request, agencySlug);
  if (!plausibleSlug(workspaceSlug)) notFound();
  const [ws] = await asUser(access.user.id, (tx) => tx<{ id: string; slug: string; name: string; archived_at: Date | null }[]>`
    select id, slug, name, archived_at from public.workspaces
    where agency_id = ${access.agency.id} and slug = ${workspaceSlug}`);
  if (!ws) notFound();
  return {
    ...access,
    workspace: { id: ws.id, slug: ws.slug, name: ws.name, archivedAt: ws.archived_at },
    canManage: access.role === "owner" || access.role === "admin",
  };
}
