/**
 * The alert rules: names, defaults and the pure checks that turn figures into conditions. The
 * evaluator (evaluate.ts) gathers the figures and reconciles conditions with stored alerts. Every
 * message names the client, the subject and the figures, and every condition carries a link to the
 * page where someone can act (ADR 0100).
 */
import { currencyDigits } from "./pacing";

export const RULES = [
  "spend_anomaly",
  "cpa_above_target",
  "roas_below_target",
  "projected_overspend",
  "projected_underspend",
  "zero_delivery",
  "connection_reauth",
  "connection_expiring",
  "sync_failing",
  "account_disabled",
] as const;
export type Rule = (typeof RULES)[number];

export const RULE_LABELS: Record<Rule, string> = {
  spend_anomaly: "Spend anomaly",
  cpa_above_target: "CPA above target",
  roas_below_target: "ROAS below target",
  projected_overspend: "Projected overspend",
  projected_underspend: "Projected underspend",
  zero_delivery: "Zero delivery",
  connection_reauth: "Meta connection needs re-authorisation",
  connection_expiring: "Meta token expiring",
  sync_failing: "Syncs failing",
  account_disabled: "Ad account disabled",
};

/** Budget alerts: the only ones a client viewer may get, and only when the agency opts them in. */
export const BUDGET_RULES: Rule[] = ["projected_overspend", "projected_underspend"];

/** Email default per rule when a user has not chosen: breakages now, performance in the digest. */
export const DEFAULT_DELIVERY: Record<Rule, "immediate" | "digest"> = {
  spend_anomaly: "immediate",
  cpa_above_target: "digest",
  roas_below_target: "digest",
  projected_overspend: "digest",
  projected_underspend: "digest",
  zero_delivery: "immediate",
  connection_reauth: "immediate",
  connection_expiring: "digest",
  sync_failing: "immediate",
  account_disabled: "immediate",
};

/** A condition that holds now: at most one open alert exists per (workspace, rule, subject). */
export interface Condition {
  rule: Rule;
  subject: string;
  subjectLabel: string;
  message: string;
  link: string;
  day: string | null;
  details: Record<string, unknown>;
}

// ------------------------------------------------------------------------------ thresholds

/** Robust z: a day is anomalous beyond median +- max(3 x 1.4826 x MAD, 50 % of the median). */
export const ANOMALY_MADS = 3;
export const ANOMALY_MIN_RELATIVE = 0.5;
export const ANOMALY_BASELINE_DAYS = 14;
/** Default minimum spend for anomalies: 50 major units, x100 for currencies without minor units (JPY). */
export function defaultAnomalyMinSpend(currency: string): number {
  return currencyDigits(currency) === 0 ? 5000 : 50;
}
/** Zero delivery is only judged once this much of the account's day has passed (Meta reports late). */
export const ZERO_DELIVERY_AFTER_HOURS = 4;
/** Projections are too noisy before this many days of the month have passed. */
export const PROJECTION_MIN_DAYS = 2;
export const SYNC_FAILING_AFTER_MS = 60 * 60_000;
export const TOKEN_EXPIRY_WARNING_MS = 7 * 24 * 60 * 60_000;

/** Meta's account_status values that stop delivery (reference: Ad Account fields). */
export const BLOCKING_ACCOUNT_STATUS: Record<number, string> = {
  2: "disabled",
  3: "unsettled (payment due)",
  7: "pending risk review",
  8: "pending settlement",
  100: "pending closure",
  101: "closed",
};

// ------------------------------------------------------------------------------ statistics

export function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Median absolute deviation (unscaled). */
export function mad(xs: number[]): number {
  const m = median(xs);
  return median(xs.map((x) => Math.abs(x - m)));
}

export interface AnomalyVerdict {
  direction: "spike" | "drop";
  median: number;
  mad: number;
  band: number;
}

/**
 * Judges a day's spend against a baseline of earlier complete days. `partial` days (today) are only
 * judged for spikes: a day still running is always below a full day.
 */
export function judgeSpend(spend: number, baseline: number[], minSpend: number, partial: boolean): AnomalyVerdict | null {
  if (baseline.length < 7) return null; // not enough history to know what is normal
  const m = median(baseline);
  const d = mad(baseline);
  const band = Math.max(ANOMALY_MADS * 1.4826 * d, ANOMALY_MIN_RELATIVE * m);
  if (spend >= minSpend && spend > m + band) return { direction: "spike", median: m, mad: d, band };
  if (!partial && m >= minSpend && spend < m - band) return { direction: "drop", median: m, mad: d, band };
  return null;
}

// ------------------------------------------------------------------------------ formatting

export function money(amount: number, currency: string): string {
  const digits = currencyDigits(currency);
  return new Intl.NumberFormat("en-US", { style: "currency", currency, minimumFractionDigits: digits, maximumFractionDigits: digits }).format(amount);
}

export function pct(x: number): string {
  return `${(x * 100).toFixed(0)} %`;
}

/** The workspace dashboard showing one day (where a spend question is answered). */
export function dayLink(agencySlug: string, workspaceSlug: string, day: string, accountId?: string): string {
  const q = new URLSearchParams({ range: "custom", since: day, until: day });
  if (accountId) q.set("account", accountId);
  return `/a/${agencySlug}/w/${workspaceSlug}?${q}`;
}

export function rangeLink(agencySlug: string, workspaceSlug: string, since: string, until: string): string {
  return `/a/${agencySlug}/w/${workspaceSlug}?${new URLSearchParams({ range: "custom", since, until })}`;
}
