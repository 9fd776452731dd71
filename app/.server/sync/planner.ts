/**
 * What to read from Meta, as day ranges in the ad account's time zone. Pure functions (no I/O, no
 * Node APIs) shared by the Node worker and the Deno edge function.
 *
 * Days are calendar dates ("YYYY-MM-DD") in the account's zone: Meta reports insights per account
 * day, so "today" for a Tokyo account starts 17 hours before it does for a Los Angeles one.
 */
import { TZDate } from "@date-fns/tz";
import { format, subMonths } from "date-fns";

export type SyncKind = "backfill" | "incremental" | "restatement" | "manual" | "full" | "conversions";

export interface DayRange {
  since: string;
  until: string;
}

/** Meta keeps crediting conversions for 28 days; older days are final. */
export const RESTATEMENT_DAYS = 28;
/** Meta refuses ranges that start more than 37 months ago. */
export const MAX_HISTORY_MONTHS = 37;
/** Backfill chunk: one async report per 30 days x all campaigns x platforms (a few thousand rows). */
export const BACKFILL_CHUNK_DAYS = 30;
/** Ranges up to this many days are read with plain paged GETs; longer ones with async report runs. */
export const SYNC_READ_MAX_DAYS = 7;

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;
const MS_DAY = 86_400_000;

export function assertDay(d: string, name = "date"): string {
  if (!DAY_RE.test(d) || Number.isNaN(Date.parse(`${d}T00:00:00Z`)) || new Date(`${d}T00:00:00Z`).toISOString().slice(0, 10) !== d) {
    throw new Error(`${name} must be a date as YYYY-MM-DD (got ${JSON.stringify(d).slice(0, 30)})`);
  }
  return d;
}

/** Calendar arithmetic on date strings (UTC midnight, so no daylight-saving surprises). */
export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * MS_DAY).toISOString().slice(0, 10);
}

export function daysBetween(since: string, until: string): number {
  return Math.round((Date.parse(`${until}T00:00:00Z`) - Date.parse(`${since}T00:00:00Z`)) / MS_DAY) + 1;
}

/** Today's date in the ad account's time zone. */
export function accountToday(timeZone: string, now: Date = new Date()): string {
  return format(new TZDate(now.getTime(), timeZone), "yyyy-MM-dd");
}

/** The first day of a backfill of `months` months ending today (clamped to Meta's 37-month limit). */
export function backfillStart(today: string, months: number): string {
  const m = Math.min(Math.max(1, Math.trunc(months)), MAX_HISTORY_MONTHS);
  const start = format(subMonths(new TZDate(`${today}T12:00:00`, "UTC"), m), "yyyy-MM-dd");
  // At exactly 37 months Meta's boundary check is inclusive of the current time of day; one day of
  // margin keeps the oldest chunk from failing with code 3018.
  return m === MAX_HISTORY_MONTHS ? addDays(start, 1) : start;
}

/** Splits [since, until] into chunks of at most `size` days, newest first. */
export function chunksNewestFirst(range: DayRange, size: number): DayRange[] {
  const out: DayRange[] = [];
  let until = range.until;
  while (until >= range.since) {
    const since = addDays(until, -(size - 1));
    out.push({ since: since < range.since ? range.since : since, until });
    until = addDays(until, -size);
  }
  return out;
}

/** Splits a range in two halves (older half first is irrelevant: results are merged). */
export function splitRange(r: DayRange): [DayRange, DayRange] {
  const n = daysBetween(r.since, r.until);
  if (n < 2) throw new Error("cannot split a single day");
  const mid = addDays(r.since, Math.floor(n / 2) - 1);
  return [
    { since: r.since, until: mid },
    { since: addDays(mid, 1), until: r.until },
  ];
}

export interface PlanInput {
  kind: SyncKind;
  timeZone: string;
  now: Date;
  backfillMonths: number;
  /** oldest day already stored by earlier backfills, if any */
  backfilledSince?: string | null;
  /** explicit start (CLI --since); overrides the kind's default start */
  since?: string;
}

export interface SyncPlan {
  kind: SyncKind;
  today: string;
  range: DayRange;
  chunks: DayRange[];
  /** backfill-type runs advance ad_accounts.backfilled_since as chunks commit */
  advancesBackfill: boolean;
}

/**
 * The ranges a run reads, newest first so dashboards fill from the most recent days.
 * - backfill: the whole history window (what earlier backfills stored is skipped), 30-day chunks;
 * - full: the whole window again, ignoring what is stored (CLI --full);
 * - incremental / manual: today and yesterday;
 * - restatement: the last 28 days, in one chunk (Meta keeps changing them);
 * - conversions: the stored range again, conversion fields only (the attribution choice changed).
 */
export function planSync(p: PlanInput): SyncPlan {
  const today = accountToday(p.timeZone, p.now);
  const oldest = backfillStart(today, p.backfillMonths);
  if (p.since) {
    assertDay(p.since, "since");
    if (p.since > today) throw new Error(`since (${p.since}) is after today in the account's time zone (${today})`);
  }
  const start = (d: string) => (p.since ? (p.since < oldest ? oldest : p.since) : d);
  switch (p.kind) {
    case "backfill":
    case "full": {
      let until = today;
      if (p.kind === "backfill" && p.backfilledSince && !p.since) {
        // Only the part not stored yet; the recent days are kept fresh by incremental and restatement passes.
        until = addDays(p.backfilledSince, -1);
      }
      const range = { since: start(oldest), until };
      return { kind: p.kind, today, range, chunks: range.until < range.since ? [] : chunksNewestFirst(range, BACKFILL_CHUNK_DAYS), advancesBackfill: true };
    }
    case "restatement": {
      const range = { since: start(addDays(today, -(RESTATEMENT_DAYS - 1))), until: today };
      return { kind: p.kind, today, range, chunks: chunksNewestFirst(range, RESTATEMENT_DAYS), advancesBackfill: false };
    }
    case "conversions": {
      // Re-reads the conversions of everything stored (the attribution choice changed), 30-day chunks.
      const range = { since: start(p.backfilledSince && p.backfilledSince > oldest ? p.backfilledSince : oldest), until: today };
      return { kind: p.kind, today, range, chunks: chunksNewestFirst(range, BACKFILL_CHUNK_DAYS), advancesBackfill: false };
    }
    case "incremental":
    case "manual": {
      const range = { since: start(addDays(today, -1)), until: today };
      return { kind: p.kind, today, range, chunks: chunksNewestFirst(range, p.since ? BACKFILL_CHUNK_DAYS : 2), advancesBackfill: false };
    }
  }
}
