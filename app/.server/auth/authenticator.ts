/**
 * The remix-auth v4 Authenticator: one place that knows the login methods. v4 leaves sessions to the
 * app (ours are server-side rows, see session.ts); strategies only answer "who is this?".
 *
 * - "password": email + password form (password.ts) -> { userId }
 * - "facebook": OAuth 2 code flow (facebook.ts) -> the Facebook identity, which login.server.ts
 *   turns into a user (existing, or new after the follow-up form).
 */
import { Authenticator } from "remix-auth";
import { logger } from "../logger";
import { FacebookLoginError, facebookStrategy, type FacebookIdentity, type FacebookResult } from "./facebook";
import { PasswordStrategy, verifyLogin } from "./password";

export type AuthResult = { method: "password"; userId: string } | FacebookResult;

function authenticator(request: Request): Authenticator<AuthResult> {
  const auth = new Authenticator<AuthResult>();
  auth.use(
    new PasswordStrategy<AuthResult>(async ({ form }) => {
      const { userId } = await verifyLogin({ email: form.get("email"), password: form.get("password") });
      return { method: "password", userId };
    }),
  );
  const fb = facebookStrategy(request);
  if (fb) auth.use(fb);
  return auth;
}

/** Email + password login; InputError (neutral message) on failure. */
export async function authenticatePassword(request: Request): Promise<string> {
  const result = await authenticator(request).authenticate("password", request);
  if (result.method !== "password") throw new Error("unexpected strategy result");
  return result.userId;
}

/**
 * One step of the Facebook flow: with no `state` in the URL it throws a redirect to the dialog; on
 * the callback it checks state, exchanges the code and returns the Facebook identity.
 */
export async function authenticateFacebook(request: Request): Promise<FacebookIdentity> {
  const auth = authenticator(request);
  if (!auth.get("facebook")) throw new FacebookLoginError("Facebook login is not configured", "failed");
  if (new URL(request.url).searchParams.get("error")) {
    // The person pressed "Deny" (or Facebook refused): a notice, not an incident.
    throw new FacebookLoginError("Facebook login was cancelled.", "denied");
  }
  try {
    const result = await auth.authenticate("facebook", request);
    if (result.method !== "facebook") throw new Error("unexpected strategy result");
    return result.identity;
  } catch (err) {
    if (err instanceof Response || err instanceof FacebookLoginError) throw err;
    // State mismatch, missing state cookie, missing code: all mean "start again".
    logger.warn({ err }, "facebook login rejected");
    throw new FacebookLoginError("That Facebook login link is no longer valid. Try again.", "failed");
  }
}
