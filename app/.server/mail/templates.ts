/**
 * Email templates: plain text plus a small HTML version. Every interpolated value is escaped; links
 * carry single-use tokens, so templates are the only place a token appears outside the database hash.
 */
export interface RenderedMail {
  template: "invitation" | "password_reset" | "email_change" | "email_change_notice" | "report" | "alert" | "alert_digest";
  subject: string;
  text: string;
  html: string;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

export function layout(title: string, paragraphs: string[], button: { label: string; url: string }, footer: string) {
  const body = paragraphs.map((p) => `<p style="margin:0 0 16px">${escapeHtml(p)}</p>`).join("");
  return `<!doctype html><html><body style="font-family:system-ui,sans-serif;background:#09090b;color:#e4e4e7;padding:32px">
<div style="max-width:520px;margin:0 auto;background:#18181b;border:1px solid #27272a;border-radius:12px;padding:28px">
<h1 style="font-size:18px;margin:0 0 16px">${escapeHtml(title)}</h1>${body}
<p style="margin:24px 0"><a href="${escapeHtml(button.url)}" style="background:#fafafa;color:#09090b;padding:10px 16px;border-radius:8px;text-decoration:none;font-weight:600">${escapeHtml(button.label)}</a></p>
<p style="margin:0;color:#71717a;font-size:12px">${escapeHtml(footer)}</p>
</div></body></html>`;
}

export function invitationMail(input: {
  agencyName: string;
  workspaceName?: string | null;
  role: "admin" | "member" | "viewer";
  inviterName?: string | null;
  url: string;
  expiresAt: Date;
}): RenderedMail {
  const who = input.inviterName ? `${input.inviterName} invited you` : "You were invited";
  const what =
    input.role === "viewer"
      ? `to view the ${input.workspaceName ?? "client"} dashboard of ${input.agencyName} on Spendlane (read-only).`
      : `to join ${input.agencyName} on Spendlane as ${input.role === "admin" ? "an admin" : "a member"}.`;
  const expiry = `This invitation expires on ${input.expiresAt.toUTCString()} and works once.`;
  const subject =
    input.role === "viewer" ? `${input.agencyName} shared the ${input.workspaceName ?? "client"} dashboard with you` : `Join ${input.agencyName} on Spendlane`;
  const footer = "If you did not expect this email you can ignore it.";
  return {
    template: "invitation",
    subject,
    text: `${who} ${what}\n\nAccept: ${input.url}\n\n${expiry}\n${footer}\n`,
    html: layout(subject, [`${who} ${what}`, expiry], { label: "Accept invitation", url: input.url }, footer),
  };
}

export function passwordResetMail(input: { url: string }): RenderedMail {
  const subject = "Reset your Spendlane password";
  const lines = [
    "Someone asked to reset the password of your Spendlane account.",
    "The link works once and expires in one hour. Resetting signs out all your sessions.",
  ];
  const footer = "If it was not you, ignore this email: your password stays as it is.";
  return {
    template: "password_reset",
    subject,
    text: `${lines.join("\n")}\n\nReset: ${input.url}\n\n${footer}\n`,
    html: layout(subject, lines, { label: "Choose a new password", url: input.url }, footer),
  };
}
