/**
 * Password reset by email. The request answers the same whether or not the email has an account (no
 * account oracle); when it has one, a single-use token (32 random bytes, SHA-256 stored in
 * private.password_resets) valid for one hour is mailed. Resetting sets the new password, spends
 * every open reset token of the user and signs out all their sessions.
 *
 * These are anonymous requests that prove themselves with the emailed token, so they run as service
 * transactions (like sign-up and login); they only touch the user's own password and sessions.
 */
import { z } from "zod";
import { asService } from "../db/connection";
import { InputError, fieldErrors } from "../errors";
import { env } from "../env";
import { appBaseUrl, passwordResetMail, sendMail } from "../mail";
import { emailSchema, passwordSchema } from "../tenancy/validation";
import { hashPassword } from "../tenancy/users";
import { hashToken, newToken, plausibleToken } from "../tenancy/invitations";
import { identityChoiceSchema, linkedIdentitiesInTx, settleIdentitiesInTx, type LinkedIdentities } from "./identities";

/** At most this many open reset links per account per hour, so the form cannot flood a mailbox. */
const MAX_OPEN_RESETS = 3;
const INVALID = "This reset link is invalid, used or expired. Ask for a new one.";

export const forgotPasswordSchema = z.object({ email: emailSchema });
export const resetPasswordSchema = z
  .object({ password: passwordSchema, confirm: z.string() })
  .refine((v) => v.password === v.confirm, { path: ["confirm"], message: "The passwords do not match" });

/** Always resolves the same way for a well-formed email; only bad input is an error. */
export async function requestPasswordReset(input: unknown, opts: { baseUrl?: string } = {}): Promise<void> {
  const parsed = forgotPasswordSchema.safeParse(input);
  if (!parsed.success) throw new InputError("Enter a valid email address", fieldErrors(parsed.error.issues));
  const { email } = parsed.data;
  const issued = await asService(async (tx) => {
    const [user] = await tx<{ id: string; email: string }[]>`select id, email from public.users where lower(email) = ${email}`;
    if (!user) return undefined;
    const [{ open }] = await tx<{ open: number }[]>`
      select count(*)::int as open from private.password_resets
      where user_id = ${user.id} and used_at is null and expires_at > now()`;
    if (open >= MAX_OPEN_RESETS) return undefined;
    const { token, tokenHash } = newToken();
    await tx`insert into private.password_resets (token_hash, user_id) values (${tokenHash}, ${user.id})`;
    return { to: user.email, token };
  });
  if (!issued) return;
  const url = `${opts.baseUrl ?? appBaseUrl()}/reset-password/${issued.token}`;
  // Failures are not surfaced: that would tell the requester the account exists (sendMail has
  // logged it without the link); the person can simply ask again.
  const delivery = sendMail(issued.to, passwordResetMail({ url })).catch(() => undefined);
  // An SMTP round trip takes long enough to tell known addresses from unknown ones by the response
  // time, so real delivery runs in the background. The outbox is a quick local insert, awaited so
  // a test or the dev outbox page sees the message as soon as the request returns.
  if (!env().SMTP_URL) await delivery;
}

/** True when the token is open (unused, unexpired): the reset page shows the form only then. */
export async function isResetTokenValid(token: string): Promise<boolean> {
  return (await previewReset(token)).valid;
}

/**
 * What the reset page shows for a token: whether it is open, and the sign-in identities linked to the
 * account, so the person taking it over by email sees (and can remove) a Facebook login (ADR 0063).
 */
export async function previewReset(token: string): Promise<{ valid: boolean; identities: LinkedIdentities | null }> {
  if (!plausibleToken(token)) return { valid: false, identities: null };
  return asService(async (tx) => {
    const [row] = await tx<{ user_id: string }[]>`
      select user_id from private.password_resets where token_hash = ${hashToken(token)} and used_at is null and expires_at > now()`;
    if (!row) return { valid: false, identities: null };
    return { valid: true, identities: await linkedIdentitiesInTx(tx, row.user_id) };
  });
}

/**
 * Sets a new password with a reset token; returns the user's id. Signs out every session. The reset
 * proves the mailbox: the email counts as verified from now on, pending email changes are cancelled,
 * and a linked Facebook login is kept or removed as `input.facebook` says (an unproven one goes
 * unless kept explicitly; see identities.ts).
 */
export async function resetPassword(
  token: string,
  input: Record<string, unknown>,
): Promise<{ userId: string; sessionsEnded: number; facebookRemoved: boolean }> {
  const parsed = resetPasswordSchema.safeParse(input);
  if (!parsed.success) throw new InputError("Check the new password", fieldErrors(parsed.error.issues));
  const choice = identityChoiceSchema.parse(input).facebook;
  if (!plausibleToken(token)) throw new InputError(INVALID);
  const passwordHash = await hashPassword(parsed.data.password);
  return asService(async (tx) => {
    const [row] = await tx<{ user_id: string }[]>`
      select user_id from private.password_resets
      where token_hash = ${hashToken(token)} and used_at is null and expires_at > now()
      for update`;
    if (!row) throw new InputError(INVALID);
    await tx`update public.users set password_hash = ${passwordHash}, email_verified_at = now(), updated_at = now() where id = ${row.user_id}`;
    await tx`update private.password_resets set used_at = now() where user_id = ${row.user_id} and used_at is null`;
    await tx`update private.email_changes set used_at = now() where user_id = ${row.user_id} and used_at is null`;
    const { facebookRemoved } = await settleIdentitiesInTx(tx, row.user_id, choice);
    const ended = await tx`delete from public.sessions where user_id = ${row.user_id} returning id`;
    return { userId: row.user_id, sessionsEnded: ended.length, facebookRemoved };
  });
}
