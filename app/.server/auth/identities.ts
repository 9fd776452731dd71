/**
 * Sign-in identities linked to an account besides its password: today, one Facebook login (ADR 0063).
 *
 * - A Facebook identity is linked to an EXISTING account only from a signed-in session of that
 *   account (the Facebook callback while signed in). Sign-up with Facebook creates a new account.
 * - A link is "proven" when it was made while the account's email was proven (a password reset or
 *   confirmed email change had happened). Links made at sign-up, or on an account whose address
 *   nobody has proven, are not: whoever typed the address may not own it.
 * - A password reset and an email change prove the mailbox. Both list the linked identity and let
 *   the person remove it; an unproven one is removed unless they explicitly keep it. That closes the
 *   pre-takeover: an attacker who signed up with someone else's address loses the Facebook link the
 *   moment the real owner takes the account over by email.
 *
 * Every function runs as a service transaction on the user's own row (sign-in identities are not
 * readable by `authenticated`).
 */
import { z } from "zod";
import { asService, type Tx } from "../db/connection";
import { InputError, isUniqueViolation } from "../errors";
import type { FacebookIdentity } from "./facebook";

export interface LinkedIdentities {
  facebook: { linkedAt: Date | null; proven: boolean } | null;
  hasPassword: boolean;
  emailVerified: boolean;
}

interface Row {
  facebook_user_id: string | null;
  facebook_linked_at: Date | null;
  facebook_link_proven: boolean;
  has_password: boolean;
  email_verified_at: Date | null;
}

export async function linkedIdentitiesInTx(tx: Tx, userId: string): Promise<LinkedIdentities | null> {
  const [row] = await tx<Row[]>`
    select facebook_user_id, facebook_linked_at, facebook_link_proven, password_hash is not null as has_password, email_verified_at
    from public.users where id = ${userId}`;
  if (!row) return null;
  return {
    facebook: row.facebook_user_id ? { linkedAt: row.facebook_linked_at, proven: row.facebook_link_proven } : null,
    hasPassword: row.has_password,
    emailVerified: row.email_verified_at !== null,
  };
}

export async function linkedIdentities(userId: string): Promise<LinkedIdentities | null> {
  return asService((tx) => linkedIdentitiesInTx(tx, userId));
}

/** The form field on the reset and email-change pages: keep or remove the linked Facebook login. */
export const identityChoiceSchema = z.object({ facebook: z.enum(["keep", "remove"]).optional().catch(undefined) });
export type IdentityChoice = z.infer<typeof identityChoiceSchema>["facebook"];

/**
 * Applies the choice once the person has proven the mailbox (reset, email change), in that
 * transaction: an unproven link goes unless kept explicitly, a proven one stays unless removed. A
 * kept link becomes proven (the mailbox's owner vouched for it). Returns whether a link was removed.
 */
export async function settleIdentitiesInTx(tx: Tx, userId: string, choice: IdentityChoice): Promise<{ facebookRemoved: boolean }> {
  const [row] = await tx<{ facebook_user_id: string | null; facebook_link_proven: boolean }[]>`
    select facebook_user_id, facebook_link_proven from public.users where id = ${userId} for update`;
  if (!row?.facebook_user_id) return { facebookRemoved: false };
  const remove = row.facebook_link_proven ? choice === "remove" : choice !== "keep";
  if (remove) {
    await tx`update public.users set facebook_user_id = null, facebook_linked_at = null, facebook_link_proven = false, updated_at = now()
      where id = ${userId}`;
  } else {
    await tx`update public.users set facebook_link_proven = true where id = ${userId}`;
  }
  return { facebookRemoved: remove };
}

/**
 * Links a Facebook identity to the signed-in user (the callback while signed in). Refused when that
 * Facebook account belongs to another Spendlane user, or this user already has another one linked.
 */
export async function linkFacebook(userId: string, identity: FacebookIdentity): Promise<void> {
  try {
    await asService(async (tx) => {
      const [row] = await tx<{ facebook_user_id: string | null; email_verified_at: Date | null }[]>`
        select facebook_user_id, email_verified_at from public.users where id = ${userId} for update`;
      if (!row) throw new InputError("Sign in again to link Facebook");
      if (row.facebook_user_id === identity.facebookUserId) return;
      if (row.facebook_user_id) throw new InputError("Another Facebook login is linked to your account; remove it first");
      await tx`update public.users
        set facebook_user_id = ${identity.facebookUserId}, facebook_linked_at = now(),
            facebook_link_proven = ${row.email_verified_at !== null}, updated_at = now()
        where id = ${userId}`;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new InputError("That Facebook login already belongs to another Spendlane account");
    throw err;
  }
}

/** Removes the Facebook login from the signed-in user's account; refused while it is the only way in. */
export async function unlinkFacebook(userId: string): Promise<void> {
  await asService(async (tx) => {
    const ids = await linkedIdentitiesInTx(tx, userId);
    if (!ids?.facebook) return;
    if (!ids.hasPassword) {
      throw new InputError("Facebook is your only way to sign in. Set a password first (“Forgot password” mails you a link).");
    }
    await tx`update public.users set facebook_user_id = null, facebook_linked_at = null, facebook_link_proven = false, updated_at = now()
      where id = ${userId}`;
  });
}
