/**
 * Budget pacing of a client workspace, per currency group (ADR 0100).
 *
 * Model: linear by day in the ad account's time zone. The month's budget is spread evenly over its
 * calendar days; by now the workspace "should" have spent
 *
 *     expected = budget x (completed days + elapsed share of today) / days in month
 *
 * where the elapsed share of today is measured in real time against the real length of the local
 * day (23 or 25 hours on a daylight-saving change). The projection continues the month's run rate:
 *
 *     projected = spend to date / (completed days + elapsed share of today) x days in month
 *
 * Status: on track within +-10 % of the expected spend, else under or over. Month-to-date spend is
 * an exact numeric sum in SQL (the rollup the dashboard reads); expected and projected are rounded
 * to the currency's minor unit (cents, whole yen). Currencies are never mixed: one line per group.
 */
import { TZDate } from "@date-fns/tz";
import type { Tx } from "../db/connection";
import { addDays, todayIn } from "../reporting/dates";

export type PacingStatus = "on_track" | "under" | "over";

/** Pacing status band: within this share of the expected spend is "on track". */
export const ON_TRACK_BAND = 0.1;

export interface PacingInput {
  currency: string;
  timezone: string;
  now: Date;
  /** monthly budget (major units) in force today; null falls back to daily budget x days */
  monthlyBudget: string | null;
  dailyBudget: string | null;
  /** exact month-to-date spend, today included (major units, decimal text) */
  spendToDate: string;
}

export interface Pacing {
  currency: string;
  timezone: string;
  /** the account-local calendar day "now" falls on, and the month it belongs to */
  today: string;
  monthStart: string;
  monthEnd: string;
  daysInMonth: number;
  /** completed days + elapsed share of today, e.g. 12.5 */
  elapsedDays: number;
  budget: number;
  /** whether the budget came from the daily budget (x days in month) */
  budgetFromDaily: boolean;
  spendToDate: number;
  expectedToDate: number;
  projected: number;
  /** spend to date / expected to date (1 = exactly on pace) */
  ratio: number | null;
  status: PacingStatus | null;
}

/** Minor-unit digits of a currency (USD 2, JPY 0), from the platform's ISO 4217 data. */
export function currencyDigits(currency: string): number {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

function roundTo(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** The instant a local calendar day starts in `timezone` (ms since the epoch). */
export function localMidnight(day: string, timezone: string): number {
  return new TZDate(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10)), 0, 0, 0, 0, timezone).getTime();
}

/** Share of the local day `day` that has passed at `now` (0..1), against the day's real length. */
export function elapsedShareOfDay(day: string, timezone: string, now: Date): number {
  const start = localMidnight(day, timezone);
  const end = localMidnight(addDays(day, 1), timezone);
  return Math.min(1, Math.max(0, (now.getTime() - start) / (end - start)));
}

export function monthBounds(today: string): { monthStart: string; monthEnd: string; daysInMonth: number } {
  const y = Number(today.slice(0, 4));
  const m = Number(today.slice(5, 7));
  const daysInMonth = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return { monthStart: `${today.slice(0, 7)}-01`, monthEnd: `${today.slice(0, 7)}-${String(daysInMonth).padStart(2, "0")}`, daysInMonth };
}

/** Pacing for one currency group, or null when neither a monthly nor a daily budget is set. */
export function computePacing(input: PacingInput): Pacing | null {
  const { monthStart, monthEnd, daysInMonth } = monthBounds(todayIn(input.timezone, input.now));
  const today = todayIn(input.timezone, input.now);
  const digits = currencyDigits(input.currency);
  const budgetFromDaily = input.monthlyBudget == null && input.dailyBudget != null;
  const budget = input.monthlyBudget != null ? Number(input.monthlyBudget) : input.dailyBudget != null ? Number(input.dailyBudget) * daysInMonth : null;
  if (budget == null || !(budget > 0)) return null;
  const completed = Number(today.slice(8, 10)) - 1;
  const elapsedDays = completed + elapsedShareOfDay(today, input.timezone, input.now);
  const spendToDate = Number(input.spendToDate);
  const expectedRaw = (budget * elapsedDays) / daysInMonth;
  const ratio = expectedRaw > 0 ? spendToDate / expectedRaw : null;
  const projected = elapsedDays > 0 ? (spendToDate / elapsedDays) * daysInMonth : spendToDate;
  const status: PacingStatus | null = ratio == null ? null : ratio > 1 + ON_TRACK_BAND ? "over" : ratio < 1 - ON_TRACK_BAND ? "under" : "on_track";
  return {
    currency: input.currency,
    timezone: input.timezone,
    today,
    monthStart,
    monthEnd,
    daysInMonth,
    elapsedDays,
    budget: roundTo(budget, digits),
    budgetFromDaily,
    spendToDate: roundTo(spendToDate, 4),
    expectedToDate: roundTo(expectedRaw, digits),
    projected: roundTo(projected, digits),
    ratio,
    status,
  };
}

export interface PacingRow {
  workspace_id: string;
  currency: string;
  timezone: string;
  spend_to_date: string;
  monthly_budget: string | null;
  daily_budget: string | null;
  target_cpa: string | null;
  target_roas: string | null;
  anomaly_min_spend: string | null;
}

/**
 * Month-to-date spend and the targets in force, per workspace x currency group, for every workspace
 * of the agency the caller may see (or the listed ones). One statement for any number of clients.
 * Each account's month and today are its own time zone's; the group's zone is its oldest account's
 * (the one the dashboard resolves presets in).
 */
export async function loadPacingRows(tx: Tx, agencyId: string, now: Date, workspaceIds: string[] | null = null): Promise<PacingRow[]> {
  return tx<PacingRow[]>`
    with acc as (
      select a.id, a.workspace_id, a.currency, a.timezone_name, a.created_at, a.meta_account_id,
             (${now.toISOString()}::timestamptz at time zone a.timezone_name)::date as today,
             -- the month's first day as a column of its own, so that the rollup's primary key bounds the
             -- scan on both sides (an expression of acc.today left the lower bound a per-row filter)
             date_trunc('month', ${now.toISOString()}::timestamptz at time zone a.timezone_name)::date as month_start
      from public.ad_accounts a
      where a.agency_id = ${agencyId} and (${workspaceIds === null} or a.workspace_id = any(${workspaceIds ?? []}::uuid[]))
    ), grp as (
      select workspace_id, currency, (array_agg(timezone_name order by created_at, meta_account_id))[1] as tz
      from acc group by workspace_id, currency
    ), mtd as (
      select acc.workspace_id, acc.currency, sum(r.spend) as spend
      from acc join public.insights_daily_rollup r
        on r.ad_account_id = acc.id and r.date between acc.month_start and acc.today
      group by acc.workspace_id, acc.currency
    )
    select g.workspace_id, g.currency, g.tz as timezone, coalesce(mtd.spend, 0)::text as spend_to_date,
           t.monthly_budget::text, t.daily_budget::text, t.target_cpa::text, t.target_roas::text, t.anomaly_min_spend::text
    from grp g
    left join mtd on mtd.workspace_id = g.workspace_id and mtd.currency = g.currency
    left join lateral (
      select x.monthly_budget, x.daily_budget, x.target_cpa, x.target_roas, x.anomaly_min_spend
      from public.workspace_targets x
      where x.workspace_id = g.workspace_id and x.currency = g.currency
        and x.effective_from <= (${now.toISOString()}::timestamptz at time zone g.tz)::date
      order by x.effective_from desc limit 1
    ) t on true
    order by g.workspace_id, g.currency`;
}

/** Pacing per workspace id, one entry per currency group that has a budget. */
export async function loadPacing(tx: Tx, agencyId: string, now: Date, workspaceIds: string[] | null = null): Promise<Map<string, Pacing[]>> {
  const out = new Map<string, Pacing[]>();
  for (const r of await loadPacingRows(tx, agencyId, now, workspaceIds)) {
    const p = computePacing({
      currency: r.currency,
      timezone: r.timezone,
      now,
      monthlyBudget: r.monthly_budget,
      dailyBudget: r.daily_budget,
      spendToDate: r.spend_to_date,
    });
    if (!p) continue;
    const list = out.get(r.workspace_id) ?? [];
    list.push(p);
    out.set(r.workspace_id, list);
  }
  return out;
}
