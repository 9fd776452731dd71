/**
 * Creating accounts: sign-up with a password, and first login with Facebook. Both create the user
 * and their first agency (as owner) in one transaction, so a failure leaves nothing behind. These
 * are pre-auth paths, hence asService.
 */
import { createCookie } from "@remix-run/node";
import { z } from "zod";
import { asService } from "../db/connection";
import { env } from "../env";
import { InputError, fieldErrors } from "../errors";
import { insertAgencyWithOwner, insertUser, emailSchema, nameSchema, passwordSchema, slugSchema } from "../tenancy";
import type { FacebookIdentity } from "./facebook";

const optionalSlug = z.preprocess((v) => (typeof v === "string" && v.trim() === "" ? undefined : v), slugSchema.optional());

export const signUpSchema = z.object({
  name: nameSchema,
  email: emailSchema,
  password: passwordSchema,
  agencyName: nameSchema,
  agencySlug: optionalSlug,
});

export const facebookSignUpSchema = z.object({
  email: emailSchema,
  agencyName: nameSchema,
  agencySlug: optionalSlug,
});

/** Agency errors come back keyed name/slug; on these forms the fields are agencyName/agencySlug. */
function agencyFieldErrors(err: InputError): InputError {
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(err.fields)) fields[k === "name" ? "agencyName" : k === "slug" ? "agencySlug" : k] = v;
  return new InputError(err.message, fields);
}

async function createUserWithAgency(
  user: { email: string; name: string | null; password?: string; facebookUserId?: string },
  agency: { name: string; slug?: string },
): Promise<{ userId: string; agencySlug: string }> {
  return asService(async (tx) => {
    const created = await insertUser(tx, user);
    try {
      const a = await insertAgencyWithOwner(tx, agency, created.id);
      return { userId: created.id, agencySlug: a.slug };
    } catch (err) {
      throw err instanceof InputError ? agencyFieldErrors(err) : err;
    }
  });
}

/** Sign-up form: validates everything first, then creates the user and their agency together. */
export async function signUp(input: Record<string, unknown>): Promise<{ userId: string; agencySlug: string }> {
  const parsed = signUpSchema.safeParse(input);
  if (!parsed.success) throw new InputError("Check the highlighted fields", fieldErrors(parsed.error.issues));
  const d = parsed.data;
  return createUserWithAgency({ email: d.email, name: d.name, password: d.password }, { name: d.agencyName, slug: d.agencySlug });
}

/** The Spendlane user linked to this Facebook account, if any. */
export async function findFacebookUser(facebookUserId: string): Promise<string | null> {
  const [row] = await asService((tx) => tx<{ id: string }[]>`select id from public.users where facebook_user_id = ${facebookUserId}`);
  return row?.id ?? null;
}

/**
 * First Facebook login: we never link to an existing password account by email (that would let
 * whoever controls a Facebook account with that address into the Spendlane account). See ADR 0002.
 */
export async function completeFacebookSignUp(identity: FacebookIdentity, input: Record<string, unknown>): Promise<{ userId: string; agencySlug: string }> {
  const parsed = facebookSignUpSchema.safeParse(input);
  if (!parsed.success) throw new InputError("Check the highlighted fields", fieldErrors(parsed.error.issues));
  const d = parsed.data;
  try {
    return await createUserWithAgency(
      { email: d.email, name: identity.name, facebookUserId: identity.facebookUserId },
      { name: d.agencyName, slug: d.agencySlug },
    );
  } catch (err) {
    if (err instanceof InputError && err.fields.email) {
      throw new InputError("An account with this email already exists. Log in with your password instead.", {
        email: "An account with this email already exists",
      });
    }
    throw err;
  }
}

/**
 * Between the Facebook callback and the follow-up form, the verified Facebook identity waits in a
 * signed, httpOnly, 15-minute cookie (no token in it: just the id, name and email Facebook gave).
 */
function pendingCookie() {
  const e = env();
  return createCookie("__spendlane_fb_pending", {
    httpOnly: true,
    sameSite: "lax",
    path: "/",
    maxAge: 15 * 60,
    secure: e.NODE_ENV === "production" && !(e.APP_URL ?? "").startsWith("http://"),
    secrets: [e.SESSION_SECRET],
  });
}

const identitySchema = z.object({
  facebookUserId: z.string().regex(/^\d{1,64}$/),
  name: z.string().max(120).nullable(),
  email: z.string().max(254).nullable(),
});

export async function commitPendingFacebook(identity: FacebookIdentity): Promise<string> {
  return pendingCookie().serialize(identity);
}
export async function readPendingFacebook(request: Request): Promise<FacebookIdentity | null> {
  const value = await pendingCookie().parse(request.headers.get("Cookie"));
  const parsed = identitySchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}
export async function clearPendingFacebook(): Promise<string> {
  return pendingCookie().serialize("", { maxAge: 0 });
}
