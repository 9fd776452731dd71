/**
 * The agency overview: every client workspace with spend, conversions, CPA and ROAS for a range, the
 * change against the comparison period, a daily spend sparkline, and its connection/sync status.
 *
 * Two queries for all workspaces, however many (no N+1): one for the list and live status (never
 * cached), one for the numbers (from the account x day rollup, cached by the fingerprint of every
 * visible workspace's data version). Presets resolve in each ad account's own time zone: the set of
 * distinct zones is small, so each zone's dates travel into the one query as a small table.
 * Totals are per currency, summed in SQL (exact), never across currencies.
 */
import { createHash } from "node:crypto";
import type { Tx } from "../db/connection";
import { cached } from "./cache";
import { eachDay, resolveRange, type RangeParams, type ResolvedRange } from "./dates";
import { delta, metricsFromSums, pickSums, withholdConversions, ZERO_SUMS, type Metrics, type Sums } from "./metrics";
import { overviewAttribution, type ReportAttribution } from "./attribution";

export type SyncState =
  { kind: "ok" } | { kind: "syncing"; progress: number } | { kind: "needs_reauth" } | { kind: "error"; message: string | null } | { kind: "not_connected" };

export interface OverviewCurrencyLine {
  currency: string;
  current: Metrics;
  previous: Metrics | null;
  change: { spend: number | null; conversions: number | null; cpa: number | null; roas: number | null };
  /** daily spend over the range, one value per day (0 for days without delivery) */
  sparkline: number[];
}

export interface OverviewRow {
  id: string;
  slug: string;
  name: string;
  archived: boolean;
  state: SyncState;
  lastSyncedAt: string | null;
  lines: OverviewCurrencyLine[];
}

export interface Overview {
  ranges: ResolvedRange[];
  rows: OverviewRow[];
  totals: { currency: string; current: Metrics; previous: Metrics | null; clients: number }[];
}

interface ListRow {
  id: string;
  slug: string;
  name: string;
  archived: boolean;
  version: string | null;
  accounts: number;
  account_sig: string | null;
  timezones: string[] | null;
  syncing: boolean;
  progress: number | null;
  reauth: boolean;
  error: boolean;
  sync_error: string | null;
  last_synced_at: string | null;
  conn_active: boolean | null;
  conn_reauth: boolean | null;
}

/** Combines connection rows (staff only; empty for viewers) and account sync states into one status. */
function stateOf(r: ListRow): SyncState {
  if (r.reauth || r.conn_reauth) return { kind: "needs_reauth" };
  if (r.syncing) return { kind: "syncing", progress: Math.round(Number(r.progress ?? 0)) };
  if (r.error) return { kind: "error", message: r.sync_error };
  if (r.accounts > 0) return { kind: "ok" };
  return { kind: "not_connected" };
}

async function listWorkspaces(tx: Tx, agencyId: string) {
  return tx<ListRow[]>`
    with acc as (
      select workspace_id, count(*)::int as accounts,
             string_agg(id::text || '/' || currency || '/' || timezone_name, ',' order by id) as account_sig,
             array_agg(distinct timezone_name) as timezones,
             bool_or(sync_status = 'syncing') as syncing,
             avg(sync_progress) filter (where sync_status = 'syncing')::float8 as progress,
             bool_or(sync_status = 'needs_reauth') as reauth,
             bool_or(sync_status = 'error') as error,
             max(sync_error) filter (where sync_status = 'error') as sync_error,
             max(last_synced_at)::text as last_synced_at
      from public.ad_accounts where agency_id = ${agencyId} group by workspace_id
    ), con as (
      select workspace_id, bool_or(status = 'active') as conn_active, bool_or(status = 'needs_reauth') as conn_reauth
      from public.meta_connections where agency_id = ${agencyId} group by workspace_id
    )
    select w.id, w.slug, w.name, w.archived_at is not null as archived, dv.version::text as version,
           coalesce(acc.accounts, 0) as accounts, acc.account_sig, acc.timezones, coalesce(acc.syncing, false) as syncing,
           acc.progress, coalesce(acc.reauth, false) as reauth, coalesce(acc.error, false) as error, acc.sync_error,
           acc.last_synced_at, con.conn_active, con.conn_reauth
    from public.workspaces w
    left join public.data_versions dv on dv.workspace_id = w.id
    left join acc on acc.workspace_id = w.id
    left join con on con.workspace_id = w.id
    where w.agency_id = ${agencyId}
    order by w.name, w.id`;
}

type NumRow = Sums & { workspace_id: string | null; currency: string; period: "cur" | "prev"; days: string | null; g: number };

async function queryNumbers(tx: Tx, agencyId: string, workspaceIds: string[], ranges: ResolvedRange[]) {
  const tz = ranges.map((r) => r.timezone);
  const since = ranges.map((r) => r.since);
  const until = ranges.map((r) => r.until);
  const psince = ranges.map((r) => r.previous?.since ?? null);
  const puntil = ranges.map((r) => r.previous?.until ?? null);
  return tx.unsafe<NumRow[]>(
    `with r(tz, since, until, psince, puntil) as (
       select * from unnest($3::text[], $4::date[], $5::date[], $6::date[], $7::date[])
     ), acc as (
       select a.id, a.workspace_id, a.currency, r.since, r.until, r.psince, r.puntil
       from public.ad_accounts a join r on r.tz = a.timezone_name
       where a.agency_id = $1 and a.workspace_id = any($2::uuid[])
     ), p as (
       -- two plain ranges per account (not a lateral join), so each becomes an index range scan on
       -- the rollup's primary key (ad_account_id, date) instead of a scan of the account's history
       select acc.id, acc.workspace_id, acc.currency, 'cur'::text as period, acc.since as s, acc.until as u from acc
       union all
       select acc.id, acc.workspace_id, acc.currency, 'prev'::text, acc.psince, acc.puntil from acc where acc.psince is not null
     ), daily as (
       select p.workspace_id, p.currency, p.period, d.date, sum(d.spend) as spend, sum(d.impressions) as impressions,
              sum(d.clicks) as clicks, sum(d.link_clicks) as link_clicks, sum(d.conversions) as conversions,
              sum(d.conversion_value) as conversion_value
       from p join public.insights_daily_rollup d on d.ad_account_id = p.id and d.date between p.s and p.u
       group by 1, 2, 3, 4
     )
     -- one row per workspace x currency x period (the sparkline travels as one string), plus the
     -- per-currency totals: a few hundred rows to the app instead of one per workspace-day
     select workspace_id, currency, period, grouping(workspace_id) as g,
            sum(spend)::text as spend, sum(impressions)::text as impressions, sum(clicks)::text as clicks,
            sum(link_clicks)::text as link_clicks, sum(conversions)::text as conversions,
            sum(conversion_value)::text as conversion_value,
            case when grouping(workspace_id) = 0 and period = 'cur' then string_agg(date::text || '=' || spend::text, ',' order by date) end as days
     from daily
     group by grouping sets ((currency, period), (workspace_id, currency, period))`,
    [agencyId, workspaceIds, tz, since, until, psince, puntil],
  );
}

interface Numbers {
  perWorkspace: Map<string, Map<string, { cur: Sums; prev: Sums | null; daily: Map<string, string> }>>;
  totals: Map<string, { cur: Sums; prev: Sums | null }>;
}

function foldNumbers(rows: NumRow[]): Numbers {
  const perWorkspace: Numbers["perWorkspace"] = new Map();
  const totals: Numbers["totals"] = new Map();
  const slot = (ws: string, cur: string) => {
    let m = perWorkspace.get(ws);
    if (!m) perWorkspace.set(ws, (m = new Map()));
    let s = m.get(cur);
    if (!s) m.set(cur, (s = { cur: ZERO_SUMS, prev: null, daily: new Map() }));
    return s;
  };
  for (const row of rows) {
    if (Number(row.g) === 1) {
      const t = totals.get(row.currency) ?? { cur: ZERO_SUMS, prev: null };
      if (row.period === "cur") t.cur = pickSums(row);
      else t.prev = pickSums(row);
      totals.set(row.currency, t);
      continue;
    }
    const s = slot(row.workspace_id!, row.currency);
    if (row.period === "prev") {
      s.prev = pickSums(row);
      continue;
    }
    s.cur = pickSums(row);
    for (const kv of row.days?.split(",") ?? []) {
      const [date, spend] = kv.split("=");
      s.daily.set(date, spend);
    }
  }
  return { perWorkspace, totals };
}

export const overviewSorts = ["name", "spend", "conversions", "cpa", "roas", "change"] as const;
export type OverviewSort = (typeof overviewSorts)[number];

/**
 * The overview for an agency, as the user in `tx` may see it (RLS: a client viewer sees only their
 * own workspaces and no connections). Archived clients are listed only with `includeArchived`.
 */
export async function getAgencyOverview(
  tx: Tx,
  agencyId: string,
  params: RangeParams,
  opts: { includeArchived?: boolean; now?: Date } = {},
): Promise<Overview> {
  const now = opts.now ?? new Date();
  const list = (await listWorkspaces(tx, agencyId)).filter((w) => opts.includeArchived || !w.archived);
  const zones = [...new Set(list.flatMap((w) => w.timezones ?? []))].sort();
  const ranges = zones.map((tz) => resolveRange(params, tz, now));
  const ids = list.map((w) => w.id);

  // The numbers change only when a listed workspace's data version (or its accounts) changes.
  const fingerprint = createHash("sha1")
    .update(list.map((w) => `${w.id}:${w.version}:${w.account_sig ?? ""}`).join(","))
    .update(JSON.stringify(ranges.map((r) => [r.timezone, r.since, r.until, r.previous])))
    .digest("base64url");
  const numbers =
    ids.length === 0 || ranges.length === 0
      ? { perWorkspace: new Map(), totals: new Map() }
      : await cached(`overview:${agencyId}:${fingerprint}`, async () => foldNumbers(await queryNumbers(tx, agencyId, ids, ranges)));

  const hasCompare = params.compare !== "none";
  // conversions are never added up across different attribution windows (ADR 0071)
  const attribution = await overviewAttribution(tx, agencyId, ids);
  const unmixed = (m: Metrics, a: ReportAttribution) => (a.mixed ? withholdConversions(m) : m);
  const rows: OverviewRow[] = list.map((w) => {
    const perCurrency: Map<string, { cur: Sums; prev: Sums | null; daily: Map<string, string> }> = numbers.perWorkspace.get(w.id) ?? new Map();
    const range = ranges.find((r) => r.timezone === (w.timezones ?? [])[0]);
    const days = range ? eachDay(range) : [];
    const lines: OverviewCurrencyLine[] = [...perCurrency.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([currency, s]) => {
        const a = attribution.line(w.id, currency);
        const current = unmixed(metricsFromSums(s.cur), a);
        const previous = hasCompare ? unmixed(metricsFromSums(s.prev ?? ZERO_SUMS), a) : null;
        return {
          currency,
          current,
          previous,
          change: {
            spend: delta(current.spend, previous?.spend ?? null),
            conversions: delta(current.conversions, previous?.conversions ?? null),
            cpa: delta(current.cpa, previous?.cpa ?? null),
            roas: delta(current.roas, previous?.roas ?? null),
          },
          sparkline: days.map((d) => Number(s.daily.get(d) ?? 0)),
        };
      });
    return { id: w.id, slug: w.slug, name: w.name, archived: w.archived, state: stateOf(w), lastSyncedAt: w.last_synced_at, lines };
  });
  const totals = [...numbers.totals.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([currency, t]) => ({
      currency,
      current: unmixed(metricsFromSums(t.cur), attribution.total(currency)),
      previous: hasCompare ? unmixed(metricsFromSums(t.prev ?? ZERO_SUMS), attribution.total(currency)) : null,
      clients: rows.filter((r) => r.lines.some((l) => l.currency === currency)).length,
    }));
  return { ranges, rows, totals };
}

/**
 * Search and sort for the list (query parameters ?q=&sort=&dir=). Metric sorts compare within a
 * currency only: clients are grouped by their main currency first, never ranked 1000 JPY above 10 USD.
 */
export function sortAndFilter(rows: OverviewRow[], opts: { q?: string; sort?: OverviewSort; dir?: "asc" | "desc" }): OverviewRow[] {
  const q = opts.q?.trim().toLowerCase();
  const filtered = q ? rows.filter((r) => r.name.toLowerCase().includes(q) || r.slug.includes(q)) : rows.slice();
  const sort = opts.sort ?? "name";
  const dir = opts.dir ?? (sort === "name" ? "asc" : "desc");
  const sign = dir === "asc" ? 1 : -1;
  const val = (r: OverviewRow): number | null => {
    const l = r.lines[0];
    if (!l) return null;
    if (sort === "change") return l.change.spend;
    return l.current[sort as "spend" | "conversions" | "cpa" | "roas"];
  };
  return filtered.sort((a, b) => {
    if (sort === "name") return sign * a.name.localeCompare(b.name);
    const ca = a.lines[0]?.currency;
    const cb = b.lines[0]?.currency;
    // clients without numbers last, whichever way
    if (!ca || !cb) return !ca ? (!cb ? a.name.localeCompare(b.name) : 1) : -1;
    if (ca !== cb) return ca < cb ? -1 : 1;
    const va = val(a);
    const vb = val(b);
    // no value (no data, or a ratio without denominator) sorts last either way
    if (va == null || vb == null) return va == null ? (vb == null ? a.name.localeCompare(b.name) : 1) : -1;
    return sign * (va - vb) || a.name.localeCompare(b.name);
  });
}
