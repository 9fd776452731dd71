/**
 * Display formatting shared by server and browser (the same output on both, so hydration matches):
 * money through Intl.NumberFormat per currency (JPY has no minor unit, so no decimals), compact
 * figures where space is tight, and "—" for a value that does not exist (a ratio with a zero
 * denominator, reach that Meta did not give). Also the display definitions of the metrics (label,
 * kind, whether a rise is bad), which both the page and the reporting module read.
 */

export type MetricKind = "money" | "count" | "percent" | "ratio";
export type MetricKey =
  "spend" | "impressions" | "reach" | "frequency" | "clicks" | "link_clicks" | "ctr" | "cpc" | "cpm" | "conversions" | "cpa" | "conversion_value" | "roas";

export interface MetricDisplay {
  name: MetricKey;
  label: string;
  kind: MetricKind;
  /** a rise is bad news (cost metrics): deltas are coloured inverted */
  inverted: boolean;
  /** summed across rows; ratios and reach are derived */
  additive: boolean;
}

export const METRICS: readonly MetricDisplay[] = [
  { name: "spend", label: "Spend", kind: "money", inverted: false, additive: true },
  { name: "impressions", label: "Impressions", kind: "count", inverted: false, additive: true },
  { name: "reach", label: "Reach", kind: "count", inverted: false, additive: false },
  { name: "frequency", label: "Frequency", kind: "ratio", inverted: false, additive: false },
  { name: "clicks", label: "Clicks", kind: "count", inverted: false, additive: true },
  { name: "link_clicks", label: "Link clicks", kind: "count", inverted: false, additive: true },
  { name: "ctr", label: "CTR", kind: "percent", inverted: false, additive: false },
  { name: "cpc", label: "CPC", kind: "money", inverted: true, additive: false },
  { name: "cpm", label: "CPM", kind: "money", inverted: true, additive: false },
  { name: "conversions", label: "Conversions", kind: "count", inverted: false, additive: true },
  { name: "cpa", label: "CPA", kind: "money", inverted: true, additive: false },
  { name: "conversion_value", label: "Conv. value", kind: "money", inverted: false, additive: true },
  { name: "roas", label: "ROAS", kind: "ratio", inverted: false, additive: false },
];
export const METRIC_BY_NAME = Object.fromEntries(METRICS.map((m) => [m.name, m])) as Record<MetricKey, MetricDisplay>;

export const EMPTY = "—";
const LOCALE = "en-US";

const formatters = new Map<string, Intl.NumberFormat>();
function nf(key: string, make: () => Intl.NumberFormat) {
  let f = formatters.get(key);
  if (!f) formatters.set(key, (f = make()));
  return f;
}

/** Money in its own currency: "$1,234.56", "¥123,457", compact "$1.2K". */
export function formatMoney(value: number | null | undefined, currency: string, opts: { compact?: boolean } = {}): string {
  if (value == null || !Number.isFinite(value)) return EMPTY;
  const f = nf(
    `m:${currency}:${opts.compact ? 1 : 0}`,
    () =>
      new Intl.NumberFormat(LOCALE, {
        style: "currency",
        currency,
        ...(opts.compact ? { notation: "compact", maximumFractionDigits: 1 } : {}),
      }),
  );
  return f.format(value);
}

/** Unit price metrics (CPC, CPA, CPM) keep the currency's decimals even when small: "$0.42", "¥38". */
export function formatCount(value: number | null | undefined, opts: { compact?: boolean } = {}): string {
  if (value == null || !Number.isFinite(value)) return EMPTY;
  const f = nf(
    `c:${opts.compact ? 1 : 0}`,
    () => new Intl.NumberFormat(LOCALE, opts.compact ? { notation: "compact", maximumFractionDigits: 1 } : { maximumFractionDigits: 2 }),
  );
  return f.format(value);
}

/** A value already in percent units (CTR 1.85 -> "1.85%"). */
export function formatPercent(value: number | null | undefined): string {
  if (value == null || !Number.isFinite(value)) return EMPTY;
  return `${nf("p", () => new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 2, maximumFractionDigits: 2 })).format(value)}%`;
}

/** ROAS and frequency: "3.42×" / "1.87". */
export function formatRatio(value: number | null | undefined, suffix = ""): string {
  if (value == null || !Number.isFinite(value)) return EMPTY;
  return `${nf("r", () => new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 2, maximumFractionDigits: 2 })).format(value)}${suffix}`;
}

export function formatMetric(name: MetricKey, value: number | null | undefined, currency: string, opts: { compact?: boolean } = {}): string {
  const def = METRIC_BY_NAME[name];
  switch (def.kind) {
    case "money":
      return formatMoney(value, currency, opts);
    case "count":
      return formatCount(value, opts);
    case "percent":
      return formatPercent(value);
    case "ratio":
      return formatRatio(value, name === "roas" ? "×" : "");
  }
}

/** A relative change: 0.123 -> "+12.3%"; null -> "—". */
export function formatDelta(d: number | null | undefined): string {
  if (d == null || !Number.isFinite(d)) return EMPTY;
  const pct = d * 100;
  const digits = Math.abs(pct) < 10 ? 1 : 0;
  const s = nf(`d${digits}`, () => new Intl.NumberFormat(LOCALE, { maximumFractionDigits: digits })).format(Math.abs(pct));
  if (s === "0") return "0%";
  return `${pct > 0 ? "+" : "−"}${s}%`;
}

/** good / bad / flat for colouring a delta; cost metrics (inverted) are good when they fall. */
export function deltaTone(d: number | null | undefined, inverted: boolean): "good" | "bad" | "flat" {
  if (d == null || !Number.isFinite(d) || Math.abs(d) < 0.0005) return "flat";
  return d > 0 !== inverted ? "good" : "bad";
}

const dateFmt = new Intl.DateTimeFormat(LOCALE, { month: "short", day: "numeric", year: "numeric", timeZone: "UTC" });
const shortDateFmt = new Intl.DateTimeFormat(LOCALE, { month: "short", day: "numeric", timeZone: "UTC" });

/** "2026-10-01" -> "Oct 1, 2026" (calendar dates carry no time zone: formatted as UTC). */
export function formatDate(ymd: string, opts: { short?: boolean } = {}): string {
  return (opts.short ? shortDateFmt : dateFmt).format(new Date(`${ymd}T00:00:00Z`));
}

const dayFmt = new Intl.DateTimeFormat(LOCALE, { weekday: "short", month: "short", day: "numeric", timeZone: "UTC" });

/** "2026-11-15" -> "Sun, Nov 15": a chart day people can read without counting. */
export function formatDay(ymd: string): string {
  return dayFmt.format(new Date(`${ymd}T00:00:00Z`));
}

export function formatDateRange(since: string, until: string): string {
  if (since === until) return formatDate(since);
  if (since.slice(0, 4) === until.slice(0, 4)) return `${formatDate(since, { short: true })} – ${formatDate(until)}`;
  return `${formatDate(since)} – ${formatDate(until)}`;
}

/** "3 min ago", "2 h ago", "Oct 3, 2026"; relative to `now` (passed in so server and browser agree). */
export function formatRelativeTime(iso: string | null | undefined, now: number): string {
  if (!iso) return "never";
  // Postgres text ("2026-10-05 11:57:00.12+00") -> ISO 8601
  const t = Date.parse(iso.replace(" ", "T").replace(/([+-]\d\d)$/, "$1:00"));
  if (Number.isNaN(t)) return EMPTY;
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  if (s < 7 * 86_400) return `${Math.floor(s / 86_400)} d ago`;
  return dateFmt.format(new Date(t));
}
