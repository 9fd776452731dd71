import { describe, it, expect } from "vitest";
import { asService } from "../../app/.server/db/connection";
import { InputError } from "../../app/.server/errors";
import { changePassword, listSessions, signOutOtherSessions } from "../../app/.server/auth/account";
import { confirmEmailChange, previewEmailChange, requestEmailChange } from "../../app/.server/auth/email-change";
import { RATE_LIMITS, TooManyAttemptsError } from "../../app/.server/security/rate-limit";
import { isResetTokenValid, requestPasswordReset, resetPassword } from "../../app/.server/auth/password-reset";
import { verifyPassword } from "../../app/.server/tenancy/users";
import { firstLink, listOutbox } from "../../app/.server/mail";
import { createUser, TEST_PASSWORD, uniq } from "../helpers/factories";
import { withRoomInWindow } from "../helpers/rate-windows";

const BASE = "http://app.test";

async function newSession(userId: string, userAgent = "Mozilla/5.0 Test") {
  const id = uniq("sess-");
  await asService(
    (tx) => tx`insert into public.sessions (id, user_id, expires_at, user_agent) values (${id}, ${userId}, now() + interval '1 day', ${userAgent})`,
  );
  return id;
}
async function sessionIds(userId: string) {
  const rows = await asService((tx) => tx<{ id: string }[]>`select id from public.sessions where user_id = ${userId} order by id`);
  return rows.map((r) => r.id);
}
async function passwordHash(userId: string) {
  const [row] = await asService((tx) => tx<{ password_hash: string }[]>`select password_hash from public.users where id = ${userId}`);
  return row.password_hash;
}
async function resetToken(email: string) {
  const [msg] = await listOutbox({ to: email, limit: 1 });
  const link = firstLink(msg.textBody)!;
  expect(link.startsWith(`${BASE}/reset-password/`)).toBe(true);
  return link.slice(`${BASE}/reset-password/`.length);
}

describe("password reset", () => {
  it("mails a single-use link; resetting sets the password and signs out every session", async () => {
    const u = await createUser();
    await newSession(u.id);
    await newSession(u.id);
    await requestPasswordReset({ email: `  ${u.email.toUpperCase()} ` }, { baseUrl: BASE });
    const token = await resetToken(u.email);
    expect(await isResetTokenValid(token)).toBe(true);
    const [stored] = await asService(
      (tx) => tx<{ token_hash: string; expires_at: Date }[]>`
      select token_hash, expires_at from private.password_resets where user_id = ${u.id}`,
    );
    expect(stored.token_hash).not.toBe(token);
    const minutes = (stored.expires_at.getTime() - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(59);
    expect(minutes).toBeLessThanOrEqual(60);

    await expect(resetPassword(token, { password: "short", confirm: "short" })).rejects.toBeInstanceOf(InputError);
    await expect(resetPassword(token, { password: "new-password-22", confirm: "other-password-22" })).rejects.toMatchObject({
      fields: { confirm: "The passwords do not match" },
    });
    const result = await resetPassword(token, { password: "new-password-22", confirm: "new-password-22" });
    expect(result).toEqual({ userId: u.id, sessionsEnded: 2, facebookRemoved: false });
    expect(await sessionIds(u.id)).toEqual([]);
    expect(await verifyPassword(await passwordHash(u.id), "new-password-22")).toBe(true);
    expect(await isResetTokenValid(token)).toBe(false);
    await expect(resetPassword(token, { password: "newer-password-33", confirm: "newer-password-33" })).rejects.toThrow(/invalid, used or expired/);
  });

  it("answers the same for unknown emails and sends nothing", async () => {
    const email = `${uniq("ghost")}@example.test`;
    await expect(requestPasswordReset({ email }, { baseUrl: BASE })).resolves.toBeUndefined();
    expect(await listOutbox({ to: email })).toEqual([]);
    await expect(requestPasswordReset({ email: "nope" })).rejects.toBeInstanceOf(InputError);
  });

  it("expired links fail; requesting again spends older links; at most three open links", async () => {
    const u = await createUser();
    await requestPasswordReset({ email: u.email }, { baseUrl: BASE });
    const first = await resetToken(u.email);
    await asService((tx) => tx`update private.password_resets set expires_at = now() - interval '1 second' where user_id = ${u.id}`);
    expect(await isResetTokenValid(first)).toBe(false);
    await expect(resetPassword(first, { password: "new-password-22", confirm: "new-password-22" })).rejects.toThrow(/expired/);

    for (let i = 0; i < 4; i++) await requestPasswordReset({ email: u.email }, { baseUrl: BASE });
    const [{ n }] = await asService(
      (tx) => tx<{ n: number }[]>`
      select count(*)::int as n from private.password_resets where user_id = ${u.id} and used_at is null and expires_at > now()`,
    );
    expect(n).toBe(3);
    const latest = await resetToken(u.email);
    const older = (await listOutbox({ to: u.email, limit: 3 }))[2];
    const olderToken = firstLink(older.textBody)!.split("/").pop()!;
    await resetPassword(latest, { password: "new-password-22", confirm: "new-password-22" });
    // one reset spends every open link of the account
    expect(await isResetTokenValid(olderToken)).toBe(false);
    expect(await isResetTokenValid("not-a-token")).toBe(false);
  });
});

describe("account security", () => {
  it("changing the password needs the current one and signs out the other sessions", async () => {
    const u = await createUser();
    const current = await newSession(u.id, "Current browser");
    const other = await newSession(u.id, "Other browser");
    const before = await passwordHash(u.id);
    await expect(
      changePassword(u.id, current, { currentPassword: "wrong-password-1", newPassword: "next-password-44", confirm: "next-password-44" }),
    ).rejects.toThrow(/not correct/);
    expect(await passwordHash(u.id)).toBe(before);
    expect(await sessionIds(u.id)).toEqual([current, other].sort());

    const res = await changePassword(u.id, current, { currentPassword: TEST_PASSWORD, newPassword: "next-password-44", confirm: "next-password-44" });
    expect(res.sessionsEnded).toBe(1);
    expect(await sessionIds(u.id)).toEqual([current]);
    expect(await verifyPassword(await passwordHash(u.id), "next-password-44")).toBe(true);
  });

  // Review finding 1 (second half): the email changed at once, unverified, so an attacker in a session
  // could move the account to an address they own. Now a link goes to the new address first.
  it("changing the email needs the password, a free address and a confirmation from the new inbox", async () => {
    const u = await createUser();
    const taken = await createUser();
    const opts = { baseUrl: BASE };
    await expect(requestEmailChange(u.id, { email: taken.email, password: TEST_PASSWORD }, opts)).rejects.toThrow(/already used/);
    await expect(requestEmailChange(u.id, { email: `${uniq("n")}@example.test`, password: "wrong-password-1" }, opts)).rejects.toThrow(/not correct/);
    await expect(requestEmailChange(u.id, { email: "bad", password: TEST_PASSWORD }, opts)).rejects.toBeInstanceOf(InputError);
    const fresh = `${uniq("n")}@example.test`;
    const other = await newSession(u.id);
    expect(await requestEmailChange(u.id, { email: fresh.toUpperCase(), password: TEST_PASSWORD }, opts)).toEqual({ pendingEmail: fresh });
    // nothing changed yet
    const [before] = await asService((tx) => tx`select email, email_verified_at from public.users where id = ${u.id}`);
    expect(before).toEqual({ email: u.email, email_verified_at: null });
    // the old address is told, the new one gets the link
    const [notice] = await listOutbox({ to: u.email, limit: 1 });
    expect(notice.template).toBe("email_change_notice");
    expect(notice.textBody).toContain(fresh);
    const [mail] = await listOutbox({ to: fresh, limit: 1 });
    expect(mail.template).toBe("email_change");
    const link = firstLink(mail.textBody)!;
    expect(link.startsWith(`${BASE}/confirm-email/`)).toBe(true);
    const token = link.slice(`${BASE}/confirm-email/`.length);
    expect(await previewEmailChange(token)).toMatchObject({ newEmail: fresh, identities: { facebook: null, hasPassword: true } });
    await expect(confirmEmailChange("not-a-token", {})).rejects.toThrow(/invalid, used or expired/);
    expect(await confirmEmailChange(token, {})).toEqual({ userId: u.id, email: fresh, facebookRemoved: false });
    const [after] = await asService(
      (tx) => tx<{ email: string; email_verified_at: Date | null }[]>`select email, email_verified_at from public.users where id = ${u.id}`,
    );
    expect(after.email).toBe(fresh);
    expect(after.email_verified_at).not.toBeNull();
    // every session is signed out; the link works once
    expect(await sessionIds(u.id)).not.toContain(other);
    await expect(confirmEmailChange(token, {})).rejects.toThrow(/invalid, used or expired/);
  });

  // Review finding 7: no attempt limit on the current-password check in /account.
  it("the current-password check allows 5 failures per 15 minutes, and a success does not count", async () => {
    const u = await createUser();
    const sess = await newSession(u.id);
    const attempt = (pw: string) => changePassword(u.id, sess, { currentPassword: pw, newPassword: "next-password-55", confirm: "next-password-55" });
    await withRoomInWindow(RATE_LIMITS.current_password.account.windowSeconds, 120);
    await attempt(TEST_PASSWORD);
    for (let i = 0; i < 5; i++) await expect(attempt(`wrong-password-${i}`)).rejects.toThrow(/not correct/);
    const refused = attempt("next-password-55");
    await expect(refused).rejects.toBeInstanceOf(TooManyAttemptsError);
    await expect(refused).rejects.toMatchObject({ status: 429 });
    // the email change shares the limit: the right password is refused too while it lasts
    await expect(requestEmailChange(u.id, { email: `${uniq("n")}@example.test`, password: "next-password-55" }, { baseUrl: BASE })).rejects.toBeInstanceOf(
      TooManyAttemptsError,
    );
    expect(await verifyPassword(await passwordHash(u.id), "next-password-55")).toBe(true);
  });

  it("lists own sessions (current first, no ids) and signs out the others", async () => {
    const u = await createUser();
    const someoneElse = await createUser();
    const other = await newSession(u.id, "Firefox on Linux");
    const current = await newSession(u.id, "Chrome on Mac");
    const foreign = await newSession(someoneElse.id);
    const list = await listSessions(u.id, current);
    expect(list.map((s) => [s.userAgent, s.current])).toEqual([
      ["Chrome on Mac", true],
      ["Firefox on Linux", false],
    ]);
    expect(JSON.stringify(list)).not.toContain(current);
    expect(await signOutOtherSessions(u.id, current)).toBe(1);
    expect(await sessionIds(u.id)).toEqual([current]);
    expect(await sessionIds(someoneElse.id)).toEqual([foreign]);
    void other;
  });
});
