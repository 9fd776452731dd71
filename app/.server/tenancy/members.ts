/**
 * Agency members: list, change role, remove, transfer ownership; and the audit log they write to.
 *
 * Every function runs under asUser(actor), so RLS (0002_tenancy.sql) and the definer functions of
 * 0030_team.sql enforce the same rules underneath. The checks here come first so people get a clear
 * message instead of a silent "0 rows".
 */
import { z } from "zod";
import { asUser, type Tx } from "../db/connection";
import type { StaffRole } from "../auth/guards";
import { ForbiddenError, InputError, NotFoundError } from "../errors";

export const agencyRoleSchema = z.enum(["owner", "admin", "member"], { error: "Choose owner, admin or member" });

/** Postgres errors raised by our triggers and definer functions carry a hint; map them to messages. */
export function mapDbError(err: unknown): never {
  const e = err as { code?: string; hint?: string; message?: string };
  switch (e?.hint) {
    case "last_owner":
      throw new InputError("An agency must keep at least one owner; transfer ownership first");
    case "not_owner":
      throw new ForbiddenError("Only an owner can do that");
    case "not_member":
      throw new NotFoundError("That person is not a member of this agency");
    case "transfer_to_self":
      throw new InputError("Choose another member to transfer ownership to");
    case "invitation_closed":
      throw new InputError("This invitation is already accepted or revoked");
    case "workspace_agency_mismatch":
      throw new NotFoundError("Client not found");
    case "invitation_not_found":
      throw new NotFoundError("This invitation link is not valid");
    case "invitation_used":
    case "invitation_revoked":
    case "invitation_expired":
    case "invitation_wrong_email":
    case "not_signed_in":
      throw new InputError(String(e.message));
  }
  throw err;
}

/** The actor's role in the agency, or null when not a member (viewers and outsiders). */
export async function roleOf(tx: Tx, agencyId: string, userId: string): Promise<StaffRole | null> {
  const [row] = await tx<{ role: StaffRole }[]>`
    select role from public.agency_members where agency_id = ${agencyId} and user_id = ${userId}`;
  return row?.role ?? null;
}

/** Throws unless the actor is an owner or admin (NotFound for outsiders: no existence oracle). */
export async function requireManager(tx: Tx, agencyId: string, userId: string, roles: StaffRole[] = ["owner", "admin"]) {
  const role = await roleOf(tx, agencyId, userId);
  if (!role) throw new NotFoundError();
  if (!roles.includes(role)) throw new ForbiddenError(roles.length === 1 ? "Only an owner can do that" : "Only owners and admins can do that");
  return role;
}

export type AuditAction =
  | "invitation.create"
  | "invitation.resend"
  | "invitation.revoke"
  | "invitation.accept"
  | "member.role_change"
  | "member.remove"
  | "member.transfer_ownership"
  | "viewer.revoke"
  | "client.create"
  | "client.rename"
  | "client.archive"
  | "client.restore"
  | "client.delete";

/** Appends an audit entry as the current user (RLS: actor_user_id must be the caller). Never secrets in target. */
export async function recordAudit(tx: Tx, agencyId: string, actorUserId: string, action: AuditAction, target: Record<string, unknown>) {
  await tx`insert into public.audit_log (agency_id, actor_user_id, action, target)
    values (${agencyId}, ${actorUserId}, ${action}, ${tx.json(target as never)})`;
}

export interface AuditEntry {
  id: string;
  action: string;
  target: Record<string, unknown>;
  actorUserId: string | null;
  actorEmail: string | null;
  actorName: string | null;
  createdAt: Date;
}

/** Newest first, keyset-paged by id (`before` is the last id of the previous page). Owners and admins. */
export async function listAuditLog(
  actorUserId: string,
  agencyId: string,
  opts: { before?: string; limit?: number } = {},
): Promise<{ entries: AuditEntry[]; nextBefore: string | null }> {
  const limit = Math.min(Math.max(opts.limit ?? 50, 1), 200);
  const before = opts.before && /^\d{1,18}$/.test(opts.before) ? opts.before : null;
  return asUser(actorUserId, async (tx) => {
    await requireManager(tx, agencyId, actorUserId);
    const rows = await tx<AuditEntry[]>`
      select l.id::text as "id", l.action, l.target, l.actor_user_id as "actorUserId",
        u.email as "actorEmail", u.name as "actorName", l.created_at as "createdAt"
      from public.audit_log l
      left join public.users u on u.id = l.actor_user_id
      where l.agency_id = ${agencyId} and (${before}::bigint is null or l.id < ${before}::bigint)
      order by l.id desc
      limit ${limit + 1}`;
    const entries = rows.slice(0, limit);
    return { entries, nextBefore: rows.length > limit ? entries[entries.length - 1].id : null };
  });
}

export interface MemberRow {
  userId: string;
  email: string;
  name: string | null;
  role: StaffRole;
  createdAt: Date;
}

export async function listMembers(actorUserId: string, agencyId: string): Promise<MemberRow[]> {
  return asUser(actorUserId, async (tx) => {
    if (!(await roleOf(tx, agencyId, actorUserId))) throw new NotFoundError();
    return tx<MemberRow[]>`
      select m.user_id as "userId", u.email, u.name, m.role, m.created_at as "createdAt"
      from public.agency_members m join public.users u on u.id = m.user_id
      where m.agency_id = ${agencyId}
      order by case m.role when 'owner' then 0 when 'admin' then 1 else 2 end, u.email`;
  });
}

/**
 * Changes another member's role. Owners and admins may; only owners touch owners (promote to or
 * demote from owner); nobody changes their own role; the last owner cannot be demoted.
 */
export async function changeMemberRole(actorUserId: string, agencyId: string, targetUserId: string, newRole: StaffRole) {
  const role = agencyRoleSchema.parse(newRole);
  return asUser(actorUserId, async (tx) => {
    const actorRole = await requireManager(tx, agencyId, actorUserId);
    if (targetUserId === actorUserId) throw new ForbiddenError("You cannot change your own role");
    const current = await roleOf(tx, agencyId, targetUserId);
    if (!current) throw new NotFoundError("That person is not a member of this agency");
    if ((current === "owner" || role === "owner") && actorRole !== "owner") {
      throw new ForbiddenError("Only an owner can make or change owners");
    }
    if (current === role) return { changed: false };
    try {
      const updated = await tx.savepoint(
        (sp) => sp`
        update public.agency_members set role = ${role}
        where agency_id = ${agencyId} and user_id = ${targetUserId} returning user_id`,
      );
      if (updated.length !== 1) throw new ForbiddenError();
    } catch (err) {
      mapDbError(err);
    }
    await recordAudit(tx, agencyId, actorUserId, "member.role_change", { userId: targetUserId, from: current, to: role });
    return { changed: true };
  });
}

/** Removes a member. Owners and admins may; only owners remove owners; the last owner stays. */
export async function removeMember(actorUserId: string, agencyId: string, targetUserId: string) {
  return asUser(actorUserId, async (tx) => {
    const actorRole = await requireManager(tx, agencyId, actorUserId);
    if (targetUserId === actorUserId) throw new ForbiddenError("You cannot remove yourself; ask another owner or admin");
    const current = await roleOf(tx, agencyId, targetUserId);
    if (!current) throw new NotFoundError("That person is not a member of this agency");
    if (current === "owner" && actorRole !== "owner") throw new ForbiddenError("Only an owner can remove an owner");
    try {
      const deleted = await tx.savepoint(
        (sp) => sp`
        delete from public.agency_members where agency_id = ${agencyId} and user_id = ${targetUserId} returning user_id`,
      );
      if (deleted.length !== 1) throw new ForbiddenError();
    } catch (err) {
      mapDbError(err);
    }
    const [u] = await tx<{ email: string }[]>`select email from public.users where id = ${targetUserId}`;
    await recordAudit(tx, agencyId, actorUserId, "member.remove", { userId: targetUserId, email: u?.email ?? null, role: current });
  });
}

/** The owner hands the agency to another member, becoming an admin, in one transaction. */
export async function transferOwnership(actorUserId: string, agencyId: string, targetUserId: string) {
  return asUser(actorUserId, async (tx) => {
    await requireManager(tx, agencyId, actorUserId, ["owner"]);
    if (targetUserId === actorUserId) throw new InputError("Choose another member to transfer ownership to");
    if (!(await roleOf(tx, agencyId, targetUserId))) throw new NotFoundError("That person is not a member of this agency");
    try {
      await tx.savepoint((sp) => sp`select private.transfer_ownership(${agencyId}, ${targetUserId})`);
    } catch (err) {
      mapDbError(err);
    }
  });
}
