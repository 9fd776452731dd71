/**
 * Accepting an invitation: what the invitation page shows for a token, accepting as the signed-in
 * user, or with a new account. private.accept_invitation (0030_team.sql) grants access, marks the
 * invitation accepted and writes the audit row in one transaction. Sending invitations: invitations.ts.
 */
import { z } from "zod";
import { asService, asUser, type Tx } from "../db/connection";
import { InputError, NotFoundError, fieldErrors } from "../errors";
import { limitErrorFrom } from "../billing/limits";
import { hashToken, plausibleToken } from "./invitations";
import { mapDbError } from "./members";
import { insertUser } from "./users";
import { nameSchema, passwordSchema } from "./validation";

export interface InvitationPreview {
  invitationId: string;
  email: string;
  role: "admin" | "member" | "viewer";
  agencyName: string;
  agencySlug: string;
  workspaceName: string | null;
  workspaceSlug: string | null;
  status: "pending" | "accepted" | "revoked" | "expired";
  accountExists: boolean;
  expiresAt: Date;
}

/** What the invitation page shows for a token; undefined when the token is unknown. Anonymous is fine. */
export async function previewInvitation(token: string, viewerUserId: string | null = null): Promise<InvitationPreview | undefined> {
  if (!plausibleToken(token)) return undefined;
  const [row] = await asUser(
    viewerUserId,
    (tx) => tx<InvitationPreview[]>`
    select invitation_id as "invitationId", email, invited_role as "role", agency_name as "agencyName",
      agency_slug as "agencySlug", workspace_name as "workspaceName", workspace_slug as "workspaceSlug",
      status, account_exists as "accountExists", expires_at as "expiresAt"
    from private.invitation_preview(${hashToken(token)})`,
  );
  return row;
}

export interface Accepted {
  agencyId: string;
  agencySlug: string;
  workspaceId: string | null;
  workspaceSlug: string | null;
  role: "admin" | "member" | "viewer";
}

/** Where to land after accepting: the client's dashboard for viewers, the agency for members. */
export function landingPath(a: Accepted): string {
  return a.workspaceSlug ? `/a/${a.agencySlug}/w/${a.workspaceSlug}` : `/a/${a.agencySlug}`;
}

async function acceptInTx(tx: Tx, token: string): Promise<Accepted> {
  try {
    const [row] = await tx.savepoint(
      (sp) => sp<Accepted[]>`
      select agency_id as "agencyId", agency_slug as "agencySlug", workspace_id as "workspaceId",
        workspace_slug as "workspaceSlug", granted_role as "role"
      from private.accept_invitation(${hashToken(token)})`,
    );
    return row;
  } catch (err) {
    const limit = limitErrorFrom(err);
    if (limit) throw limit;
    mapDbError(err);
  }
}

/** Accepts as the signed-in user (whose email must be the invited one). */
export async function acceptInvitation(userId: string, token: string): Promise<Accepted> {
  if (!plausibleToken(token)) throw new NotFoundError("This invitation link is not valid");
  return asUser(userId, (tx) => acceptInTx(tx, token));
}

export const newAccountSchema = z.object({ name: nameSchema, password: passwordSchema });

/**
 * Accepts for someone without an account: creates the user with the invited email (sign-up is a
 * service path) and accepts as that user, in one transaction, so a failed acceptance leaves no
 * orphan account. Returns the new user's id for the caller to start a session.
 */
export async function acceptInvitationWithNewAccount(token: string, input: unknown): Promise<Accepted & { userId: string }> {
  const parsed = newAccountSchema.safeParse(input);
  if (!parsed.success) throw new InputError("Check your details", fieldErrors(parsed.error.issues));
  const preview = await previewInvitation(token);
  if (!preview) throw new NotFoundError("This invitation link is not valid");
  if (preview.status !== "pending") throw new InputError(statusMessage(preview.status));
  if (preview.accountExists) throw new InputError("An account with this email already exists; log in to accept");
  return asService(async (tx) => {
    const user = await insertUser(tx, { email: preview.email, name: parsed.data.name, password: parsed.data.password });
    // From here on the transaction acts as the new user, so the same definer function (and RLS) decides.
    const claims = JSON.stringify({ sub: user.id, role: "authenticated" });
    await tx`select set_config('request.jwt.claims', ${claims}, true), set_config('role', 'authenticated', true)`;
    const accepted = await acceptInTx(tx, token);
    return { ...accepted, userId: user.id };
  });
}

export function statusMessage(status: InvitationPreview["status"]): string {
  switch (status) {
    case "accepted":
      return "This invitation has already been used. Log in to continue.";
    case "revoked":
      return "This invitation was revoked. Ask the agency for a new one.";
    case "expired":
      return "This invitation has expired. Ask the agency to resend it.";
    default:
      return "";
  }
}
