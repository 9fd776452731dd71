/**
 * Mail delivery: the outbox without SMTP, and with an SMTP server that cannot be reached the
 * invitation stays valid, the failure is reported, and neither the SMTP credentials nor the token
 * reach a log line or an error message.
 */
import { afterEach, describe, it, expect, vi } from "vitest";
import { asService } from "../../app/.server/db/connection";
import { resetEnvForTests } from "../../app/.server/env";
import { logger } from "../../app/.server/logger";
import { escapeHtml, invitationMail, listOutbox, passwordResetMail, sendMail } from "../../app/.server/mail";
import { inviteMember, resendInvitation } from "../../app/.server/tenancy/invitations";
import { requestPasswordReset } from "../../app/.server/auth/password-reset";
import { createAgencyFixture, createUser, uniq } from "../helpers/factories";

/** Every argument given to the logger while `fn` runs, serialised. */
async function captureLogs(fn: () => Promise<unknown>): Promise<string> {
  const lines: string[] = [];
  const spies = (["trace", "debug", "info", "warn", "error", "fatal"] as const).map((level) =>
    vi.spyOn(logger, level).mockImplementation(((...args: unknown[]) => {
      lines.push(JSON.stringify(args, (_k, v) => (v instanceof Error ? { message: v.message, stack: v.stack } : v)));
    }) as never),
  );
  try {
    await fn();
  } finally {
    for (const s of spies) s.mockRestore();
  }
  return lines.join("\n");
}

afterEach(() => {
  delete process.env.SMTP_URL;
  resetEnvForTests();
});

describe("mail", () => {
  it("templates escape what people typed", () => {
    const m = invitationMail({
      agencyName: `<script>alert(1)</script>`,
      role: "member",
      inviterName: `"Eve" <x>`,
      url: "http://app.test/invite/abc",
      expiresAt: new Date(),
    });
    expect(m.html).not.toContain("<script>");
    expect(m.html).toContain(escapeHtml("<script>alert(1)</script>"));
    expect(m.text).toContain("http://app.test/invite/abc");
    expect(passwordResetMail({ url: "http://app.test/reset-password/t" }).text).toContain("one hour");
  });

  it("the outbox lists newest first by number, not by text (id 10^11 after 10^11 - 1)", async () => {
    const to = `${uniq("order")}@example.test`;
    // ids far beyond the sequence, across a digit boundary, where text order and number order
    // differ; each run has a fresh database, and no other test writes ids this large
    const base = 99_999_999_999n;
    await asService(
      (tx) => tx`
      insert into private.mail_outbox (id, to_address, subject, template, text_body, html_body)
      overriding system value
      values (${String(base)}, ${to}, 'older', 'password_reset', 'older', 'older'),
             (${String(base + 1n)}, ${to}, 'newer', 'password_reset', 'newer', 'newer')`,
    );
    expect((await listOutbox({ to })).map((m) => m.subject)).toEqual(["newer", "older"]);
  });

  it("without SMTP, mail lands in the outbox and the log names no token or body", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    const email = `${uniq("log")}@example.test`;
    const logs = await captureLogs(() => inviteMember(f.owner.id, f.agency.id, { email, role: "member" }, { baseUrl: "http://app.test" }));
    const [msg] = await listOutbox({ to: email, limit: 1 });
    const token = msg.textBody.match(/invite\/([A-Za-z0-9_-]{43})/)![1];
    expect(logs).toContain("email written to the outbox");
    expect(logs).not.toContain(token);
    expect(logs).not.toContain(email);

    const u = await createUser();
    const resetLogs = await captureLogs(() => requestPasswordReset({ email: u.email }, { baseUrl: "http://app.test" }));
    const [reset] = await listOutbox({ to: u.email, limit: 1 });
    const resetToken = reset.textBody.match(/reset-password\/([A-Za-z0-9_-]{43})/)![1];
    expect(resetLogs).not.toContain(resetToken);
  });

  it("an unreachable SMTP server: the invitation is kept, reported unsent, and no secret leaks", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    process.env.SMTP_URL = "smtp://mailer:smtp-secret-pw@127.0.0.1:1";
    resetEnvForTests();
    const email = `${uniq("smtp")}@example.test`;
    let result: Awaited<ReturnType<typeof inviteMember>> | undefined;
    const logs = await captureLogs(async () => {
      result = await inviteMember(f.owner.id, f.agency.id, { email, role: "member" }, { baseUrl: "http://app.test" });
    });
    expect(result!.emailSent).toBe(false);
    const [row] = await asService((tx) => tx`select accepted_at, revoked_at from public.invitations where id = ${result!.id}`);
    expect(row).toEqual({ accepted_at: null, revoked_at: null });
    expect(await listOutbox({ to: email })).toEqual([]);
    expect(logs).toContain("email delivery failed");
    expect(logs).not.toContain("smtp-secret-pw");
    expect(logs).not.toContain("/invite/");

    const err = await sendMail(email, passwordResetMail({ url: "http://app.test/reset-password/x" })).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).not.toContain("smtp-secret-pw");

    // once the mail server is back (here: the outbox), Resend delivers a fresh link
    delete process.env.SMTP_URL;
    resetEnvForTests();
    const resent = await resendInvitation(f.owner.id, f.agency.id, result!.id, { baseUrl: "http://app.test" });
    expect(resent.emailSent).toBe(true);
    expect(await listOutbox({ to: email })).toHaveLength(1);
  });

  it("a password reset request answers normally even when SMTP is down (no account oracle)", async () => {
    const u = await createUser();
    process.env.SMTP_URL = "smtp://mailer:smtp-secret-pw@127.0.0.1:1";
    resetEnvForTests();
    const logs = await captureLogs(async () => {
      await expect(requestPasswordReset({ email: u.email }, { baseUrl: "http://app.test" })).resolves.toBeUndefined();
      await expect(requestPasswordReset({ email: `${uniq("none")}@example.test` }, { baseUrl: "http://app.test" })).resolves.toBeUndefined();
      // let the background delivery attempt fail while logs are captured
      await new Promise((r) => setTimeout(r, 300));
    });
    const [row] = await asService((tx) => tx`select count(*)::int as n from private.password_resets where user_id = ${u.id}`);
    expect(row.n).toBe(1);
    expect(logs).not.toContain("smtp-secret-pw");
    expect(logs).not.toContain("reset-password/");
  });
});
