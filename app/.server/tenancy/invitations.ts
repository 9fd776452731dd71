/**
 * Invitations: agency members (admin, member) from the team page and client viewers (read-only, one
 * workspace) from a client's settings page.
 *
 * A token is 32 random bytes (base64url), sent only in the email link; the database keeps its SHA-256
 * (a fast hash is right for a high-entropy token: there is nothing to brute-force). Tokens are single
 * use, expire after 7 days and are bound to the invited email. Accepting (invitation-accept.ts) runs
 * private.accept_invitation (0030_team.sql), which grants access, marks the invitation accepted and
 * writes the audit row in one transaction.
 *
 * Seats (docs/decisions/0030-seats.md): members and open member/admin invitations count; client
 * viewers are free.
 */
import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { asUser, type Tx } from "../db/connection";
import { InputError, LimitError, NotFoundError, fieldErrors } from "../errors";
import { assertCanAddSeat, assertWritable, getAgencyLimits, limitErrorFrom } from "../billing/limits";
import { appBaseUrl, invitationMail, sendMail } from "../mail";
import { logger } from "../logger";
import { emailSchema } from "./validation";
import { mapDbError, recordAudit, requireManager } from "./members";

export const INVITATION_TTL_DAYS = 7;

export function newToken(): { token: string; tokenHash: string } {
  const token = randomBytes(32).toString("base64url");
  return { token, tokenHash: hashToken(token) };
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Cheap shape check: a base64url string of 32 bytes is 43 characters. Anything else is not ours. */
export function plausibleToken(token: string | undefined): token is string {
  return typeof token === "string" && /^[A-Za-z0-9_-]{43}$/.test(token);
}

export const teamInviteSchema = z.object({
  email: emailSchema,
  role: z.enum(["admin", "member"], { error: "Choose admin or member" }),
});
export const viewerInviteSchema = z.object({ email: emailSchema });

export interface InvitationRow {
  id: string;
  email: string;
  role: "admin" | "member" | "viewer";
  workspaceId: string | null;
  invitedBy: string | null;
  invitedByEmail: string | null;
  expiresAt: Date;
  createdAt: Date;
  expired: boolean;
}

function inviteUrl(baseUrl: string, token: string) {
  return `${baseUrl}/invite/${token}`;
}

interface MailContext {
  to: string;
  agencyName: string;
  workspaceName: string | null;
  role: "admin" | "member" | "viewer";
  inviterName: string | null;
  token: string;
  expiresAt: Date;
}

/**
 * Sends the invitation email after the invitation is committed. A mail failure does not undo the
 * invitation (it is valid and listed as pending); the caller reports `emailSent: false` so the page
 * can say so and offer Resend. sendMail has already logged the failure without the link.
 */
async function mailInvitation(ctx: MailContext, baseUrl: string): Promise<boolean> {
  try {
    await sendMail(
      ctx.to,
      invitationMail({
        agencyName: ctx.agencyName,
        workspaceName: ctx.workspaceName,
        role: ctx.role,
        inviterName: ctx.inviterName,
        url: inviteUrl(baseUrl, ctx.token),
        expiresAt: ctx.expiresAt,
      }),
    );
    return true;
  } catch (err) {
    // the SMTP path logged already; this also covers the outbox. Never the message: it holds the link.
    logger.error({ errName: (err as Error)?.name, code: (err as { code?: string })?.code, template: "invitation" }, "invitation email not delivered");
    return false;
  }
}

/** Seats: read-only agencies and full member counts are refused by billing; open invitations count too. */
async function assertSeatForInvitation(tx: Tx, agencyId: string) {
  await assertCanAddSeat(tx, agencyId);
  const limits = await getAgencyLimits(tx, agencyId);
  const [{ used }] = await tx<{ used: number }[]>`select private.agency_seats_in_use(${agencyId})::int as used`;
  if (used >= limits.seats) {
    throw new LimitError(
      `Your ${limits.planName} plan includes ${limits.seats} seats and all are in use or invited. Upgrade your plan on the Billing page, or revoke a pending invitation.`,
      "seats",
    );
  }
}

async function insertInvitation(
  tx: Tx,
  actorUserId: string,
  agencyId: string,
  input: { email: string; role: "admin" | "member" | "viewer"; workspaceId: string | null },
) {
  const { token, tokenHash } = newToken();
  try {
    const [row] = await tx.savepoint(
      (sp) => sp<{ id: string; expires_at: Date }[]>`
      insert into public.invitations (agency_id, workspace_id, email, role, token_hash, invited_by, expires_at)
      values (${agencyId}, ${input.workspaceId}, ${input.email}, ${input.role}, ${tokenHash}, ${actorUserId},
              now() + ${INVITATION_TTL_DAYS} * interval '1 day')
      returning id, expires_at`,
    );
    return { id: row.id, expiresAt: row.expires_at, token };
  } catch (err) {
    const limit = limitErrorFrom(err);
    if (limit) throw limit;
    mapDbError(err);
  }
}

async function contextNames(tx: Tx, agencyId: string, workspaceId: string | null, actorUserId: string) {
  const [row] = await tx<{ agency_name: string; workspace_name: string | null; inviter: string | null }[]>`
    select a.name as agency_name,
      (select w.name from public.workspaces w where w.id = ${workspaceId}) as workspace_name,
      (select coalesce(u.name, u.email) from public.users u where u.id = ${actorUserId}) as inviter
    from public.agencies a where a.id = ${agencyId}`;
  if (!row) throw new NotFoundError();
  return row;
}

async function assertNoOpenInvitation(tx: Tx, agencyId: string, email: string, workspaceId: string | null) {
  const [open] = await tx`
    select 1 from public.invitations
    where agency_id = ${agencyId} and email = ${email} and workspace_id is not distinct from ${workspaceId}
      and accepted_at is null and revoked_at is null and expires_at > now()`;
  if (open) throw new InputError("This person already has an open invitation; resend it instead", { email: "Already invited" });
}

/** Invites someone to the agency as admin or member (owners and admins). Sends the email. */
export async function inviteMember(actorUserId: string, agencyId: string, input: unknown, opts: { baseUrl?: string } = {}) {
  const parsed = teamInviteSchema.safeParse(input);
  if (!parsed.success) throw new InputError("Check the invitation", fieldErrors(parsed.error.issues));
  const { email, role } = parsed.data;
  const result = await asUser(actorUserId, async (tx) => {
    await requireManager(tx, agencyId, actorUserId);
    const [already] = await tx`
      select 1 from public.agency_members m join public.users u on u.id = m.user_id
      where m.agency_id = ${agencyId} and lower(u.email) = ${email}`;
    if (already) throw new InputError("This person is already a member", { email: "Already a member" });
    await assertNoOpenInvitation(tx, agencyId, email, null);
    await assertSeatForInvitation(tx, agencyId);
    const inv = await insertInvitation(tx, actorUserId, agencyId, { email, role, workspaceId: null });
    await recordAudit(tx, agencyId, actorUserId, "invitation.create", { invitationId: inv.id, email, role });
    const names = await contextNames(tx, agencyId, null, actorUserId);
    return { ...inv, names };
  });
  const emailSent = await mailInvitation(
    {
      to: email,
      agencyName: result.names.agency_name,
      workspaceName: null,
      role,
      inviterName: result.names.inviter,
      token: result.token,
      expiresAt: result.expiresAt,
    },
    opts.baseUrl ?? appBaseUrl(),
  );
  return { id: result.id, email, role, expiresAt: result.expiresAt, emailSent };
}

/** Invites a client viewer to one workspace (owners and admins). Viewers do not use seats. */
export async function inviteViewer(actorUserId: string, agencyId: string, workspaceId: string, input: unknown, opts: { baseUrl?: string } = {}) {
  const parsed = viewerInviteSchema.safeParse(input);
  if (!parsed.success) throw new InputError("Check the invitation", fieldErrors(parsed.error.issues));
  const { email } = parsed.data;
  const result = await asUser(actorUserId, async (tx) => {
    await requireManager(tx, agencyId, actorUserId);
    const [ws] = await tx`select 1 from public.workspaces where id = ${workspaceId} and agency_id = ${agencyId}`;
    if (!ws) throw new NotFoundError("Client not found");
    // Viewers take no seat, but a read-only agency (billing) invites nobody.
    await assertWritable(tx, agencyId);
    const [already] = await tx`
      select 1 from public.workspace_viewers v join public.users u on u.id = v.user_id
      where v.workspace_id = ${workspaceId} and lower(u.email) = ${email}`;
    if (already) throw new InputError("This person can already view this client", { email: "Already a viewer" });
    await assertNoOpenInvitation(tx, agencyId, email, workspaceId);
    const inv = await insertInvitation(tx, actorUserId, agencyId, { email, role: "viewer", workspaceId });
    await recordAudit(tx, agencyId, actorUserId, "invitation.create", { invitationId: inv.id, email, role: "viewer", workspaceId });
    const names = await contextNames(tx, agencyId, workspaceId, actorUserId);
    return { ...inv, names };
  });
  const emailSent = await mailInvitation(
    {
      to: email,
      agencyName: result.names.agency_name,
      workspaceName: result.names.workspace_name,
      role: "viewer",
      inviterName: result.names.inviter,
      token: result.token,
      expiresAt: result.expiresAt,
    },
    opts.baseUrl ?? appBaseUrl(),
  );
  return { id: result.id, email, role: "viewer" as const, expiresAt: result.expiresAt, emailSent };
}

/** Open (not accepted, not revoked) invitations, expired ones flagged. Team page: workspaceId null = members. */
export async function listOpenInvitations(actorUserId: string, agencyId: string, scope: { workspaceId: string | null }): Promise<InvitationRow[]> {
  return asUser(actorUserId, async (tx) => {
    await requireManager(tx, agencyId, actorUserId);
    return tx<InvitationRow[]>`
      select i.id, i.email, i.role, i.workspace_id as "workspaceId", i.invited_by as "invitedBy",
        u.email as "invitedByEmail", i.expires_at as "expiresAt", i.created_at as "createdAt",
        i.expires_at <= now() as expired
      from public.invitations i left join public.users u on u.id = i.invited_by
      where i.agency_id = ${agencyId} and i.workspace_id is not distinct from ${scope.workspaceId}
        and i.accepted_at is null and i.revoked_at is null
      order by i.created_at desc`;
  });
}

async function openInvitation(tx: Tx, agencyId: string, invitationId: string) {
  if (!z.uuid().safeParse(invitationId).success) throw new NotFoundError("Invitation not found");
  const [inv] = await tx<
    { id: string; email: string; role: "admin" | "member" | "viewer"; workspace_id: string | null; accepted_at: Date | null; revoked_at: Date | null }[]
  >`
    select id, email, role, workspace_id, accepted_at, revoked_at from public.invitations
    where id = ${invitationId} and agency_id = ${agencyId}`;
  if (!inv) throw new NotFoundError("Invitation not found");
  if (inv.accepted_at) throw new InputError("This invitation was already accepted");
  if (inv.revoked_at) throw new InputError("This invitation was revoked");
  return inv;
}

/** Resend: a new token (the old link stops working) and a fresh 7-day expiry. */
export async function resendInvitation(actorUserId: string, agencyId: string, invitationId: string, opts: { baseUrl?: string } = {}) {
  const result = await asUser(actorUserId, async (tx) => {
    await requireManager(tx, agencyId, actorUserId);
    const inv = await openInvitation(tx, agencyId, invitationId);
    await assertWritable(tx, agencyId);
    const { token, tokenHash } = newToken();
    let expiresAt: Date;
    try {
      const [row] = await tx.savepoint(
        (sp) => sp<{ expires_at: Date }[]>`
        update public.invitations set token_hash = ${tokenHash}, expires_at = now() + ${INVITATION_TTL_DAYS} * interval '1 day'
        where id = ${inv.id} returning expires_at`,
      );
      expiresAt = row.expires_at;
    } catch (err) {
      const limit = limitErrorFrom(err);
      if (limit) throw limit;
      mapDbError(err);
    }
    await recordAudit(tx, agencyId, actorUserId, "invitation.resend", { invitationId: inv.id, email: inv.email, role: inv.role });
    const names = await contextNames(tx, agencyId, inv.workspace_id, actorUserId);
    return { inv, token, expiresAt, names };
  });
  const emailSent = await mailInvitation(
    {
      to: result.inv.email,
      agencyName: result.names.agency_name,
      workspaceName: result.names.workspace_name,
      role: result.inv.role,
      inviterName: result.names.inviter,
      token: result.token,
      expiresAt: result.expiresAt,
    },
    opts.baseUrl ?? appBaseUrl(),
  );
  return { id: result.inv.id, expiresAt: result.expiresAt, emailSent };
}

export async function revokeInvitation(actorUserId: string, agencyId: string, invitationId: string) {
  await asUser(actorUserId, async (tx) => {
    await requireManager(tx, agencyId, actorUserId);
    const inv = await openInvitation(tx, agencyId, invitationId);
    try {
      await tx.savepoint((sp) => sp`update public.invitations set revoked_at = now() where id = ${inv.id}`);
    } catch (err) {
      mapDbError(err);
    }
    await recordAudit(tx, agencyId, actorUserId, "invitation.revoke", { invitationId: inv.id, email: inv.email, role: inv.role });
  });
}

/** Seats for the team page: in use (members + open invitations) against the plan. */
export async function seatSummary(actorUserId: string, agencyId: string) {
  return asUser(actorUserId, async (tx) => {
    const limits = await getAgencyLimits(tx, agencyId);
    const [{ used, members }] = await tx<{ used: number; members: number }[]>`
      select private.agency_seats_in_use(${agencyId})::int as used,
        (select count(*)::int from public.agency_members where agency_id = ${agencyId}) as members`;
    return { planName: limits.planName, seats: limits.seats, used, members, pending: used - members };
  });
}
