/**
 * Date ranges for reports. Insights days are calendar days in the ad account's time zone, so "today"
 * is computed in that zone (a Tokyo account is already on tomorrow while Los Angeles is not), and all
 * further arithmetic is on plain calendar dates (YYYY-MM-DD), which has no DST traps.
 *
 * Presets follow Ads Manager: "last N days" ends yesterday (today is still moving), "this month/quarter"
 * run to today, "last month/quarter" are the whole previous period.
 */
import { TZDate } from "@date-fns/tz";
import { z } from "zod";
import { InputError, fieldErrors } from "../errors";

export const PRESETS = [
  "today",
  "yesterday",
  "last_7d",
  "last_14d",
  "last_28d",
  "last_30d",
  "last_90d",
  "this_month",
  "last_month",
  "this_quarter",
  "last_quarter",
  "custom",
] as const;
export type Preset = (typeof PRESETS)[number];
export const COMPARES = ["previous", "year", "none"] as const;
export type Compare = (typeof COMPARES)[number];

export const PRESET_LABELS: Record<Preset, string> = {
  today: "Today",
  yesterday: "Yesterday",
  last_7d: "Last 7 days",
  last_14d: "Last 14 days",
  last_28d: "Last 28 days",
  last_30d: "Last 30 days",
  last_90d: "Last 90 days",
  this_month: "This month",
  last_month: "Last month",
  this_quarter: "This quarter",
  last_quarter: "Last quarter",
  custom: "Custom",
};

/** Meta keeps at most 37 months of insights; longer custom ranges are refused rather than silently cut. */
export const MAX_RANGE_DAYS = 37 * 31;

export interface DateRange {
  since: string;
  until: string;
}
export interface ResolvedRange extends DateRange {
  preset: Preset;
  compare: Compare;
  /** the comparison period, null for compare=none */
  previous: DateRange | null;
  days: number;
  timezone: string;
}

const ymd = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "Use YYYY-MM-DD")
  .refine(isRealDate, "Not a calendar date");

/** The range part of a dashboard URL: ?range=last_28d&compare=previous, or range=custom&since=..&until=.. */
export const rangeParamsSchema = z
  .object({
    range: z.enum(PRESETS).default("last_28d"),
    compare: z.enum(COMPARES).default("previous"),
    since: ymd.optional(),
    until: ymd.optional(),
  })
  .superRefine((v, ctx) => {
    // since/until without range=custom mean custom: a shared link with only dates still works
    if (v.range !== "custom") return;
    if (!v.since) ctx.addIssue({ code: "custom", path: ["since"], message: "Choose a start date" });
    if (!v.until) ctx.addIssue({ code: "custom", path: ["until"], message: "Choose an end date" });
    if (v.since && v.until && v.since > v.until) ctx.addIssue({ code: "custom", path: ["until"], message: "The end date is before the start date" });
    if (v.since && v.until && daysBetween(v.since, v.until) + 1 > MAX_RANGE_DAYS) {
      ctx.addIssue({ code: "custom", path: ["since"], message: "Ranges are limited to 37 months" });
    }
  });
export type RangeParams = z.infer<typeof rangeParamsSchema>;

/** Parses the range query parameters; bad input is an InputError (400) naming the field. */
export function parseRangeParams(params: URLSearchParams | Record<string, string | undefined>): RangeParams {
  const raw = params instanceof URLSearchParams ? Object.fromEntries(params) : params;
  const input = { ...raw };
  if (!input.range && input.since && input.until) input.range = "custom";
  for (const k of Object.keys(input)) if (input[k] === "") delete input[k];
  const parsed = rangeParamsSchema.safeParse(input);
  if (!parsed.success) throw new InputError("Check the date range", fieldErrors(parsed.error.issues));
  return parsed.data;
}

function isRealDate(s: string) {
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

// Calendar arithmetic on UTC midnights: no time zone, no DST, just dates.
function toUtc(s: string) {
  return Date.UTC(Number(s.slice(0, 4)), Number(s.slice(5, 7)) - 1, Number(s.slice(8, 10)));
}
function fromUtc(ms: number) {
  return new Date(ms).toISOString().slice(0, 10);
}
export function addDays(s: string, n: number) {
  return fromUtc(toUtc(s) + n * 86_400_000);
}
export function daysBetween(a: string, b: string) {
  return Math.round((toUtc(b) - toUtc(a)) / 86_400_000);
}
/** Same calendar day `n` months later (clamped to the month's end: Mar 31 - 1 month = Feb 28/29). */
export function addMonths(s: string, n: number) {
  const y = Number(s.slice(0, 4));
  const m = Number(s.slice(5, 7)) - 1 + n;
  const d = Number(s.slice(8, 10));
  const year = y + Math.floor(m / 12);
  const month = ((m % 12) + 12) % 12;
  const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return fromUtc(Date.UTC(year, month, Math.min(d, last)));
}
/** Every date from since to until inclusive. */
export function eachDay(r: DateRange): string[] {
  const out: string[] = [];
  for (let d = r.since; d <= r.until; d = addDays(d, 1)) out.push(d);
  return out;
}

/** Today's calendar date in `timezone` (an IANA name such as "Asia/Tokyo"). */
export function todayIn(timezone: string, now: Date = new Date()): string {
  const t = new TZDate(now.getTime(), timezone);
  const y = t.getFullYear();
  const m = String(t.getMonth() + 1).padStart(2, "0");
  const d = String(t.getDate()).padStart(2, "0");
  return `${y}-${m}-${d}`;
}

function startOfMonth(s: string) {
  return `${s.slice(0, 7)}-01`;
}
function startOfQuarter(s: string) {
  const m = Number(s.slice(5, 7)) - 1;
  return `${s.slice(0, 4)}-${String(m - (m % 3) + 1).padStart(2, "0")}-01`;
}

/** The dates a preset covers on `today`. */
export function presetRange(preset: Exclude<Preset, "custom">, today: string): DateRange {
  const lastN = (n: number) => ({ since: addDays(today, -n), until: addDays(today, -1) });
  switch (preset) {
    case "today":
      return { since: today, until: today };
    case "yesterday":
      return { since: addDays(today, -1), until: addDays(today, -1) };
    case "last_7d":
      return lastN(7);
    case "last_14d":
      return lastN(14);
    case "last_28d":
      return lastN(28);
    case "last_30d":
      return lastN(30);
    case "last_90d":
      return lastN(90);
    case "this_month":
      return { since: startOfMonth(today), until: today };
    case "last_month": {
      const since = addMonths(startOfMonth(today), -1);
      return { since, until: addDays(startOfMonth(today), -1) };
    }
    case "this_quarter":
      return { since: startOfQuarter(today), until: today };
    case "last_quarter": {
      const since = addMonths(startOfQuarter(today), -3);
      return { since, until: addDays(startOfQuarter(today), -1) };
    }
  }
}

/** The comparison period: the same number of days immediately before, or the same dates a year earlier. */
export function comparisonRange(r: DateRange, compare: Compare): DateRange | null {
  if (compare === "none") return null;
  if (compare === "year") return { since: addMonths(r.since, -12), until: addMonths(r.until, -12) };
  const days = daysBetween(r.since, r.until) + 1;
  return { since: addDays(r.since, -days), until: addDays(r.since, -1) };
}

/** Resolves URL parameters into concrete dates in the account's time zone. */
export function resolveRange(params: RangeParams, timezone: string, now: Date = new Date()): ResolvedRange {
  const r: DateRange = params.range === "custom" ? { since: params.since!, until: params.until! } : presetRange(params.range, todayIn(timezone, now));
  return {
    ...r,
    preset: params.range,
    compare: params.compare,
    previous: comparisonRange(r, params.compare),
    days: daysBetween(r.since, r.until) + 1,
    timezone,
  };
}

/** A stable key for caches and file names. */
export function rangeKey(r: ResolvedRange) {
  return `${r.since}_${r.until}${r.previous ? `_vs_${r.previous.since}_${r.previous.until}` : ""}`;
}
