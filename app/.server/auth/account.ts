/**
 * Account security for the signed-in user: sessions (list, sign out others) and change password
 * (needs the current password). Email changes wait for a confirmation: email-change.ts.
 *
 * Sessions are listed and ended under asUser: RLS lets a user see and delete only their own rows.
 * The password hash is never granted to `authenticated`, so verifying and replacing it runs as a
 * service transaction scoped to the signed-in user's own row.
 */
import { z } from "zod";
import { asService, asUser } from "../db/connection";
import { InputError, NotFoundError, fieldErrors } from "../errors";
import { passwordSchema } from "../tenancy/validation";
import { hashPassword, verifyPassword } from "../tenancy/users";
import { RATE_LIMITS, TooManyAttemptsError, beginAttempt, bucket, type Counter } from "../security/rate-limit";

/** No session id: ids are bearer credentials and never go to the page. */
export interface SessionRow {
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  userAgent: string | null;
  ip: string | null;
  current: boolean;
}

export async function listSessions(userId: string, currentSessionId: string): Promise<SessionRow[]> {
  return asUser(
    userId,
    (tx) => tx<SessionRow[]>`
    select created_at as "createdAt", last_seen_at as "lastSeenAt", expires_at as "expiresAt",
      user_agent as "userAgent", ip, id = ${currentSessionId} as current
    from public.sessions
    where user_id = ${userId} and expires_at > now()
    order by (id = ${currentSessionId}) desc, last_seen_at desc`,
  );
}

/** Signs out every other session of the user (RLS: only their own rows can be deleted). */
export async function signOutOtherSessions(userId: string, currentSessionId: string): Promise<number> {
  const rows = await asUser(
    userId,
    (tx) => tx`
    delete from public.sessions where user_id = ${userId} and id <> ${currentSessionId} returning id`,
  );
  return rows.length;
}

export const changePasswordSchema = z
  .object({ currentPassword: z.string().min(1, "Enter your current password"), newPassword: passwordSchema, confirm: z.string() })
  .refine((v) => v.newPassword === v.confirm, { path: ["confirm"], message: "The passwords do not match" });

/**
 * The current-password check guards password and email changes, so a stolen session cannot guess
 * its way to them: failures count per user and per client IP (RATE_LIMITS.current_password), a
 * correct password hands its attempt back. Over the limit: TooManyAttemptsError (429).
 */
export async function checkCurrentPassword(userId: string, password: string, field: string, ip: string | null) {
  const rules = RATE_LIMITS.current_password;
  const counters: Counter[] = [{ bucket: bucket("current_password", "account", userId), rule: rules.account }];
  if (ip) counters.push({ bucket: bucket("current_password", "ip", ip), rule: rules.ip });
  const attempt = await beginAttempt("current_password", counters);
  if (!attempt.ok) throw new TooManyAttemptsError(attempt.retryAfterSeconds);
  const [row] = await asService(
    (tx) => tx<{ password_hash: string | null }[]>`
    select password_hash from public.users where id = ${userId}`,
  );
  if (!row) throw new NotFoundError();
  if (!row.password_hash) {
    await attempt.succeeded();
    throw new InputError("Your account has no password yet; set one with “Forgot password”", { [field]: "No password set" });
  }
  if (!(await verifyPassword(row.password_hash, password))) {
    throw new InputError("The current password is not correct", { [field]: "Not correct" });
  }
  await attempt.succeeded();
}

/** Changes the password and signs out every other session (the current one stays). */
export async function changePassword(
  userId: string,
  currentSessionId: string,
  input: unknown,
  opts: { ip?: string | null } = {},
): Promise<{ sessionsEnded: number }> {
  const parsed = changePasswordSchema.safeParse(input);
  if (!parsed.success) throw new InputError("Check the passwords", fieldErrors(parsed.error.issues));
  await checkCurrentPassword(userId, parsed.data.currentPassword, "currentPassword", opts.ip ?? null);
  const passwordHash = await hashPassword(parsed.data.newPassword);
  return asService(async (tx) => {
    await tx`update public.users set password_hash = ${passwordHash}, updated_at = now() where id = ${userId}`;
    // a reset link mailed before the change must not undo it
    await tx`update private.password_resets set used_at = now() where user_id = ${userId} and used_at is null`;
    const ended = await tx`delete from public.sessions where user_id = ${userId} and id <> ${currentSessionId} returning id`;
    return { sessionsEnded: ended.length };
  });
}
