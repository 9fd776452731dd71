/**
 * The one place that defines every metric Spendlane shows, from stored facts.
 *
 * Rules (numbers match Ads Manager to the cent or are absent; ADR 0015 and 0020):
 * - additive facts (spend, impressions, clicks, link clicks, conversions, conversion value) are summed
 *   in SQL as numeric, so money is exact; they reach TypeScript as decimal strings (`Sums`) and become
 *   numbers only at the very end, for display and JSON;
 * - ratios are computed from those sums, never averaged from per-row ratios;
 * - a ratio with a zero denominator is null (shown as "—"), never 0 or Infinity;
 * - reach is not additive: it comes from Meta for exactly the range (see reach.ts) or it is null;
 *   frequency = impressions / reach for that same range.
 */

/** Exact sums as Postgres returns them (numeric/bigint as strings). */
export interface Sums {
  spend: string;
  impressions: string;
  clicks: string;
  link_clicks: string;
  conversions: string;
  conversion_value: string;
}

export const ZERO_SUMS: Sums = { spend: "0", impressions: "0", clicks: "0", link_clicks: "0", conversions: "0", conversion_value: "0" };

/** The sums of a query row (which may carry other columns), with SQL nulls (no rows) as zero. */
export function pickSums(r: Sums): Sums {
  return {
    spend: r.spend ?? "0",
    impressions: r.impressions ?? "0",
    clicks: r.clicks ?? "0",
    link_clicks: r.link_clicks ?? "0",
    conversions: r.conversions ?? "0",
    conversion_value: r.conversion_value ?? "0",
  };
}

export interface Metrics {
  spend: number;
  impressions: number;
  clicks: number;
  link_clicks: number;
  /** clicks / impressions x 100 */
  ctr: number | null;
  /** spend / clicks */
  cpc: number | null;
  /** spend / impressions x 1000 */
  cpm: number | null;
  /** null when the rows behind it used different attribution windows (never added up; ADR 0071) */
  conversions: number | null;
  /** spend / conversions */
  cpa: number | null;
  /** null like conversions */
  conversion_value: number | null;
  /** conversion value / spend */
  roas: number | null;
  /** people reached in the range, from Meta; null when not available */
  reach: number | null;
  /** impressions / reach for the same range; null without reach */
  frequency: number | null;
}

export type MetricName = keyof Metrics;

// Labels, kinds and the "a rise is bad" flag are display facts the browser needs too: they live in
// app/utils/format.ts (shared) and are re-exported here so server code has one import.
export { METRICS, METRIC_BY_NAME, type MetricDisplay as MetricDef } from "../../utils/format";

function ratio(num: number, den: number, scale = 1): number | null {
  return den === 0 ? null : (num / den) * scale;
}

/** Derives every metric from exact sums (and, when known, Meta's reach for the same range). */
export function metricsFromSums(s: Sums, reach: number | null = null): Metrics {
  const spend = Number(s.spend);
  const impressions = Number(s.impressions);
  const clicks = Number(s.clicks);
  const conversions = Number(s.conversions);
  const conversionValue = Number(s.conversion_value);
  return {
    spend,
    impressions,
    clicks,
    link_clicks: Number(s.link_clicks),
    ctr: ratio(clicks, impressions, 100),
    cpc: ratio(spend, clicks),
    cpm: ratio(spend, impressions, 1000),
    conversions,
    cpa: ratio(spend, conversions),
    conversion_value: conversionValue,
    roas: ratio(conversionValue, spend),
    reach,
    frequency: reach == null ? null : ratio(impressions, reach),
  };
}

/**
 * The metrics with conversions, their value, CPA and ROAS withheld: for totals over rows fetched with
 * different attribution windows, which Spendlane never adds up (Meta returns no metrics then either).
 */
export function withholdConversions(m: Metrics): Metrics {
  return { ...m, conversions: null, conversion_value: null, cpa: null, roas: null };
}

/** Relative change (0.12 = +12 %); null when there is nothing to compare against. */
export function delta(current: number | null, previous: number | null): number | null {
  if (current == null || previous == null || previous === 0) return null;
  return (current - previous) / Math.abs(previous);
}

/** "1234.5600" -> "1234.56", "0.0000" -> "0": exact decimal text without trailing zeros (CSV, JSON). */
export function trimDecimal(s: string): string {
  if (!s.includes(".")) return s;
  return s.replace(/0+$/, "").replace(/\.$/, "");
}
