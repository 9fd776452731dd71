/**
 * Reports below the campaign (ADR 0080): rows per account, campaign, ad set or ad, or per audience
 * bucket, for a date range, grouped by currency. Every number is an exact SQL sum of the ad x day x
 * platform facts (or of the ad set breakdown facts), so ads sum to ad sets, ad sets to campaigns and
 * campaigns to the account. Ratios come from sums; reach is never summed (rows carry none).
 * Only facts of one attribution window are read. Takes a `tx` from asUser (pages: RLS decides) or
 * asService (CLI), like workspace.ts, and caches by the workspace's data version.
 */
import type { Tx } from "../db/connection";
import { InputError, NotFoundError } from "../errors";
import { cached } from "./cache";
import { factSource, factWindow, SUMS, type FactScope } from "./drill-facts";
import { rangeKey, resolveRange, type DateRange, type RangeParams, type ResolvedRange } from "./dates";
import { metricsFromSums, pickSums, ZERO_SUMS, type Metrics, type Sums } from "./metrics";
import { loadWorkspaceContext, reportTimezone, selectAccounts, type ReportFilter, type WorkspaceContext } from "./workspace";

export const LEVELS = ["account", "campaign", "adset", "ad"] as const;
export type Level = (typeof LEVELS)[number];
export const BREAKDOWNS = ["age_gender", "country", "device", "placement"] as const;
export type Breakdown = (typeof BREAKDOWNS)[number];
/** The breakdown columns of each family, in key1/key2 order (names as Meta sends them). */
export const BREAKDOWN_KEYS: Record<Breakdown, string[]> = {
  age_gender: ["age", "gender"],
  country: ["country"],
  device: ["device_platform"],
  placement: ["publisher_platform", "platform_position"],
};

export interface DrillScope extends ReportFilter {
  /** Meta ids: restrict to one campaign / one ad set */
  campaignId?: string;
  adsetId?: string;
}

export interface LevelRow {
  id: string;
  name: string;
  adAccountId: string;
  parentId?: string;
  key?: Record<string, string>;
  info: Record<string, string | null>;
  sums: Sums;
  metrics: Metrics;
}
export interface LevelGroup {
  currency: string;
  totalsSums: Sums;
  totals: Metrics;
  previous: Metrics | null;
  rows: LevelRow[];
}
export interface LevelReport {
  range: ResolvedRange;
  level: Level;
  breakdown: Breakdown | null;
  attributionWindow: string;
  byCurrency: Record<string, LevelGroup>;
}

const GROUPING: Record<Level, { id: string; parent: string | null }> = {
  account: { id: "a.meta_account_id", parent: null },
  campaign: { id: "f.meta_campaign_id", parent: null },
  adset: { id: "f.meta_adset_id", parent: "f.meta_campaign_id" },
  ad: { id: "f.meta_ad_id", parent: "f.meta_adset_id" },
};

/** One bucket of a breakdown (age × gender, country…) of one ad account, as a report row. */
export function breakdownRow(breakdown: Breakdown, adAccountId: string, k1: string, k2: string | undefined, sums: Sums): LevelRow {
  const names = BREAKDOWN_KEYS[breakdown];
  const key: Record<string, string> = { [names[0]!]: k1 };
  if (names[1]) key[names[1]] = k2!;
  return { id: Object.values(key).join("/"), name: Object.values(key).join(" · "), adAccountId, key, info: {}, sums, metrics: metricsFromSums(sums) };
}

type FactRow = Sums & { currency: string; ad_account_id: string; id: string | null; parent_id: string | null; k1?: string; k2?: string };

async function factRows(
  tx: Tx,
  ws: string,
  r: DateRange,
  scope: FactScope,
  level: Level,
  breakdown: Breakdown | null,
  totalsOnly: boolean,
  window: string,
): Promise<FactRow[]> {
  const table = breakdown ? "insights_breakdown_daily" : "insights_ad_daily";
  const g = GROUPING[level];
  const keys = breakdown ? "f.key1 as k1, f.key2 as k2" : `${g.id} as id, ${g.parent ?? "null"} as parent_id`;
  const groupKeys = breakdown ? "f.key1, f.key2" : [g.id, g.parent].filter(Boolean).join(", ");
  // grouping sets: one pass yields the rows and each currency's total
  const groups = totalsOnly ? "a.currency" : `grouping sets ((a.currency), (a.currency, f.ad_account_id, ${groupKeys}))`;
  const src = factSource(table, ws, r, window, scope, breakdown ? [{ sql: (n) => `f.breakdown = $${n}`, param: breakdown }] : []);
  return tx.unsafe<FactRow[]>(
    `select a.currency, ${totalsOnly ? "null as ad_account_id, null as id, null as parent_id" : `f.ad_account_id::text as ad_account_id, ${keys}`}, ${SUMS}
     ${src.sql}
     group by ${groups}`,
    src.params as string[],
  );
}

interface Info {
  ad_account_id: string;
  id: string;
  parent_id: string | null;
  name: string;
  info: Record<string, string | null>;
}

/** Names, statuses and creative fields of the level's objects in scope (zero-delivery ones included). */
async function objects(tx: Tx, ws: string, level: Level, scope: DrillScope): Promise<Info[]> {
  const c = scope.campaignId ?? null;
  const s = scope.adsetId ?? null;
  if (level === "campaign") {
    return tx<Info[]>`select ad_account_id::text, meta_campaign_id as id, null as parent_id, name,
        json_build_object('status', coalesce(effective_status, status), 'objective', objective) as info
      from public.campaigns where workspace_id = ${ws} and (${c}::text is null or meta_campaign_id = ${c})`;
  }
  if (level === "adset") {
    return tx<Info[]>`select ad_account_id::text, meta_adset_id as id, meta_campaign_id as parent_id, name,
        json_build_object('status', coalesce(effective_status, status), 'optimization_goal', optimization_goal,
          'daily_budget', daily_budget::text, 'lifetime_budget', lifetime_budget::text, 'bid_strategy', bid_strategy) as info
      from public.ad_sets where workspace_id = ${ws} and (${c}::text is null or meta_campaign_id = ${c}) and (${s}::text is null or meta_adset_id = ${s})`;
  }
  if (level === "ad") {
    return tx<Info[]>`select a.ad_account_id::text, a.meta_ad_id as id, a.meta_adset_id as parent_id, a.name,
        json_build_object('status', coalesce(a.effective_status, a.status), 'creative_id', a.creative_id, 'title', a.title, 'body', a.body,
          'call_to_action', a.call_to_action, 'preview_url', a.preview_url,
          'image', case when ci.status = 'ok' or ci.bytes is not null then a.creative_id end) as info
      from public.ads a left join public.creative_images ci on ci.ad_account_id = a.ad_account_id and ci.creative_id = a.creative_id
      where a.workspace_id = ${ws} and (${c}::text is null or a.meta_campaign_id = ${c}) and (${s}::text is null or a.meta_adset_id = ${s})`;
  }
  return [];
}

export interface LevelQuery {
  level: Level;
  breakdown?: Breakdown | null;
  scope?: DrillScope;
}

/** Computes a level or breakdown report (uncached). */
export async function computeLevelReport(tx: Tx, ctx: WorkspaceContext, range: ResolvedRange, q: LevelQuery): Promise<LevelReport> {
  const scope = q.scope ?? {};
  const accounts = selectAccounts(ctx, scope);
  const breakdown = q.breakdown ?? null;
  const level: Level = breakdown ? "adset" : q.level;
  const ws = ctx.workspaceId;
  const window = await factWindow(tx, ws, range, breakdown ? "breakdown" : "ad");
  const fs: FactScope = { accounts, campaignId: scope.campaignId, adsetId: scope.adsetId };
  // issued together: postgres.js pipelines them on the transaction's connection (one wait, not three)
  const [rows, prev, infos] = await Promise.all([
    factRows(tx, ws, range, fs, level, breakdown, false, window),
    range.previous ? factRows(tx, ws, range.previous, fs, level, breakdown, true, window) : [],
    breakdown || level === "account" ? [] : objects(tx, ws, level, scope),
  ]);
  // zero-delivery objects are listed only under a chosen parent (a campaign's ad sets, an ad set's ads)
  const listAll =
    !breakdown && ((level === "adset" && !!scope.campaignId) || (level === "ad" && !!scope.adsetId) || (level === "campaign" && !!scope.campaignId));
  const infoBy = new Map(infos.map((i) => [`${i.ad_account_id}:${i.id}`, i]));
  const accountBy = new Map(accounts.map((a) => [a.id, a]));

  const byCurrency: Record<string, LevelGroup> = {};
  const group = (currency: string) =>
    (byCurrency[currency] ??= {
      currency,
      totalsSums: ZERO_SUMS,
      totals: metricsFromSums(ZERO_SUMS),
      previous: range.previous ? metricsFromSums(ZERO_SUMS) : null,
      rows: [],
    });
  for (const a of accounts) group(a.currency);
  const seen = new Set<string>();
  for (const r of rows) {
    const sums = pickSums(r);
    const g = group(r.currency);
    if (r.ad_account_id == null) {
      g.totalsSums = sums;
      g.totals = metricsFromSums(sums);
      continue;
    }
    if (breakdown) {
      g.rows.push(breakdownRow(breakdown, r.ad_account_id, r.k1!, r.k2, sums));
      continue;
    }
    const info = infoBy.get(`${r.ad_account_id}:${r.id}`);
    seen.add(`${r.ad_account_id}:${r.id}`);
    const name = level === "account" ? (accountBy.get(r.ad_account_id)?.name ?? r.id!) : (info?.name ?? r.id!);
    g.rows.push({
      id: r.id!,
      name,
      adAccountId: r.ad_account_id,
      ...(r.parent_id ? { parentId: r.parent_id } : {}),
      info: info?.info ?? {},
      sums,
      metrics: metricsFromSums(sums),
    });
  }
  if (listAll) {
    for (const i of infos) {
      if (seen.has(`${i.ad_account_id}:${i.id}`)) continue;
      const a = accountBy.get(i.ad_account_id);
      if (!a) continue;
      group(a.currency).rows.push({
        id: i.id,
        name: i.name,
        adAccountId: i.ad_account_id,
        ...(i.parent_id ? { parentId: i.parent_id } : {}),
        info: i.info,
        sums: ZERO_SUMS,
        metrics: metricsFromSums(ZERO_SUMS),
      });
    }
  }
  for (const p of prev) if (p.ad_account_id == null) group(p.currency).previous = metricsFromSums(pickSums(p));
  for (const g of Object.values(byCurrency))
    g.rows.sort((a, b) => b.metrics.spend - a.metrics.spend || b.metrics.impressions - a.metrics.impressions || a.name.localeCompare(b.name));
  return { range, level, breakdown, attributionWindow: window, byCurrency };
}

export function getLevelReport(tx: Tx, ctx: WorkspaceContext, range: ResolvedRange, q: LevelQuery): Promise<LevelReport> {
  const s = q.scope ?? {};
  const key = `level:${ctx.workspaceId}:v${ctx.version}:${rangeKey(range)}:${q.level}:${q.breakdown ?? ""}:${[...(s.accountIds ?? [])].sort().join(",")}:${s.campaignId ?? ""}:${s.adsetId ?? ""}`;
  return cached(key, () => computeLevelReport(tx, ctx, range, q));
}

/** Context + resolved range + level report (pages and the CLI). */
export async function loadLevelReport(tx: Tx, workspaceId: string, params: RangeParams, q: LevelQuery, now = new Date()) {
  const context = await loadWorkspaceContext(tx, workspaceId);
  const accounts = selectAccounts(context, q.scope ?? {});
  const range = resolveRange(params, reportTimezone(accounts), now);
  const report = await getLevelReport(tx, context, range, q);
  return { context, range, report };
}

export function parseLevel(v: string | undefined): Level {
  if (!v || !(LEVELS as readonly string[]).includes(v)) throw new InputError(`level must be one of ${LEVELS.join(", ")}`, { level: "invalid" });
  return v as Level;
}
export function parseBreakdown(v: string | undefined | null): Breakdown | null {
  if (v == null || v === "") return null;
  if (!(BREAKDOWNS as readonly string[]).includes(v)) throw new InputError(`breakdown must be one of ${BREAKDOWNS.join(", ")}`, { breakdown: "invalid" });
  return v as Breakdown;
}

/** The campaign or ad set a drill-down page shows (404 when it is not in this workspace: RLS or absent). */
export async function findDrillObject(tx: Tx, workspaceId: string, kind: "campaign" | "adset", metaId: string) {
  if (!/^\d{1,32}$/.test(metaId)) throw new NotFoundError(`No such ${kind === "adset" ? "ad set" : kind}`);
  const rows =
    kind === "campaign"
      ? await tx<{ ad_account_id: string; id: string; name: string; status: string | null; parent_id: null; parent_name: null }[]>`
          select ad_account_id::text, meta_campaign_id as id, name, coalesce(effective_status, status) as status, null as parent_id, null as parent_name
          from public.campaigns where workspace_id = ${workspaceId} and meta_campaign_id = ${metaId} limit 1`
      : await tx<{ ad_account_id: string; id: string; name: string; status: string | null; parent_id: string; parent_name: string | null }[]>`
          select s.ad_account_id::text, s.meta_adset_id as id, s.name, coalesce(s.effective_status, s.status) as status, s.meta_campaign_id as parent_id, c.name as parent_name
          from public.ad_sets s left join public.campaigns c on c.ad_account_id = s.ad_account_id and c.meta_campaign_id = s.meta_campaign_id
          where s.workspace_id = ${workspaceId} and s.meta_adset_id = ${metaId} limit 1`;
  if (!rows[0]) throw new NotFoundError(`No such ${kind === "adset" ? "ad set" : kind}`);
  return rows[0];
}
