/**
 * Insights at ad set and ad level, and with audience breakdowns (age, gender, country, region,
 * device_platform, platform_position). Campaign/account queries without these breakdowns stay in
 * insights.ts; both read the same campaign x platform x day units, so every level sums exactly.
 */
import { Aggregator, DataModel, NowCtx, Totals, UnitValues } from "./data";
import { AdAccount, Campaign, PLATFORMS } from "./world";
import { Ad, AdSet, adSetsOf, isEmpty, splitToAds, splitToAdSets } from "./ads-world";
import { bucketsFor, dropOffMeta, familyOf, splitToBuckets, type Family } from "./ads-breakdowns";
import { buckets, buildRow, HIDDEN, InsightsOptions, InsightsQuery, matchOp, type Filter } from "./insights";
import { paramError } from "./errors";
import type { Credit } from "./attribution";
import { addMonths } from "./util";

export interface AdScope {
  campaign?: Campaign;
  adset?: AdSet;
  ad?: Ad;
}

export interface AdInsightsOptions extends InsightsOptions {
  /** age/gender rows with fewer impressions are left out (small audiences); 0 keeps every row */
  breakdownMinImpressions: number;
}

/** True when a query needs ad sets, ads or audience buckets (else insights.ts answers it). */
export function needsAdsPath(q: InsightsQuery, scope: AdScope): boolean {
  return q.level === "adset" || q.level === "ad" || !!scope.adset || !!scope.ad || q.breakdowns.some((b) => b !== "publisher_platform");
}

export function adsetEffectiveStatus(s: AdSet): string {
  const cs = s.campaign.status;
  if (cs === "ARCHIVED" || cs === "DELETED") return cs;
  if (cs === "PAUSED") return "CAMPAIGN_PAUSED";
  return s.status;
}

export function adEffectiveStatus(a: Ad): string {
  const es = adsetEffectiveStatus(a.adset);
  if (es !== "ACTIVE") return es === "PAUSED" ? "ADSET_PAUSED" : es;
  return a.status;
}

export interface Cell {
  since: number;
  until: number;
  campaign: Campaign | null;
  adset: AdSet | null;
  ad: Ad | null;
  keys: Record<string, string>;
  t: Totals & { credit: Credit };
}

interface Plan {
  campaigns: Campaign[];
  adsetOk: (s: AdSet) => boolean;
  adOk: (a: Ad) => boolean;
  platformIdx: number[];
  metricFilters: Filter[];
  family: Family | null;
  byPlatform: boolean;
}

function plan(acct: AdAccount, seed: string, scope: AdScope, q: InsightsQuery, opts: InsightsOptions): Plan {
  let campaigns = scope.campaign ? [scope.campaign] : acct.campaigns;
  const adsetTests: Array<(s: AdSet) => boolean> = [];
  const adTests: Array<(a: Ad) => boolean> = [];
  const platformFilters: Filter[] = [];
  const metricFilters: Filter[] = [];
  let statusFiltered = false;
  for (const f of q.filters) {
    const field = String(f.field);
    if (field === "campaign.effective_status" || field === "effective_status" || field === "campaign.status") {
      statusFiltered = true;
      campaigns = campaigns.filter((c) => matchOp(f.operator, c.status, f.value));
    } else if (field === "adset.effective_status") {
      statusFiltered = true;
      adsetTests.push((s) => matchOp(f.operator, adsetEffectiveStatus(s), f.value));
    } else if (field === "ad.effective_status") {
      statusFiltered = true;
      adTests.push((a) => matchOp(f.operator, adEffectiveStatus(a), f.value));
    } else if (field === "campaign.id") campaigns = campaigns.filter((c) => matchOp(f.operator, c.id, f.value));
    else if (field === "campaign.name") campaigns = campaigns.filter((c) => matchOp(f.operator, c.name, f.value));
    else if (field === "campaign.objective" || field === "objective") campaigns = campaigns.filter((c) => matchOp(f.operator, c.objective, f.value));
    else if (field === "adset.id") adsetTests.push((s) => matchOp(f.operator, s.id, f.value));
    else if (field === "ad.id") adTests.push((a) => matchOp(f.operator, a.id, f.value));
    else if (field === "publisher_platform") platformFilters.push(f);
    else if (["spend", "impressions", "clicks", "reach", "inline_link_clicks"].includes(field)) metricFilters.push(f);
    else
      throw paramError(
        `Filtering field ${field} is invalid. Please refer to https://developers.facebook.com/docs/marketing-api/insights/parameters for the list of valid filtering fields`,
      );
  }
  if (opts.hideArchivedInInsights && !statusFiltered && q.level !== "account" && !scope.campaign && !scope.adset && !scope.ad) {
    campaigns = campaigns.filter((c) => !HIDDEN.has(c.status));
  }
  if (scope.adset) adsetTests.push((s) => s === scope.adset);
  if (scope.ad) adTests.push((a) => a === scope.ad);
  const { family, byPlatform } = familyOf(q.breakdowns);
  void seed;
  return {
    campaigns,
    adsetOk: (s) => adsetTests.every((t) => t(s)),
    adOk: (a) => adTests.every((t) => t(a)),
    platformIdx: PLATFORMS.map((_, i) => i).filter((i) => platformFilters.every((f) => matchOp(f.operator, PLATFORMS[i]!, f.value))),
    metricFilters,
    family,
    byPlatform,
  };
}

/** Aggregated cells of a query (unformatted, in minor units): the one place numbers are summed. */
export function collectCells(model: DataModel, acct: AdAccount, scope: AdScope, q: InsightsQuery, now: NowCtx, opts: AdInsightsOptions): Cell[] {
  const it = cellSteps(model, acct, scope, q, now, opts);
  for (;;) {
    const r = it.next();
    if (r.done) return r.value;
  }
}

/**
 * The same, giving the event loop a turn every few hundred units: a big ad-level or breakdown query
 * takes seconds of CPU, and in demo mode the emulator shares its process with the web server.
 */
export async function collectCellsAsync(
  model: DataModel,
  acct: AdAccount,
  scope: AdScope,
  q: InsightsQuery,
  now: NowCtx,
  opts: AdInsightsOptions,
): Promise<Cell[]> {
  const it = cellSteps(model, acct, scope, q, now, opts);
  for (;;) {
    const r = it.next();
    if (r.done) return r.value;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function* cellSteps(model: DataModel, acct: AdAccount, scope: AdScope, q: InsightsQuery, now: NowCtx, opts: AdInsightsOptions): Generator<void, Cell[]> {
  let work = 0;
  const seed = model.seed;
  const p = plan(acct, seed, scope, q, opts);
  const toAds = q.level === "ad" || !!scope.ad || q.filters.some((f) => String(f.field).startsWith("ad."));
  const out: Cell[] = [];
  for (const range of q.ranges) {
    for (const b of buckets(range, q.increment)) {
      const cells = new Map<string, { cell: Cell; agg: Aggregator }>();
      const add = (c: Campaign, set: AdSet | null, ad: Ad | null, keys: Record<string, string>, v: UnitValues) => {
        const ent = q.level === "account" ? "" : q.level === "campaign" ? c.id : q.level === "adset" ? set!.id : ad!.id;
        const key = `${ent}|${Object.values(keys).join("|")}`;
        let e = cells.get(key);
        if (!e) {
          e = {
            cell: {
              since: b.since,
              until: b.until,
              campaign: q.level === "account" ? null : c,
              adset: q.level === "adset" || q.level === "ad" ? set : null,
              ad: q.level === "ad" ? ad : null,
              keys,
              t: null as never,
            },
            agg: new Aggregator(acct),
          };
          cells.set(key, e);
        }
        e.agg.add(c, v);
      };
      for (const c of p.campaigns) {
        const sets = adSetsOf(seed, c);
        for (const pi of p.platformIdx) {
          const platform = PLATFORMS[pi]!;
          for (let d = b.since; d <= Math.min(b.until, now.today); d++) {
            const v = model.unit(c, pi, d, now);
            if (!v) continue;
            if (++work % 200 === 0) yield;
            const setParts = splitToAdSets(seed, c, d, v);
            sets.forEach((set, si) => {
              const sp = setParts[si]!;
              if (isEmpty(sp) || !p.adsetOk(set)) return;
              const parts: Array<[Ad | null, UnitValues]> = toAds
                ? splitToAds(seed, set, d, sp)
                    .map((x, ai) => [set.ads[ai]!, x] as [Ad, UnitValues])
                    .filter(([a, x]) => !isEmpty(x) && p.adOk(a))
                : [[null, sp]];
              for (const [ad, part] of parts) {
                const base: Record<string, string> = p.byPlatform ? { publisher_platform: platform } : {};
                if (!p.family) {
                  add(c, set, ad, base, part);
                  continue;
                }
                const bks = bucketsFor(p.family, acct, set, platform);
                const keyed = keyedBuckets(bks, q.breakdowns, p.byPlatform ? platform : null);
                splitToBuckets(part, bks).forEach((x, k) => {
                  if (isEmpty(x)) return;
                  add(c, set, ad, keyed[k]!, p.family === "region" ? dropOffMeta(x) : x);
                });
              }
            });
          }
        }
      }
      for (const { cell, agg } of cells.values()) {
        cell.t = agg.finish();
        if (cell.t.impressions === 0 && cell.t.spend === 0 && opts.omitZeroRows !== false) continue;
        if (p.family === "age_gender" && cell.t.impressions < opts.breakdownMinImpressions) continue;
        out.push(cell);
      }
    }
  }
  return out;
}

const keyedCache = new WeakMap<object, Map<string, Array<Record<string, string>>>>();
/** The key objects of a bucket list for the requested columns (shared, so cells compare cheaply). */
function keyedBuckets(bks: Array<{ keys: Record<string, string> }>, breakdowns: string[], platform: string | null): Array<Record<string, string>> {
  let m = keyedCache.get(bks);
  if (!m) keyedCache.set(bks, (m = new Map()));
  const k = `${breakdowns.join(",")}|${platform ?? ""}`;
  let v = m.get(k);
  if (!v) m.set(k, (v = bks.map((b) => ({ ...(platform ? { publisher_platform: platform } : {}), ...pick(b.keys, breakdowns) }))));
  return v;
}

/** Only the columns asked for: `age` alone groups the age x gender buckets by age. */
function pick(keys: Record<string, string>, breakdowns: string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (const [k, v] of Object.entries(keys)) if (breakdowns.includes(k)) o[k] = v;
  return o;
}

/** Result rows, formatted the way Meta formats them (async: see collectCellsAsync). */
export async function runAdInsights(
  model: DataModel,
  acct: AdAccount,
  scope: AdScope,
  q: InsightsQuery,
  now: NowCtx,
  opts: AdInsightsOptions,
): Promise<Array<Record<string, unknown>>> {
  const p = plan(acct, model.seed, scope, q, opts);
  const cells = await collectCellsAsync(model, acct, scope, q, now, opts);
  const fields = q.fields.length ? q.fields : ["impressions", "spend"];
  const reachCutoff = addMonths(now.today, -13);
  const rows: Array<Record<string, unknown>> = [];
  for (const cell of cells) {
    const row = buildRow(acct, cell.campaign, { ...q, level: q.level === "ad" ? "adset" : q.level }, fields, cell.t, cell, null);
    if (cell.adset) {
      if (fields.includes("adset_id")) row.adset_id = cell.adset.id;
      if (fields.includes("adset_name")) row.adset_name = cell.adset.name;
    }
    if (cell.ad) {
      if (fields.includes("ad_id")) row.ad_id = cell.ad.id;
      if (fields.includes("ad_name")) row.ad_name = cell.ad.name;
    }
    // Since 2025-06-10 Meta omits reach, frequency and cpp with breakdowns for starts > 13 months back.
    if (q.breakdowns.length && cell.since < reachCutoff) {
      delete row.reach;
      delete row.frequency;
      delete row.cpp;
    }
    Object.assign(row, cell.keys);
    if (p.metricFilters.length && !p.metricFilters.every((f) => matchOp(f.operator, Number(row[f.field] ?? 0), f.value))) continue;
    rows.push(row);
  }
  return rows;
}
