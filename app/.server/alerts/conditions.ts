/**
 * Gathers the figures of one client workspace and returns the alert conditions that hold now.
 * Reads only (inside the evaluator's service transaction). CPA and ROAS come from the reporting
 * module the dashboard uses (computeReport), so they follow its conversion and attribution rules.
 */
import type { Tx } from "../db/connection";
import { addDays, todayIn, daysBetween, type ResolvedRange } from "../reporting/dates";
import { computeReport, loadWorkspaceContext } from "../reporting/workspace";
import { computePacing, elapsedShareOfDay, loadPacingRows, localMidnight } from "./pacing";
import {
  ANOMALY_BASELINE_DAYS,
  BLOCKING_ACCOUNT_STATUS,
  PROJECTION_MIN_DAYS,
  SYNC_FAILING_AFTER_MS,
  TOKEN_EXPIRY_WARNING_MS,
  ZERO_DELIVERY_AFTER_HOURS,
  dayLink,
  defaultAnomalyMinSpend,
  judgeSpend,
  money,
  pct,
  rangeLink,
  type Condition,
} from "./rules";

export interface WorkspaceRef {
  workspaceId: string;
  workspaceSlug: string;
  workspaceName: string;
  agencyId: string;
  agencySlug: string;
}

export interface AlertSettings {
  viewersGetBudgetAlerts: boolean;
  pacingAlertPct: number;
  targetWindowDays: number;
}

export async function loadSettings(tx: Tx, agencyId: string): Promise<AlertSettings> {
  const [s] = await tx<{ viewers_get_budget_alerts: boolean; pacing_alert_pct: string; target_window_days: number }[]>`
    select viewers_get_budget_alerts, pacing_alert_pct::text, target_window_days from public.agency_alert_settings where agency_id = ${agencyId}`;
  return {
    viewersGetBudgetAlerts: s?.viewers_get_budget_alerts ?? false,
    pacingAlertPct: Number(s?.pacing_alert_pct ?? 10),
    targetWindowDays: s?.target_window_days ?? 3,
  };
}

interface AccountRow {
  id: string;
  name: string;
  meta_account_id: string;
  currency: string;
  timezone_name: string;
  account_status: number | null;
  sync_status: string;
  sync_error: string | null;
  last_synced_at: Date | null;
  last_success: Date | null;
  first_failure: Date | null;
}

export interface Conditions {
  conditions: Condition[];
  /**
   * "rule|subject" prefixes that could not be judged now (the stored data is older than the day it
   * would judge): their open alerts stay as they are instead of resolving on a stale read.
   */
  undetermined: string[];
}

/** Every condition of the workspace at `now` (the clock of the data: "today" in each account's zone). */
export async function workspaceConditions(tx: Tx, ws: WorkspaceRef, now: Date): Promise<Conditions> {
  const out: Condition[] = [];
  const undetermined: string[] = [];
  const settings = await loadSettings(tx, ws.agencyId);
  const connectionsLink = `/a/${ws.agencySlug}/w/${ws.workspaceSlug}/connections`;

  // ---- Meta connections: re-authorisation and expiry
  const connections = await tx<
    { id: string; status: string; status_reason: string | null; token_expires_at: Date | null; facebook_user_name: string | null }[]
  >`
    select id, status, status_reason, token_expires_at, facebook_user_name from public.meta_connections
    where workspace_id = ${ws.workspaceId} and status <> 'disconnected'`;
  for (const c of connections) {
    const label = `Meta connection${c.facebook_user_name ? ` of ${c.facebook_user_name}` : ""}`;
    if (c.status === "needs_reauth") {
      out.push({
        rule: "connection_reauth",
        subject: `connection:${c.id}`,
        subjectLabel: label,
        link: connectionsLink,
        day: null,
        details: {},
        message: `${ws.workspaceName}: the ${label} needs to be re-authorised; syncing has stopped until someone reconnects it.${c.status_reason ? ` Meta said: ${c.status_reason}` : ""}`,
      });
    } else if (c.token_expires_at && c.token_expires_at.getTime() - now.getTime() <= TOKEN_EXPIRY_WARNING_MS) {
      const expired = c.token_expires_at.getTime() <= now.getTime();
      out.push({
        rule: "connection_expiring",
        subject: `connection:${c.id}`,
        subjectLabel: label,
        link: connectionsLink,
        day: null,
        details: { expiresAt: c.token_expires_at.toISOString() },
        message: expired
          ? `${ws.workspaceName}: the token of the ${label} expired on ${c.token_expires_at.toISOString().slice(0, 16).replace("T", " ")} UTC; reconnect it to keep syncing.`
          : `${ws.workspaceName}: the token of the ${label} expires on ${c.token_expires_at.toISOString().slice(0, 16).replace("T", " ")} UTC; reconnect it before then.`,
      });
    }
  }

  // ---- ad accounts: disabled by Meta, syncs failing for more than an hour
  const accounts = await tx<AccountRow[]>`
    select a.id, a.name, a.meta_account_id, a.currency, a.timezone_name, a.account_status, a.sync_status, a.sync_error,
           a.last_synced_at, s.last_success, f.first_failure
    from public.ad_accounts a
    left join lateral (select max(coalesce(r.finished_at, r.created_at)) as last_success from public.sync_runs r
                       where r.ad_account_id = a.id and r.status = 'succeeded') s on true
    -- failed runs, and runs Meta made us pause (queued again with an error), since the last success
    left join lateral (select min(coalesce(r.started_at, r.created_at)) as first_failure from public.sync_runs r
                       where r.ad_account_id = a.id and (r.status = 'failed' or (r.status = 'queued' and r.error is not null))
                         and coalesce(r.started_at, r.created_at) > coalesce(s.last_success, '-infinity'::timestamptz)) f on true
    where a.workspace_id = ${ws.workspaceId}
    order by a.created_at, a.meta_account_id`;
  for (const a of accounts) {
    const label = `${a.name} (${a.meta_account_id})`;
    const blocked = a.account_status == null ? undefined : BLOCKING_ACCOUNT_STATUS[a.account_status];
    if (blocked) {
      out.push({
        rule: "account_disabled",
        subject: `account:${a.id}`,
        subjectLabel: label,
        link: connectionsLink,
        day: null,
        details: { accountStatus: a.account_status },
        message: `${ws.workspaceName}: Meta reports ad account ${label} as ${blocked}; its ads do not deliver. Resolve it in Meta Business Settings.`,
      });
    }
    if ((a.sync_status === "error" || a.sync_status === "paused") && a.first_failure && now.getTime() - a.first_failure.getTime() > SYNC_FAILING_AFTER_MS) {
      const mins = Math.floor((now.getTime() - a.first_failure.getTime()) / 60_000);
      out.push({
        rule: "sync_failing",
        subject: `account:${a.id}`,
        subjectLabel: label,
        link: connectionsLink,
        day: null,
        details: { failingSince: a.first_failure.toISOString() },
        message: `${ws.workspaceName}: syncs of ${label} have failed for ${mins >= 120 ? `${Math.floor(mins / 60)} hours` : `${mins} minutes`}; the numbers are not current.${a.sync_error ? ` Last error: ${a.sync_error.slice(0, 200)}` : ""}`,
      });
    }
  }

  // ---- delivery figures: per account and day, the last ANOMALY_BASELINE_DAYS + 2 days
  const ids = accounts.map((a) => a.id);
  if (ids.length > 0) {
    const since = addDays(accounts.map((a) => todayIn(a.timezone_name, now)).sort()[0]!, -(ANOMALY_BASELINE_DAYS + 2));
    const daily = await tx<{ ad_account_id: string; date: string; spend: string; impressions: string }[]>`
      select ad_account_id, date::text as date, spend::text, impressions::text from public.insights_daily_rollup
      where ad_account_id = any(${ids}::uuid[]) and date >= ${since}::date`;
    const campaigns = await tx<
      { ad_account_id: string; meta_campaign_id: string; date: string; spend: string; impressions: string; name: string | null; status: string | null }[]
    >`
      select r.ad_account_id, r.meta_campaign_id, r.date::text as date, r.spend::text, r.impressions::text, c.name, coalesce(c.effective_status, c.status) as status
      from public.insights_campaign_rollup r
      left join public.campaigns c on c.ad_account_id = r.ad_account_id and c.meta_campaign_id = r.meta_campaign_id
      where r.ad_account_id = any(${ids}::uuid[]) and r.date >= ${addDays(since, ANOMALY_BASELINE_DAYS)}::date`;
    const pacingRows = await loadPacingRows(tx, ws.agencyId, now, [ws.workspaceId]);
    const minSpendOf = (currency: string) => {
      const set = pacingRows.find((p) => p.currency === currency)?.anomaly_min_spend;
      return set != null ? Number(set) : defaultAnomalyMinSpend(currency);
    };
    for (const a of accounts) {
      const today = todayIn(a.timezone_name, now);
      const yesterday = addDays(today, -1);
      const byDay = new Map(daily.filter((d) => d.ad_account_id === a.id).map((d) => [d.date, d]));
      const spendOn = (day: string) => Number(byDay.get(day)?.spend ?? 0);
      const label = `${a.name} (${a.meta_account_id})`;
      const baselineFor = (day: string) => Array.from({ length: ANOMALY_BASELINE_DAYS }, (_, i) => spendOn(addDays(day, -(i + 1))));
      // Spend anomaly: today so far (spikes only), else yesterday (spikes and drops).
      const minSpend = minSpendOf(a.currency);
      // Stored data is as of the last sync: a day is only judged on data read after it was complete
      // (yesterday: synced since local midnight), or for today, read this far into the day.
      const syncedAt = a.last_synced_at?.getTime() ?? 0;
      const midnight = localMidnight(today, a.timezone_name);
      const yesterdayComplete = syncedAt >= midnight;
      if (!yesterdayComplete) undetermined.push(`spend_anomaly|account:${a.id}`);
      for (const [day, partial] of [
        [today, true],
        [yesterday, false],
      ] as const) {
        if (!partial && !yesterdayComplete) continue;
        const baseline = baselineFor(day);
        // an account younger than its baseline window has no normal yet
        if (baseline.filter((x) => x > 0).length < 7) continue;
        const v = judgeSpend(spendOn(day), baseline, minSpend, partial);
        if (!v) continue;
        out.push({
          rule: "spend_anomaly",
          subject: `account:${a.id}`,
          subjectLabel: label,
          link: dayLink(ws.agencySlug, ws.workspaceSlug, day, a.id),
          day,
          details: { spend: spendOn(day), median: v.median, mad: v.mad, direction: v.direction },
          message: `${ws.workspaceName}: ${label} spent ${money(spendOn(day), a.currency)} ${day === today ? "so far today" : "yesterday"} (${day}), ${v.direction === "spike" ? "far above" : "far below"} its usual ${money(v.median, a.currency)} a day (median of the previous ${ANOMALY_BASELINE_DAYS} days).`,
        });
        break;
      }
      // Zero delivery today after delivering yesterday (active accounts, once the day is under way).
      const hoursIn = elapsedShareOfDay(today, a.timezone_name, now) * 24;
      const active = a.account_status == null || a.account_status === 1;
      // judged only on data synced at least ZERO_DELIVERY_AFTER_HOURS into the day (not on a stale read)
      if (!active || hoursIn < ZERO_DELIVERY_AFTER_HOURS) continue;
      if (syncedAt < midnight + ZERO_DELIVERY_AFTER_HOURS * 3600_000) {
        undetermined.push(`zero_delivery|account:${a.id}`, `zero_delivery|campaign:${a.id}:`);
        continue;
      }
      const deliveredToday = spendOn(today) > 0 || Number(byDay.get(today)?.impressions ?? 0) > 0;
      if (!deliveredToday && spendOn(yesterday) > 0) {
        out.push({
          rule: "zero_delivery",
          subject: `account:${a.id}`,
          subjectLabel: label,
          link: dayLink(ws.agencySlug, ws.workspaceSlug, today, a.id),
          day: today,
          details: { yesterdaySpend: spendOn(yesterday) },
          message: `${ws.workspaceName}: ${label} has delivered nothing today (${today}, ${Math.floor(hoursIn)} h into the day) after spending ${money(spendOn(yesterday), a.currency)} yesterday.`,
        });
      } else if (deliveredToday) {
        // the account delivers, but an active campaign that ran yesterday has stopped
        const mine = campaigns.filter((c) => c.ad_account_id === a.id);
        const ran = new Map<string, { y: number; t: number; name: string | null; status: string | null }>();
        for (const c of mine) {
          const e = ran.get(c.meta_campaign_id) ?? { y: 0, t: 0, name: c.name, status: c.status };
          if (c.date === yesterday) e.y += Number(c.spend);
          if (c.date === today) e.t += Number(c.spend) + Number(c.impressions);
          ran.set(c.meta_campaign_id, e);
        }
        for (const [cid, e] of ran) {
          if (e.status !== "ACTIVE" || e.y <= 0 || e.t > 0) continue;
          const cl = `${e.name ?? cid} in ${a.name}`;
          out.push({
            rule: "zero_delivery",
            subject: `campaign:${a.id}:${cid}`,
            subjectLabel: cl,
            link: dayLink(ws.agencySlug, ws.workspaceSlug, today, a.id),
            day: today,
            details: { yesterdaySpend: e.y },
            message: `${ws.workspaceName}: active campaign ${cl} has delivered nothing today (${today}) after spending ${money(e.y, a.currency)} yesterday.`,
          });
        }
      }
    }

    // ---- pacing: projected month-end spend against the budget
    for (const r of pacingRows) {
      const p = computePacing({
        currency: r.currency,
        timezone: r.timezone,
        now,
        monthlyBudget: r.monthly_budget,
        dailyBudget: r.daily_budget,
        spendToDate: r.spend_to_date,
      });
      if (!p || p.elapsedDays < PROJECTION_MIN_DAYS) continue;
      const limit = settings.pacingAlertPct / 100;
      const off = p.projected / p.budget - 1;
      if (Math.abs(off) <= limit) continue;
      const rule = off > 0 ? "projected_overspend" : "projected_underspend";
      out.push({
        rule,
        subject: `currency:${r.currency}`,
        subjectLabel: `${r.currency} budget`,
        link: rangeLink(ws.agencySlug, ws.workspaceSlug, p.monthStart, p.today),
        day: p.today,
        details: { budget: p.budget, projected: p.projected, spendToDate: p.spendToDate, expectedToDate: p.expectedToDate },
        message: `${ws.workspaceName}: at this pace the ${r.currency} spend ends the month at ${money(p.projected, r.currency)}, ${pct(Math.abs(off))} ${off > 0 ? "over" : "under"} the ${money(p.budget, r.currency)} budget (spent ${money(p.spendToDate, r.currency)} of ${money(p.expectedToDate, r.currency)} expected by now).`,
      });
    }

    // ---- CPA above / ROAS below target over the last N complete days, from the dashboard's report
    const withTargets = pacingRows.filter((r) => r.target_cpa != null || r.target_roas != null);
    if (withTargets.length > 0) {
      const ctx = await loadWorkspaceContext(tx, ws.workspaceId);
      for (const r of withTargets) {
        const until = addDays(todayIn(r.timezone, now), -1);
        const since = addDays(until, -(settings.targetWindowDays - 1));
        const range: ResolvedRange = {
          since,
          until,
          preset: "custom",
          compare: "none",
          previous: null,
          days: daysBetween(since, until) + 1,
          timezone: r.timezone,
        };
        const accountIds = ctx.accounts.filter((a) => a.currency === r.currency).map((a) => a.id);
        const g = (await computeReport(tx, ctx, range, { accountIds })).byCurrency[r.currency];
        if (!g) continue;
        const t = g.totals;
        const link = rangeLink(ws.agencySlug, ws.workspaceSlug, since, until);
        const window = `the last ${settings.targetWindowDays} ${settings.targetWindowDays === 1 ? "day" : "days"} (${since} to ${until})`;
        if (r.target_cpa != null) {
          const target = Number(r.target_cpa);
          if ((t.cpa != null && t.cpa > target) || (t.cpa == null && t.spend > target)) {
            out.push({
              rule: "cpa_above_target",
              subject: `currency:${r.currency}`,
              subjectLabel: `${r.currency} CPA`,
              link,
              day: until,
              details: { cpa: t.cpa, target, spend: t.spend, conversions: t.conversions },
              message:
                t.cpa == null
                  ? `${ws.workspaceName}: ${money(t.spend, r.currency)} spent with no conversions over ${window}; the CPA target is ${money(target, r.currency)}.`
                  : `${ws.workspaceName}: CPA was ${money(t.cpa, r.currency)} over ${window}, above the ${money(target, r.currency)} target.`,
            });
          }
        }
        if (r.target_roas != null) {
          const target = Number(r.target_roas);
          if (t.roas != null && t.roas < target) {
            out.push({
              rule: "roas_below_target",
              subject: `currency:${r.currency}`,
              subjectLabel: `${r.currency} ROAS`,
              link,
              day: until,
              details: { roas: t.roas, target, spend: t.spend, conversionValue: t.conversion_value },
              message: `${ws.workspaceName}: ROAS was ${t.roas.toFixed(2)} over ${window}, below the ${target.toFixed(2)} target.`,
            });
          }
        }
      }
    }
  }
  return { conditions: out, undetermined };
}
