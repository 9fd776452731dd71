/**
 * View models for the dashboard routes: parse the URL (zod), run the reporting queries under asUser,
 * and shape what the browser needs (numbers only; exact decimal strings stay on the server). Routes
 * call these and render.
 */
import { z } from "zod";
import { asUser } from "../db/connection";
import { InputError } from "../errors";
import { parseRangeParams, PRESET_LABELS, resolveRange, type RangeParams } from "./dates";
import { delta, type Metrics } from "./metrics";
import { getAgencyOverview, overviewSorts, sortAndFilter } from "./overview";
import { completeReachLive, getRangeReach, liveRangeReach, type RangeReachFetcher, type ReachResult } from "./reach";
import { exportFileName, reportCsv, type ExportKind } from "./csv";
import { loadWorkspaceReport, type AccountInfo, type WorkspaceContext } from "./workspace";

const accountParam = z.object({ account: z.uuid({ error: "Unknown ad account" }).optional() });

/** Range parameters from a URL; a bad value falls back to the default and is reported on the page. */
export function rangeFromUrl(url: URL): { params: RangeParams; error: string | null } {
  try {
    return { params: parseRangeParams(url.searchParams), error: null };
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    const detail = Object.values(err.fields)[0];
    return { params: parseRangeParams({}), error: `${err.message}: ${detail ?? "invalid"}. Showing the last 28 days.` };
  }
}

export type PageState =
  { kind: "not_connected" } | { kind: "needs_reauth" } | { kind: "backfill"; progress: number } | { kind: "error"; message: string | null } | { kind: "ok" };

/** The banner state of a workspace page, from its connections, accounts and latest run. */
export function pageState(ctx: WorkspaceContext, isStaff: boolean): PageState {
  const accounts = ctx.accounts;
  if (ctx.connections.some((c) => c.status === "needs_reauth") || accounts.some((a) => a.sync_status === "needs_reauth")) {
    return { kind: "needs_reauth" };
  }
  if (accounts.length === 0) return { kind: "not_connected" };
  const syncing = accounts.filter((a) => a.sync_status === "syncing" || a.sync_status === "pending");
  if (syncing.length > 0 || ctx.latestRun?.status === "running" || ctx.latestRun?.status === "queued") {
    const progress = syncing.length ? syncing.reduce((s, a) => s + a.sync_progress, 0) / syncing.length : (ctx.latestRun?.progress ?? 0);
    return { kind: "backfill", progress };
  }
  const failed = accounts.find((a) => a.sync_status === "error");
  // the sync's error text is for the agency; a client viewer gets a neutral sentence
  if (failed) return { kind: "error", message: isStaff ? failed.sync_error : null };
  return { kind: "ok" };
}

type RowMetrics = Omit<Metrics, "reach" | "frequency">;
function rowMetrics(m: Metrics): RowMetrics {
  const { reach: _r, frequency: _f, ...rest } = m;
  return rest;
}

export async function workspaceDashboard(opts: {
  userId: string;
  workspaceId: string;
  url: URL;
  isStaff: boolean; /** the live reach source; defaults to Meta through the sync module, null for none */
  fetchLiveReach?: RangeReachFetcher | null;
  now?: Date;
}) {
  const { params, error: rangeError } = rangeFromUrl(opts.url);
  const acc = accountParam.safeParse({ account: opts.url.searchParams.get("account") || undefined });
  let accountError: string | null = acc.success ? null : "Unknown ad account: showing all accounts.";
  let accountId = acc.success ? acc.data.account : undefined;

  // one transaction for the numbers and the stored reach (a warm view costs a single round trip or two)
  const load = (ids: string[]) =>
    asUser(opts.userId, async (tx) => {
      const loaded = await loadWorkspaceReport(tx, opts.workspaceId, params, { accountIds: ids }, opts.now);
      return { ...loaded, storedReach: await getRangeReach(tx, loaded.context, loaded.report) };
    });
  let result: Awaited<ReturnType<typeof load>>;
  try {
    result = await load(accountId ? [accountId] : []);
  } catch (err) {
    if (!(err instanceof InputError) || !accountId) throw err;
    accountError = "Unknown ad account: showing all accounts.";
    accountId = undefined;
    result = await load([]);
  }
  const { context, range, report, storedReach } = result;

  // Reach Meta has not given us for this range yet is a live call: handed to the page as a promise,
  // so everything else renders first.
  const fetchLive = opts.fetchLiveReach === undefined ? liveRangeReach : opts.fetchLiveReach;
  const needsLive = fetchLive && Object.entries(storedReach).some(([cur, r]) => r.status !== "ok" && report.byCurrency[cur]?.accounts.length === 1);
  const reach: Promise<Record<string, ReachResult>> = needsLive ? completeReachLive(context, report, storedReach, fetchLive) : Promise.resolve(storedReach);

  const compareLabel = range.previous ? (range.compare === "year" ? "last year" : "previous period") : null;
  const groups = Object.values(report.byCurrency).map((g) => ({
    currency: g.currency,
    accounts: g.accounts.map((a) => ({ id: a.id, name: a.name, metaAccountId: a.meta_account_id, timezone: a.timezone_name })),
    totals: rowMetrics(g.totals),
    previous: g.previous ? rowMetrics(g.previous) : null,
    deltas: Object.fromEntries(
      (Object.keys(rowMetrics(g.totals)) as (keyof RowMetrics)[]).map((k) => [k, g.previous ? delta(g.totals[k], g.previous[k]) : null]),
    ) as Record<keyof RowMetrics, number | null>,
    campaigns: g.campaigns.map((c) => ({ id: c.meta_campaign_id, name: c.name, status: c.status, metrics: rowMetrics(c.metrics) })),
    platforms: g.platforms.map((p) => ({ platform: p.platform, metrics: rowMetrics(p.metrics) })),
    daily: g.daily.map((d) => ({ date: d.date, metrics: rowMetrics(d.metrics) })),
    attribution: g.attribution,
  }));
  const lastSynced = context.accounts.reduce<string | null>((m, a) => (a.last_synced_at && (!m || a.last_synced_at > m) ? a.last_synced_at : m), null);
  return {
    range: {
      preset: range.preset,
      presetLabel: PRESET_LABELS[range.preset],
      compare: range.compare,
      since: range.since,
      until: range.until,
      previous: range.previous,
      timezone: range.timezone,
      compareLabel,
    },
    notices: [rangeError, accountError].filter((x): x is string => !!x),
    accountId: accountId ?? null,
    accounts: context.accounts.map((a: AccountInfo) => ({
      id: a.id,
      name: a.name,
      metaAccountId: a.meta_account_id,
      currency: a.currency,
      timezone: a.timezone_name,
    })),
    timezones: [...new Set(context.accounts.map((a) => a.timezone_name))],
    state: pageState(context, opts.isStaff),
    // A queued sync (pending) counts: Refresh would only join it, and numbers are still arriving.
    syncing: context.accounts.some((a) => a.sync_status === "syncing" || a.sync_status === "pending"),
    lastSynced,
    groups,
    reach,
  };
}

const overviewQuery = z.object({
  q: z.string().max(100).optional(),
  sort: z.enum(overviewSorts).optional().catch(undefined),
  dir: z.enum(["asc", "desc"]).optional().catch(undefined),
  archived: z.enum(["1"]).optional().catch(undefined),
});

export async function agencyOverview(opts: { userId: string; agencyId: string; url: URL; now?: Date }) {
  const { params, error } = rangeFromUrl(opts.url);
  const q = overviewQuery.parse({
    q: opts.url.searchParams.get("q")?.slice(0, 100) || undefined,
    sort: opts.url.searchParams.get("sort") || undefined,
    dir: opts.url.searchParams.get("dir") || undefined,
    archived: opts.url.searchParams.get("archived") || undefined,
  });
  const o = await asUser(opts.userId, (tx) => getAgencyOverview(tx, opts.agencyId, params, { includeArchived: q.archived === "1", now: opts.now }));
  const rows = sortAndFilter(o.rows, { q: q.q, sort: q.sort, dir: q.dir });
  // With no ad accounts yet there is no account time zone: show the range as of UTC.
  const r = o.ranges[0] ?? resolveRange(params, "UTC", opts.now);
  return {
    range: {
      preset: params.range,
      presetLabel: PRESET_LABELS[params.range],
      compare: params.compare,
      since: r.since,
      until: r.until,
      // accounts in different zones can be a day apart on relative presets
      zones: o.ranges.length,
    },
    notices: error ? [error] : [],
    query: q,
    total: o.rows.length,
    rows: rows.map((row) => ({
      ...row,
      lines: row.lines.map((l) => ({
        currency: l.currency,
        spend: l.current.spend,
        conversions: l.current.conversions,
        cpa: l.current.cpa,
        roas: l.current.roas,
        change: l.change,
        sparkline: l.sparkline,
      })),
    })),
    totals: o.totals.map((t) => ({
      currency: t.currency,
      clients: t.clients,
      spend: t.current.spend,
      conversions: t.current.conversions,
      cpa: t.current.cpa,
      roas: t.current.roas,
      change: t.previous ? { spend: delta(t.current.spend, t.previous.spend), conversions: delta(t.current.conversions, t.previous.conversions) } : null,
    })),
  };
}

/** The CSV export of a workspace's campaigns or daily series, for the range in the URL. Bad input is a 400. */
export async function workspaceExport(opts: { userId: string; workspaceId: string; workspaceSlug: string; url: URL; kind: ExportKind }) {
  let params: RangeParams;
  try {
    params = parseRangeParams(opts.url.searchParams);
  } catch (err) {
    if (err instanceof InputError) throw new Response(`${err.message}: ${Object.values(err.fields).join("; ")}`, { status: 400 });
    throw err;
  }
  const acc = accountParam.safeParse({ account: opts.url.searchParams.get("account") || undefined });
  if (!acc.success) throw new Response("Unknown ad account", { status: 400 });
  const report = await asUser(opts.userId, async (tx) => {
    try {
      return (await loadWorkspaceReport(tx, opts.workspaceId, params, { accountIds: acc.data.account ? [acc.data.account] : [] })).report;
    } catch (err) {
      if (err instanceof InputError) throw new Response(err.message, { status: 400 });
      throw err;
    }
  });
  return { csv: reportCsv(report, opts.kind), fileName: exportFileName(opts.workspaceSlug, report, opts.kind) };
}
