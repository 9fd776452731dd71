/**
 * CSV exports of the campaign table and the daily series, with csv-stringify (formula-safe cells,
 * security/spreadsheet-safe.ts). Additive facts are
 * written from the exact SQL sums (decimal text, no float rounding); ratios with the precision the
 * page shows plus two digits, and empty when undefined (division by zero).
 */
import { stringify } from "csv-stringify/sync";
import { SPREADSHEET_SAFE } from "../security/spreadsheet-safe";
import type { Metrics, Sums } from "./metrics";
import { trimDecimal } from "./metrics";
import type { Report } from "./workspace";

const RATIO_DIGITS = { ctr: 4, cpc: 4, cpm: 4, cpa: 4, roas: 4 } as const;

function ratio(v: number | null, digits: number) {
  return v == null ? "" : v.toFixed(digits);
}

function factColumns(s: Sums, m: Metrics) {
  return [
    trimDecimal(s.spend),
    s.impressions,
    s.clicks,
    s.link_clicks,
    ratio(m.ctr, RATIO_DIGITS.ctr),
    ratio(m.cpc, RATIO_DIGITS.cpc),
    ratio(m.cpm, RATIO_DIGITS.cpm),
    // withheld (null) where rows used different attribution windows: empty, never a mixed sum
    m.conversions == null ? "" : trimDecimal(s.conversions),
    ratio(m.cpa, RATIO_DIGITS.cpa),
    m.conversion_value == null ? "" : trimDecimal(s.conversion_value),
    ratio(m.roas, RATIO_DIGITS.roas),
  ];
}
const FACT_HEADER = ["spend", "impressions", "clicks", "link_clicks", "ctr", "cpc", "cpm", "conversions", "cpa", "conversion_value", "roas"];

export type ExportKind = "campaigns" | "daily";

/** The CSV text of one export; every currency group's rows carry their currency, with a total row per currency. */
export function reportCsv(report: Report, kind: ExportKind): string {
  const rows: string[][] = [];
  if (kind === "campaigns") {
    rows.push(["currency", "ad_account_id", "campaign_id", "campaign", "status", ...FACT_HEADER]);
    for (const g of Object.values(report.byCurrency)) {
      const accounts = new Map(g.accounts.map((a) => [a.id, a.meta_account_id]));
      for (const c of g.campaigns) {
        rows.push([g.currency, accounts.get(c.ad_account_id) ?? "", c.meta_campaign_id, c.name, c.status ?? "", ...factColumns(c.sums, c.metrics)]);
      }
      rows.push([g.currency, "", "", "Total", "", ...factColumns(g.totalsSums, g.totals)]);
    }
  } else {
    rows.push(["currency", "date", ...FACT_HEADER]);
    for (const g of Object.values(report.byCurrency)) {
      for (const d of g.daily) rows.push([g.currency, d.date, ...factColumns(d.sums, d.metrics)]);
    }
  }
  // Campaign names come from Meta: a leading =, +, -, @ must not run as a formula in a spreadsheet.
  return stringify(rows, SPREADSHEET_SAFE);
}

/** "acme-outdoor_2026-10-01_2026-10-28_campaigns.csv" */
export function exportFileName(workspaceSlug: string, report: Report, kind: ExportKind) {
  return `${workspaceSlug}_${report.range.since}_${report.range.until}_${kind}.csv`;
}
