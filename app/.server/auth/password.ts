/**
 * Email + password login as a remix-auth v4 strategy. The error never says whether the email
 * exists, and unknown emails still pay for one argon2 verification (against a fixed dummy hash) so
 * response time does not reveal them either.
 */
import { z } from "zod";
import { Strategy } from "remix-auth/strategy";
import { asService } from "../db/connection";
import { InputError, fieldErrors } from "../errors";
import { dummyPasswordHash, findUserByEmail, verifyPassword } from "../tenancy/users";

export const LOGIN_FAILED = "Email or password is incorrect";

const loginSchema = z.object({
  email: z.string({ error: "Email is required" }).trim().toLowerCase().min(1, "Email is required").max(254, "Email is too long"),
  password: z.string({ error: "Password is required" }).min(1, "Password is required").max(200, "Password is too long"),
});

export interface LoggedIn {
  userId: string;
}

/** Checks an email/password pair; InputError with a neutral message when it does not match. */
export async function verifyLogin(input: { email: unknown; password: unknown }): Promise<LoggedIn> {
  const parsed = loginSchema.safeParse(input);
  if (!parsed.success) throw new InputError("Enter your email and password", fieldErrors(parsed.error.issues));
  // Pre-auth lookup: nobody is signed in yet, so this is a service read of one user's hash.
  const user = await asService((tx) => findUserByEmail(tx, parsed.data.email));
  const ok = await verifyPassword(user?.password_hash ?? (await dummyPasswordHash()), parsed.data.password);
  if (!user || !user.password_hash || !ok) throw new InputError(LOGIN_FAILED);
  return { userId: user.id };
}

export class PasswordStrategy<U> extends Strategy<U, { form: FormData }> {
  name = "password";
  async authenticate(request: Request): Promise<U> {
    // A clone, so the route can still read its own fields (redirectTo) from the same request.
    const form = await request.clone().formData();
    return this.verify({ form });
  }
}
