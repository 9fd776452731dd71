/**
 * Workspace reports: totals, daily series, campaigns and platforms for a date range, grouped by
 * currency (different currencies are never added up). Every function takes a `tx` from asUser (the
 * dashboard: RLS decides) or asService (the CLI) and opens no transaction of its own.
 */
import type { Tx } from "../db/connection";
import { NotFoundError, InputError } from "../errors";
import { cached } from "./cache";
import { eachDay, rangeKey, resolveRange, type DateRange, type RangeParams, type ResolvedRange } from "./dates";
import { metricsFromSums, pickSums, withholdConversions, ZERO_SUMS, type Metrics, type Sums } from "./metrics";
import { reportAttribution, type ReportAttribution } from "./attribution";
import { comparePlatforms } from "../../utils/platforms";

// Publisher platforms are open-ended (Threads since 2025, more may come): meta/platforms.ts labels the
// known ones and orders them; any other platform appears under its own name.

export interface AccountInfo {
  id: string;
  meta_account_id: string;
  name: string;
  currency: string;
  timezone_name: string;
  sync_status: "pending" | "syncing" | "ok" | "error" | "needs_reauth" | "paused";
  sync_progress: number;
  sync_error: string | null;
  last_synced_at: string | null;
  backfilled_since: string | null;
  /** the attribution all of this account's stored conversions use; 'mixed' during a re-sync; null without facts */
  conversions_attribution: string | null;
}

export interface ConnectionInfo {
  id: string;
  status: "active" | "needs_reauth" | "disconnected";
  facebook_user_name: string | null;
}

export interface WorkspaceContext {
  workspaceId: string;
  /** public.data_versions.version: part of every cache key */
  version: string;
  accounts: AccountInfo[];
  /** Meta connections; always empty for client viewers (connections are agency business, RLS hides them) */
  connections: ConnectionInfo[];
  /** the newest sync run, for progress while a backfill runs */
  latestRun: { status: string; kind: string; progress: number; error: string | null; created_at: string } | null;
  /** the workspace's choice of attribution windows (null: each ad account's own setting) */
  attributionWindows: string[] | null;
}

/**
 * What the page needs besides numbers. Never cached: it carries live sync status, and reading the data
 * version here under asUser is also the access check (a workspace the user may not see has no row).
 */
export async function loadWorkspaceContext(tx: Tx, workspaceId: string): Promise<WorkspaceContext> {
  // one round trip: this runs on every page view, cached or not
  const [row] = await tx<
    {
      version: string | null;
      accounts: AccountInfo[];
      connections: ConnectionInfo[];
      latest_run: WorkspaceContext["latestRun"];
      attribution_windows: string[] | null;
    }[]
  >`
    select
      (select version::text from public.data_versions where workspace_id = ${workspaceId}) as version,
      (select attribution_windows from public.workspaces where id = ${workspaceId}) as attribution_windows,
      coalesce((select json_agg(a order by a.created_at, a.meta_account_id) from (
        select id, meta_account_id, name, currency, timezone_name, sync_status, sync_progress::float8 as sync_progress,
               sync_error, last_synced_at::text as last_synced_at, backfilled_since::text as backfilled_since, conversions_attribution, created_at
        from public.ad_accounts where workspace_id = ${workspaceId}) a), '[]'::json) as accounts,
      coalesce((select json_agg(c order by c.created_at desc) from (
        select id, status, facebook_user_name, created_at from public.meta_connections where workspace_id = ${workspaceId}) c), '[]'::json) as connections,
      (select row_to_json(r) from (
        select status, kind, progress::float8 as progress, error, created_at::text as created_at
        from public.sync_runs where workspace_id = ${workspaceId} order by created_at desc limit 1) r) as latest_run`;
  if (!row?.version) throw new NotFoundError("No such workspace");
  const accounts = row.accounts.map(({ created_at: _c, ...a }: AccountInfo & { created_at?: string }) => a);
  const connections = row.connections.map(({ created_at: _c, ...c }: ConnectionInfo & { created_at?: string }) => c);
  return { workspaceId, version: row.version, accounts, connections, latestRun: row.latest_run ?? null, attributionWindows: row.attribution_windows ?? null };
}

export interface CampaignRow {
  ad_account_id: string;
  meta_campaign_id: string;
  name: string;
  status: string | null;
  objective: string | null;
  sums: Sums;
  metrics: Metrics;
}
export interface PlatformRow {
  platform: string;
  sums: Sums;
  metrics: Metrics;
}
export interface DailyRow {
  date: string;
  sums: Sums;
  metrics: Metrics;
}
export interface CurrencyReport {
  currency: string;
  /** the ad accounts in this currency group (after the account filter) */
  accounts: { id: string; name: string; meta_account_id: string; timezone_name: string }[];
  totalsSums: Sums;
  totals: Metrics;
  /** totals of the comparison period; null for compare=none */
  previous: Metrics | null;
  campaigns: CampaignRow[];
  platforms: PlatformRow[];
  daily: DailyRow[];
  /** the attribution windows of this group's conversions, or that they differ (then withheld) */
  attribution: ReportAttribution;
}
export interface Report {
  range: ResolvedRange;
  byCurrency: Record<string, CurrencyReport>;
}

export interface ReportFilter {
  /** restrict to these ad accounts (ids of public.ad_accounts); all accounts of the workspace when empty */
  accountIds?: string[];
}

const SUM_COLUMNS = `sum(d.spend)::text as spend, sum(d.impressions)::text as impressions, sum(d.clicks)::text as clicks,
  sum(d.link_clicks)::text as link_clicks, sum(d.conversions)::text as conversions, sum(d.conversion_value)::text as conversion_value`;

/**
 * The facts of a range, summed in SQL from the pre-aggregates that the insights_daily triggers keep
 * exact (migrations 0020/0021, ADR 0020): per account x day for totals and the daily series, per
 * campaign x day for the table, per platform x day for the breakdown. Each is joined to its ad account
 * for the currency, so a workspace with a USD and a JPY account yields two separate groups.
 */
function rollupQuery(tx: Tx, table: string, key: string, groupBy: string, workspaceId: string, r: DateRange, accountIds: string[]) {
  const all = accountIds.length === 0;
  return tx.unsafe<(Sums & Record<string, string>)[]>(
    `select a.currency${key ? `, ${key}` : ""}, ${SUM_COLUMNS}
     from public.${table} d
     join public.ad_accounts a on a.id = d.ad_account_id
     where d.workspace_id = $1 and d.date between $2 and $3 and ($4 or d.ad_account_id = any($5::uuid[]))
     group by ${groupBy}`,
    [workspaceId, r.since, r.until, all, accountIds],
  );
}

/** The accounts a filter selects; an id that is not one of the workspace's accounts is bad input. */
export function selectAccounts(ctx: WorkspaceContext, filter: ReportFilter = {}): AccountInfo[] {
  const ids = filter.accountIds ?? [];
  if (ids.length === 0) return ctx.accounts;
  const picked = ctx.accounts.filter((a) => ids.includes(a.id));
  if (picked.length !== new Set(ids).size) throw new InputError("Unknown ad account", { account: "Not an ad account of this client" });
  return picked;
}

/** The time zone presets resolve in: the (first) selected account's, or UTC for a workspace without accounts. */
export function reportTimezone(accounts: AccountInfo[]): string {
  return accounts[0]?.timezone_name ?? "UTC";
}

/** Computes a report (uncached). Reach is left null here; see reach.ts. */
export async function computeReport(tx: Tx, ctx: WorkspaceContext, range: ResolvedRange, filter: ReportFilter = {}): Promise<Report> {
  const accounts = selectAccounts(ctx, filter);
  const accountIds = filter.accountIds?.length ? accounts.map((a) => a.id) : [];
  const ws = ctx.workspaceId;
  // sequential on purpose: one transaction is one connection, queries on it queue anyway
  const dailyRows = await rollupQuery(
    tx,
    "insights_daily_rollup",
    "d.date::text as date",
    "grouping sets ((a.currency), (a.currency, d.date))",
    ws,
    range,
    accountIds,
  );
  const prevRows = range.previous ? await rollupQuery(tx, "insights_daily_rollup", "", "a.currency", ws, range.previous, accountIds) : [];
  const campaignRows = await rollupQuery(
    tx,
    "insights_campaign_rollup",
    "d.ad_account_id::text as ad_account_id, d.meta_campaign_id",
    "a.currency, d.ad_account_id, d.meta_campaign_id",
    ws,
    range,
    accountIds,
  );
  const platformRows = await rollupQuery(tx, "insights_platform_rollup", "d.publisher_platform", "a.currency, d.publisher_platform", ws, range, accountIds);
  const campaignInfo = await tx<{ ad_account_id: string; meta_campaign_id: string; name: string; status: string | null; objective: string | null }[]>`
    select ad_account_id, meta_campaign_id, name, coalesce(effective_status, status) as status, objective
    from public.campaigns where workspace_id = ${ws}`;
  const names = new Map(campaignInfo.map((c) => [`${c.ad_account_id}:${c.meta_campaign_id}`, c]));

  const byCurrency: Record<string, CurrencyReport> = {};
  const group = (currency: string) =>
    (byCurrency[currency] ??= {
      currency,
      accounts: [],
      totalsSums: ZERO_SUMS,
      totals: metricsFromSums(ZERO_SUMS),
      previous: range.previous ? metricsFromSums(ZERO_SUMS) : null,
      campaigns: [],
      platforms: [],
      daily: [],
      attribution: reportAttribution([]),
    });
  for (const a of accounts) {
    group(a.currency).accounts.push({ id: a.id, name: a.name, meta_account_id: a.meta_account_id, timezone_name: a.timezone_name });
  }

  const dailyByCurrency = new Map<string, Map<string, Sums>>();
  for (const row of dailyRows) {
    const g = group(row.currency);
    const sums = pickSums(row);
    if (row.date == null) {
      g.totalsSums = sums;
      g.totals = metricsFromSums(sums);
    } else {
      let m = dailyByCurrency.get(row.currency);
      if (!m) dailyByCurrency.set(row.currency, (m = new Map()));
      m.set(row.date, sums);
    }
  }
  for (const row of campaignRows) {
    const sums = pickSums(row);
    const info = names.get(`${row.ad_account_id}:${row.meta_campaign_id}`);
    group(row.currency).campaigns.push({
      ad_account_id: row.ad_account_id,
      meta_campaign_id: row.meta_campaign_id,
      name: info?.name ?? row.meta_campaign_id,
      status: info?.status ?? null,
      objective: info?.objective ?? null,
      sums,
      metrics: metricsFromSums(sums),
    });
  }
  for (const row of platformRows) {
    const sums = pickSums(row);
    group(row.currency).platforms.push({ platform: row.publisher_platform, sums, metrics: metricsFromSums(sums) });
  }
  for (const p of prevRows) group(p.currency).previous = metricsFromSums(pickSums(p));

  const days = eachDay(range);
  for (const g of Object.values(byCurrency)) {
    const m = dailyByCurrency.get(g.currency);
    // every day of the range is a row (zero when nothing ran), so charts and exports have no gaps
    g.daily = days.map((date) => {
      const sums = m?.get(date) ?? ZERO_SUMS;
      return { date, sums, metrics: metricsFromSums(sums) };
    });
    g.campaigns.sort((a, b) => b.metrics.spend - a.metrics.spend || a.name.localeCompare(b.name));
    g.platforms.sort((a, b) => comparePlatforms(a.platform, b.platform));
    // never a total over different attribution windows: conversions are withheld where they would mix
    g.attribution = reportAttribution(accounts.filter((a) => g.accounts.some((x) => x.id === a.id)));
    if (g.attribution.mixed) withholdMixed(g, accounts);
  }
  return { range, byCurrency };
}

/** A report through the per-process cache, keyed by workspace, data version, range, comparison and filter. */
export function getReport(tx: Tx, ctx: WorkspaceContext, range: ResolvedRange, filter: ReportFilter = {}): Promise<Report> {
  const accounts = [...(filter.accountIds ?? [])].sort().join(",");
  const key = `report:${ctx.workspaceId}:v${ctx.version}:${rangeKey(range)}:${accounts}`;
  return cached(key, () => computeReport(tx, ctx, range, filter));
}

/** Context + resolved range + report: what the workspace page and the CLI both use. */
export async function loadWorkspaceReport(tx: Tx, workspaceId: string, params: RangeParams, filter: ReportFilter = {}, now = new Date()) {
  const context = await loadWorkspaceContext(tx, workspaceId);
  const accounts = selectAccounts(context, filter);
  const range = resolveRange(params, reportTimezone(accounts), now);
  const report = await getReport(tx, context, range, filter);
  return { context, range, report };
}

/** Withholds conversions (and value, CPA, ROAS) of every row that adds up accounts with different windows. */
function withholdMixed(g: CurrencyReport, accounts: AccountInfo[]) {
  const own = new Map(accounts.map((a) => [a.id, reportAttribution([a])]));
  g.totals = withholdConversions(g.totals);
  if (g.previous) g.previous = withholdConversions(g.previous);
  g.daily = g.daily.map((d) => ({ ...d, metrics: withholdConversions(d.metrics) }));
  g.platforms = g.platforms.map((p) => ({ ...p, metrics: withholdConversions(p.metrics) }));
  // a campaign belongs to one account: it keeps its numbers unless its own account is mid re-sync
  g.campaigns = g.campaigns.map((c) => (own.get(c.ad_account_id)?.mixed ? { ...c, metrics: withholdConversions(c.metrics) } : c));
}
