/**
 * The report email: headline KPIs as text in both the plain and the HTML body (readable with images
 * blocked), a button to the web report, the agency's name and colour, the PDF attached by the
 * delivery engine. Every interpolated string is HTML-escaped (escapeHtml) in the HTML body and has its
 * control characters removed in both.
 */
import { escapeHtml, type RenderedMail } from "../mail/templates";
import { formatDateRange, formatDelta, formatMetric, METRIC_BY_NAME } from "../../utils/format";
import { delta } from "../reporting/metrics";
import { cleanText, currencyGroups, type ReportDocument } from "./document";
import { comparisonLabel } from "./pdf";
import { HEADLINE_METRICS } from "./sections";

export interface ReportMailLinks {
  shareUrl: string;
  /** the agency logo served from the share link; null when the agency has none */
  logoUrl: string | null;
  expiresAt: Date;
}

function kpiLines(doc: ReportDocument) {
  return currencyGroups(doc).map((g) => ({
    currency: g.currency,
    rows: HEADLINE_METRICS.map((name) => ({
      label: METRIC_BY_NAME[name].label,
      value: formatMetric(name, g.totals[name], g.currency),
      change: g.previous ? formatDelta(delta(g.totals[name], g.previous[name])) : null,
    })),
  }));
}

export function reportMail(doc: ReportDocument, links: ReportMailLinks, opts: { test?: boolean } = {}): RenderedMail {
  const b = doc.branding;
  const name = cleanText(b.displayName);
  const client = cleanText(doc.workspace.name);
  const title = cleanText(doc.title);
  const period = formatDateRange(doc.report.range.since, doc.report.range.until);
  const subject = `${opts.test ? "[Test] " : ""}${title}: ${client}, ${period}`;
  const cmp = comparisonLabel(doc);
  const groups = kpiLines(doc);
  const expires = `The link works until ${links.expiresAt.toUTCString()}.`;
  const commentary = doc.sections.includes("commentary") ? cleanText(doc.commentary).trim() : "";

  const text = [
    opts.test ? "This is a test send of a scheduled report; the client has not received it.\n" : "",
    `${name} · ${title}`,
    `${client} · ${period}${cmp ? ` · ${cmp}` : ""}`,
    "",
    ...groups.flatMap((g) => [
      ...(groups.length > 1 ? [`${g.currency}`] : []),
      ...g.rows.map((r) => `  ${r.label}: ${r.value}${r.change ? ` (${r.change})` : ""}`),
      "",
    ]),
    ...(groups.length === 0 ? ["No ad accounts are connected to this client yet.", ""] : []),
    ...(commentary ? [commentary, ""] : []),
    `Full report: ${links.shareUrl}`,
    expires,
    "The PDF is attached.",
    "",
    b.poweredBy ? `Sent by ${name} · Powered by Spendlane` : `Sent by ${name}`,
    "",
  ].join("\n");

  const color = escapeHtml(b.brandColor);
  const kpiHtml = groups
    .map((g) => {
      const cells = g.rows
        .map(
          (r) =>
            `<tr><td style="padding:6px 0;color:#52525b;font-size:13px">${escapeHtml(r.label)}</td>` +
            `<td style="padding:6px 0;text-align:right;font-weight:600;font-size:15px;color:#18181b">${escapeHtml(r.value)}</td>` +
            `<td style="padding:6px 0 6px 12px;text-align:right;color:#71717a;font-size:12px">${r.change ? escapeHtml(r.change) : ""}</td></tr>`,
        )
        .join("");
      const head = groups.length > 1 ? `<p style="margin:16px 0 4px;font-weight:600">${escapeHtml(g.currency)}</p>` : "";
      return `${head}<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="border-collapse:collapse">${cells}</table>`;
    })
    .join("");
  const logo = links.logoUrl
    ? `<img src="${escapeHtml(links.logoUrl)}" alt="${escapeHtml(name)}" style="max-height:40px;max-width:160px;display:block;margin:0 0 12px">`
    : "";
  const html = `<!doctype html><html><body style="margin:0;background:#f4f4f5;font-family:system-ui,-apple-system,Segoe UI,sans-serif;color:#18181b">
<div style="max-width:560px;margin:0 auto;padding:24px">
<div style="background:#ffffff;border-radius:12px;border-top:6px solid ${color};padding:24px">
${opts.test ? `<p style="margin:0 0 12px;padding:8px;background:#fef3c7;border-radius:6px;font-size:13px">This is a test send; the client has not received it.</p>` : ""}
${logo}<p style="margin:0;color:${color};font-weight:600;font-size:13px">${escapeHtml(name)}</p>
<h1 style="margin:4px 0 4px;font-size:20px">${escapeHtml(title)}</h1>
<p style="margin:0 0 16px;color:#52525b;font-size:14px">${escapeHtml(client)} · ${escapeHtml(period)}${cmp ? `<br><span style="font-size:12px">${escapeHtml(cmp)}</span>` : ""}</p>
${kpiHtml || `<p>No ad accounts are connected to this client yet.</p>`}
${commentary ? `<p style="margin:16px 0;white-space:pre-wrap;font-size:14px">${escapeHtml(commentary)}</p>` : ""}
<p style="margin:24px 0 8px"><a href="${escapeHtml(links.shareUrl)}" style="background:${color};color:#ffffff;padding:12px 18px;border-radius:8px;text-decoration:none;font-weight:600;display:inline-block">View the full report</a></p>
<p style="margin:0;color:#71717a;font-size:12px">${escapeHtml(expires)} The PDF is attached.</p>
</div>
<p style="margin:16px 0 0;color:#a1a1aa;font-size:12px;text-align:center">${escapeHtml(b.poweredBy ? `Sent by ${name} · Powered by Spendlane` : `Sent by ${name}`)}</p>
</div></body></html>`;
  return { template: "report", subject: subject.slice(0, 300), text, html };
}
