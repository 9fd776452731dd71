/**
 * Changing the sign-in email, verified (security review, finding 1; ADR 0063). The signed-in person
 * asks with their current password; a single-use link (32 random bytes, SHA-256 stored, 24 hours)
 * goes to the NEW address and a notice to the old one. The address changes only when the link is
 * confirmed, which proves the new mailbox; the confirmation page lists the linked Facebook login
 * and can remove it, like a password reset. Other sessions are signed out on confirmation.
 */
import { z } from "zod";
import { asService } from "../db/connection";
import { InputError, fieldErrors, isUniqueViolation } from "../errors";
import { logger } from "../logger";
import { emailChangeMail, emailChangeNoticeMail, sendMail } from "../mail";
import { emailSchema } from "../tenancy/validation";
import { hashToken, newToken, plausibleToken } from "../tenancy/invitations";
import { checkCurrentPassword } from "./account";
import { identityChoiceSchema, linkedIdentitiesInTx, settleIdentitiesInTx, type LinkedIdentities } from "./identities";

const MAX_OPEN_CHANGES = 3;
const INVALID = "This confirmation link is invalid, used or expired. Ask for the change again from your account page.";

export const changeEmailSchema = z.object({ email: emailSchema, password: z.string().min(1, "Enter your current password") });

/** Asks for the change: mails a confirmation link to the new address and a notice to the current one. */
export async function requestEmailChange(userId: string, input: unknown, opts: { baseUrl: string; ip?: string | null }): Promise<{ pendingEmail: string }> {
  const parsed = changeEmailSchema.safeParse(input);
  if (!parsed.success) throw new InputError("Check the email", fieldErrors(parsed.error.issues));
  const { email: newEmail, password } = parsed.data;
  await checkCurrentPassword(userId, password, "password", opts.ip ?? null);
  const issued = await asService(async (tx) => {
    const [me] = await tx<{ email: string }[]>`select email from public.users where id = ${userId}`;
    if (me.email === newEmail) throw new InputError("That is already your sign-in email", { email: "Already yours" });
    const [taken] = await tx`select 1 from public.users where lower(email) = ${newEmail}`;
    if (taken) throw new InputError("That email is already used by another account", { email: "Already in use" });
    const [{ open }] = await tx<{ open: number }[]>`
      select count(*)::int as open from private.email_changes where user_id = ${userId} and used_at is null and expires_at > now()`;
    if (open >= MAX_OPEN_CHANGES) {
      throw new InputError("Several confirmation links are already waiting; use one of them or try again tomorrow", { email: "Too many pending changes" });
    }
    const { token, tokenHash } = newToken();
    await tx`insert into private.email_changes (token_hash, user_id, new_email) values (${tokenHash}, ${userId}, ${newEmail})`;
    return { token, oldEmail: me.email };
  });
  await sendMail(newEmail, emailChangeMail({ url: `${opts.baseUrl}/confirm-email/${issued.token}`, newEmail }));
  // The notice is a courtesy: its failure must not hide that the confirmation went out.
  await sendMail(issued.oldEmail, emailChangeNoticeMail({ newEmail, resetUrl: `${opts.baseUrl}/forgot-password` })).catch((err) =>
    logger.warn({ err }, "email change notice not sent"),
  );
  return { pendingEmail: newEmail };
}

export interface EmailChangePreview {
  newEmail: string;
  identities: LinkedIdentities | null;
}

/** What the confirmation page shows for an open token (undefined when used, expired or unknown). */
export async function previewEmailChange(token: string): Promise<EmailChangePreview | undefined> {
  if (!plausibleToken(token)) return undefined;
  return asService(async (tx) => {
    const [row] = await tx<{ user_id: string; new_email: string }[]>`
      select user_id, new_email from private.email_changes
      where token_hash = ${hashToken(token)} and used_at is null and expires_at > now()`;
    if (!row) return undefined;
    return { newEmail: row.new_email, identities: await linkedIdentitiesInTx(tx, row.user_id) };
  });
}

/**
 * Confirms the change: the new address becomes the sign-in email and counts as verified, every
 * other open change and reset link is spent, every session is signed out, and the linked Facebook
 * login is kept or removed as `input.facebook` says.
 */
export async function confirmEmailChange(token: string, input: Record<string, unknown>): Promise<{ userId: string; email: string; facebookRemoved: boolean }> {
  if (!plausibleToken(token)) throw new InputError(INVALID);
  const choice = identityChoiceSchema.parse(input).facebook;
  try {
    return await asService(async (tx) => {
      const [row] = await tx<{ user_id: string; new_email: string }[]>`
        select user_id, new_email from private.email_changes
        where token_hash = ${hashToken(token)} and used_at is null and expires_at > now()
        for update`;
      if (!row) throw new InputError(INVALID);
      await tx`update public.users set email = ${row.new_email}, email_verified_at = now(), updated_at = now() where id = ${row.user_id}`;
      await tx`update private.email_changes set used_at = now() where user_id = ${row.user_id} and used_at is null`;
      await tx`update private.password_resets set used_at = now() where user_id = ${row.user_id} and used_at is null`;
      const { facebookRemoved } = await settleIdentitiesInTx(tx, row.user_id, choice);
      await tx`delete from public.sessions where user_id = ${row.user_id}`;
      return { userId: row.user_id, email: row.new_email, facebookRemoved };
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new InputError("That email has been taken by another account meanwhile; ask for the change with another address");
    throw err;
  }
}
