/**
 * Alert emails: one alert (sent immediately) and the daily digest. Client, campaign and account
 * names come from Meta and users, so every value goes through the mail layout's HTML escaping; the
 * plain-text part carries the same content. Links are absolute (APP_URL) and carry no secret.
 */
import { escapeHtml, layout, type RenderedMail } from "../mail/templates";
import { RULE_LABELS, type Rule } from "./rules";

export interface MailAlert {
  rule: Rule;
  message: string;
  link: string;
  subjectLabel: string;
  openedAt: Date;
  resolvedAt: Date | null;
  workspaceName: string;
  agencyName: string;
}

const FOOTER = "You get this email because of your alert settings in Spendlane; change them on the Alerts page.";

function when(d: Date) {
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

export function alertMail(a: MailAlert, baseUrl: string): RenderedMail {
  const url = `${baseUrl}${a.link}`;
  const subject = `${RULE_LABELS[a.rule]}: ${a.workspaceName}`;
  const lines = [a.message, `Opened ${when(a.openedAt)} · ${a.agencyName}`];
  return {
    template: "alert",
    subject: subject.slice(0, 300),
    text: `${lines.join("\n\n")}\n\nOpen: ${url}\n\n${FOOTER}\n`,
    html: layout(subject, lines, { label: "Open in Spendlane", url }, FOOTER),
  };
}

export function alertDigestMail(alerts: MailAlert[], baseUrl: string): RenderedMail {
  const agency = alerts[0]?.agencyName ?? "Spendlane";
  const open = alerts.filter((a) => !a.resolvedAt).length;
  const subject = `${agency}: ${alerts.length} ${alerts.length === 1 ? "alert" : "alerts"} (${open} still open)`;
  const text = alerts
    .map((a) => `- [${a.resolvedAt ? "resolved" : "open"}] ${RULE_LABELS[a.rule]} · ${a.workspaceName}\n  ${a.message}\n  ${baseUrl}${a.link}`)
    .join("\n\n");
  const items = alerts
    .map(
      (a) =>
        `<li style="margin:0 0 14px"><strong>${escapeHtml(RULE_LABELS[a.rule])} · ${escapeHtml(a.workspaceName)}</strong>` +
        `${a.resolvedAt ? ' <span style="color:#71717a">(resolved)</span>' : ""}<br>${escapeHtml(a.message)}<br>` +
        `<a href="${escapeHtml(`${baseUrl}${a.link}`)}" style="color:#60a5fa">Open</a></li>`,
    )
    .join("");
  const first = alerts[0];
  const html = layout(
    subject,
    [`Your daily alert digest for ${agency}.`],
    { label: "All alerts", url: `${baseUrl}${first ? first.link.split("/w/")[0] : ""}/alerts` },
    FOOTER,
  ).replace("</h1>", `</h1><ul style="padding-left:18px;margin:0 0 16px">${items}</ul>`);
  return { template: "alert_digest", subject: subject.slice(0, 300), text: `Your daily alert digest for ${agency}.\n\n${text}\n\n${FOOTER}\n`, html };
}
