/**
 * Pacing as the pages show it: a compact line per client and currency for the overview (with a
 * sort), and the workspace card's month series (cumulative spend, the budget's straight line, and
 * the projection from today to the month's end). Read as the user (RLS).
 */
import { asUser } from "../db/connection";
import { eachDay, todayIn } from "../reporting/dates";
import { loadWorkspaceContext } from "../reporting/workspace";
import { loadPacing, type Pacing } from "./pacing";

export interface PacingSummary {
  currency: string;
  status: Pacing["status"];
  ratio: number | null;
  spendToDate: number;
  expectedToDate: number;
  budget: number;
  projected: number;
  today: string;
  elapsedDays: number;
  daysInMonth: number;
  budgetFromDaily: boolean;
}

function summary(p: Pacing): PacingSummary {
  const { currency, status, ratio, spendToDate, expectedToDate, budget, projected, today, elapsedDays, daysInMonth, budgetFromDaily } = p;
  return { currency, status, ratio, spendToDate, expectedToDate, budget, projected, today, elapsedDays, daysInMonth, budgetFromDaily };
}

/** Per workspace id, the pacing of each currency group that has a budget. */
export async function overviewPacing(userId: string, agencyId: string, now = new Date()): Promise<Record<string, PacingSummary[]>> {
  const m = await asUser(userId, (tx) => loadPacing(tx, agencyId, now));
  return Object.fromEntries([...m.entries()].map(([ws, list]) => [ws, list.map(summary)]));
}

/**
 * Sorts overview rows by pacing (spend to date / expected). Like the other metric sorts it compares
 * within one currency: clients are grouped by the currency of their first pacing line; clients
 * without a budget come last either way.
 */
export function sortByPacing<T extends { id: string; name: string }>(rows: T[], pacing: Record<string, PacingSummary[]>, dir: "asc" | "desc"): T[] {
  const sign = dir === "asc" ? 1 : -1;
  const first = (r: T) => pacing[r.id]?.[0];
  return [...rows].sort((a, b) => {
    const pa = first(a);
    const pb = first(b);
    if (!pa?.ratio || !pb?.ratio) return !pa?.ratio ? (!pb?.ratio ? a.name.localeCompare(b.name) : 1) : -1;
    if (pa.currency !== pb.currency) return pa.currency < pb.currency ? -1 : 1;
    return sign * (pa.ratio - pb.ratio) || a.name.localeCompare(b.name);
  });
}

export interface PacingCardData extends PacingSummary {
  /** one point per day of the month: cumulative actual spend (to today), the budget line, the projection (from today) */
  series: { date: string; actual: number | null; budget: number; projected: number | null }[];
}

/** The workspace card: pacing per currency group with the month's cumulative series. */
export async function workspacePacing(userId: string, agencyId: string, workspaceId: string, now = new Date()): Promise<PacingCardData[]> {
  return asUser(userId, async (tx) => {
    const pacing = (await loadPacing(tx, agencyId, now, [workspaceId])).get(workspaceId) ?? [];
    const out: PacingCardData[] = [];
    for (const p of pacing) {
      const days = await tx<{ date: string; spend: string }[]>`
        select r.date::text as date, sum(r.spend)::text as spend
        from public.insights_daily_rollup r join public.ad_accounts a on a.id = r.ad_account_id
        where r.workspace_id = ${workspaceId} and a.currency = ${p.currency} and r.date between ${p.monthStart}::date and ${p.today}::date
        group by r.date`;
      const byDay = new Map(days.map((d) => [d.date, Number(d.spend)]));
      const perDay = p.elapsedDays > 0 ? p.spendToDate / p.elapsedDays : 0;
      let cumulative = 0;
      const series = eachDay({ since: p.monthStart, until: p.monthEnd }).map((date, i) => {
        const dayNo = i + 1;
        const budget = Math.round(((p.budget * dayNo) / p.daysInMonth) * 100) / 100;
        if (date <= p.today) cumulative += byDay.get(date) ?? 0;
        const actual = date <= p.today ? Math.round(cumulative * 100) / 100 : null;
        // the projection starts at today's actual and reaches `projected` on the last day
        const projected = date >= p.today ? Math.round((p.spendToDate + perDay * (dayNo - p.elapsedDays)) * 100) / 100 : null;
        return { date, actual, budget, projected: date === p.today ? actual : projected };
      });
      out.push({ ...summary(p), series });
    }
    return out;
  });
}

/** The workspace's currencies (one per group, in first-seen order) with today in each group's zone, for the target form. */
export async function currenciesOf(userId: string, workspaceId: string): Promise<{ currency: string; today: string }[]> {
  const ctx = await asUser(userId, (tx) => loadWorkspaceContext(tx, workspaceId));
  const groups = new Map<string, string>();
  for (const a of ctx.accounts) if (!groups.has(a.currency)) groups.set(a.currency, a.timezone_name);
  return [...groups.entries()].map(([currency, timezone]) => ({ currency, today: todayIn(timezone) }));
}
