/**
 * The web report behind a share link: what the page shows, formatted on the server with the same
 * formatters as the PDF and the email (so all three print the same figures). Strings reach the
 * browser as data and React escapes them; the logo travels as a data: URL of validated PNG/JPEG bytes.
 */
import { asService } from "../db/connection";
import { formatDate, formatDateRange, formatDelta, formatMetric, deltaTone, METRIC_BY_NAME } from "../../utils/format";
import { delta } from "../reporting/metrics";
import { PLATFORM_LABELS } from "../../utils/platforms";
import { cleanText, currencyGroups, loadReportDocument, type ReportDocument } from "./document";
import { comparisonLabel } from "./pdf";
import { HEADLINE_METRICS, TABLE_METRICS, type SectionKind } from "./sections";
import type { ShareLink } from "./share";

export async function loadShareDocument(link: ShareLink): Promise<ReportDocument> {
  return asService((tx) =>
    loadReportDocument(tx, {
      workspaceId: link.workspaceId,
      period: link.period,
      compare: link.snapshot.compare,
      sections: link.snapshot.sections,
      commentary: link.snapshot.commentary,
      title: link.snapshot.title,
    }),
  );
}

export function webReport(doc: ReportDocument) {
  const b = doc.branding;
  const r = doc.report.range;
  return {
    brand: {
      name: cleanText(b.displayName),
      color: b.brandColor,
      logo: b.logo ? `data:${b.logo.type};base64,${b.logo.bytes.toString("base64")}` : null,
      poweredBy: b.poweredBy,
    },
    title: cleanText(doc.title),
    client: cleanText(doc.workspace.name),
    period: formatDateRange(r.since, r.until),
    comparison: comparisonLabel(doc),
    timezone: r.timezone,
    dataAsOf: doc.dataAsOf ? `${doc.dataAsOf.slice(0, 16).replace("T", " ")} UTC` : null,
    stale: doc.staleAccounts.map(cleanText),
    sections: doc.sections as SectionKind[],
    commentary: cleanText(doc.commentary).trim(),
    groups: currencyGroups(doc).map((g) => {
      const maxSpend = Math.max(0, ...g.daily.map((d) => d.metrics.spend));
      return {
        currency: g.currency,
        kpis: HEADLINE_METRICS.map((name) => {
          const d = g.previous ? delta(g.totals[name], g.previous[name]) : null;
          return {
            name,
            label: METRIC_BY_NAME[name].label,
            value: formatMetric(name, g.totals[name], g.currency),
            change: g.previous ? formatDelta(d) : null,
            tone: deltaTone(d, METRIC_BY_NAME[name].inverted),
          };
        }),
        daily: g.daily.map((d) => ({
          date: formatDate(d.date, { short: true }),
          spend: formatMetric("spend", d.metrics.spend, g.currency),
          height: maxSpend > 0 ? d.metrics.spend / maxSpend : 0,
        })),
        columns: TABLE_METRICS.map((m) => METRIC_BY_NAME[m].label),
        campaigns: g.campaigns.map((c) => ({ name: cleanText(c.name), cells: TABLE_METRICS.map((m) => formatMetric(m, c.metrics[m], g.currency)) })),
        platforms: g.platforms.map((p) => ({
          name: PLATFORM_LABELS[p.platform] ?? cleanText(p.platform),
          cells: TABLE_METRICS.map((m) => formatMetric(m, p.metrics[m], g.currency)),
        })),
      };
    }),
  };
}
export type WebReport = ReturnType<typeof webReport>;
