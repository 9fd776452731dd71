/**
 * Report periods and schedule times.
 *
 * A report's period is a range preset resolved in the ad account's time zone (insights days are that
 * zone's calendar days), like the dashboard's ranges; reports add "last week" (Monday to Sunday) and
 * name "this month" month to date. A schedule fires at an hour in the agency's time zone, weekly on a
 * weekday or monthly on a day of the month (1..28, which every month has).
 */
import { TZDate } from "@date-fns/tz";
import { addDays, presetRange, resolveRange, todayIn, type Compare, type DateRange, type ResolvedRange } from "../reporting/dates";

export const REPORT_PRESETS = ["last_week", "last_month", "month_to_date", "last_7d", "last_28d", "last_30d"] as const;
export type ReportPreset = (typeof REPORT_PRESETS)[number];
export const REPORT_PRESET_LABELS: Record<ReportPreset, string> = {
  last_week: "Last week (Mon–Sun)",
  last_month: "Last month",
  month_to_date: "Month to date",
  last_7d: "Last 7 days",
  last_28d: "Last 28 days",
  last_30d: "Last 30 days",
};

/** ISO weekday of a calendar date: 1 = Monday ... 7 = Sunday. */
export function isoWeekday(ymd: string): number {
  const d = new Date(`${ymd}T00:00:00Z`).getUTCDay();
  return d === 0 ? 7 : d;
}

/** The dates a report preset covers when "today" (in the account's zone) is `today`. */
export function reportPeriod(preset: ReportPreset, today: string): DateRange {
  switch (preset) {
    case "last_week": {
      const thisMonday = addDays(today, 1 - isoWeekday(today));
      return { since: addDays(thisMonday, -7), until: addDays(thisMonday, -1) };
    }
    case "month_to_date":
      return presetRange("this_month", today);
    default:
      return presetRange(preset, today);
  }
}

/** A period as the reporting module's resolved range (custom dates, with the comparison). */
export function periodRange(period: DateRange, compare: Compare, timezone: string): ResolvedRange {
  return resolveRange({ range: "custom", since: period.since, until: period.until, compare }, timezone);
}

/** The period a report of `preset` covers at instant `now`, in `timezone` (the ad account's). */
export function periodAt(preset: ReportPreset, timezone: string, now: Date): DateRange {
  return reportPeriod(preset, todayIn(timezone, now));
}

export interface ScheduleTiming {
  frequency: "weekly" | "monthly";
  weekday: number | null;
  dayOfMonth: number | null;
  hour: number;
}

/** The instant of `hour`:00 on calendar day `ymd` in `timezone` (a DST gap moves it forward, as clocks do). */
function instantAt(ymd: string, hour: number, timezone: string): Date {
  const [y, m, d] = ymd.split("-").map(Number);
  return new Date(new TZDate(y!, m! - 1, d!, hour, 0, 0, timezone).getTime());
}

/**
 * The first firing strictly after `after`: walks calendar days in the agency's zone (at most 62, enough
 * for any monthly day 1..28) and returns the first matching day's hour that lies in the future.
 */
export function nextRunAfter(t: ScheduleTiming, timezone: string, after: Date): Date {
  let day = todayIn(timezone, after);
  for (let i = 0; i < 62; i++, day = addDays(day, 1)) {
    const matches = t.frequency === "weekly" ? isoWeekday(day) === t.weekday : Number(day.slice(8, 10)) === t.dayOfMonth;
    if (!matches) continue;
    const at = instantAt(day, t.hour, timezone);
    if (at.getTime() > after.getTime()) return at;
  }
  throw new Error("No next run found for the schedule");
}

/** Whether a string is an IANA time zone this runtime knows. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
