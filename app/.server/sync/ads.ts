/**
 * Depth below the campaign (ADR 0080), for the sync core. Runtime-agnostic (the `postgres` client
 * and plain TypeScript), like the rest of the core.
 *
 * - Insights are read per ad x day x publisher_platform. Those rows are the only source of money and
 *   counts: campaign facts (insights_daily, and through its triggers every rollup) are re-derived
 *   from them in SQL in the same transaction, so ad, ad set, campaign and account totals are exact
 *   sums of the same rows.
 * - Audience breakdowns are read per ad set x day for each family of BREAKDOWN_READS.
 * - Every fact row records the attribution window it was fetched with.
 * - Platform, position and bucket names are stored as Meta sends them (no fixed lists).
 */
import type { ActionStat } from "../meta/actions";
import { attributionKey, conversionsUnder, type AttributionChoice } from "../meta/attribution";
import type { DayRange } from "./planner";
import { MetaDataError } from "../meta/errors";

type Tx = import("postgres").TransactionSql;

/**
 * The window conversions are fetched with. The sync sends no action_attribution_windows, so Meta
 * answers with each ad set's own setting ("default"); a workspace choice (issue #13) replaces this
 * value where the request is built, and rows of different windows never meet in a sum.
 */
export const FETCHED_ATTRIBUTION_WINDOW = "default";

const METRIC_FIELDS = ["spend", "impressions", "clicks", "inline_link_clicks", "actions", "action_values"] as const;

export const AD_INSIGHTS_FIELDS = ["campaign_id", "campaign_name", "adset_id", "adset_name", "ad_id", "ad_name", "date_start", "date_stop", ...METRIC_FIELDS];

export type BreakdownFamily = "age_gender" | "country" | "device" | "placement";

/** One async/paged read per family and chunk, at ad set level (key1, key2 = the breakdown columns). */
export const BREAKDOWN_READS: Record<BreakdownFamily, { breakdowns: string[] }> = {
  age_gender: { breakdowns: ["age", "gender"] },
  country: { breakdowns: ["country"] },
  device: { breakdowns: ["device_platform"] },
  placement: { breakdowns: ["publisher_platform", "platform_position"] },
};
export const BREAKDOWN_FIELDS = ["campaign_id", "adset_id", "date_start", "date_stop", ...METRIC_FIELDS];

/** Every ad status, so paused, archived and deleted ads keep their history (Meta hides some by default). */
export const ALL_AD_STATUSES = [
  "ACTIVE",
  "PAUSED",
  "DELETED",
  "PENDING_REVIEW",
  "DISAPPROVED",
  "PREAPPROVED",
  "PENDING_BILLING_INFO",
  "CAMPAIGN_PAUSED",
  "ARCHIVED",
  "ADSET_PAUSED",
  "IN_PROCESS",
  "WITH_ISSUES",
];

interface Metrics {
  /** the attribution windows the conversions were read with (meta/attribution.ts) */
  attribution: string;
  spend: string;
  impressions: string;
  clicks: string;
  linkClicks: string;
  conversions: string;
  conversionValue: string;
}
export interface AdFactRow extends Metrics {
  adId: string;
  adName: string;
  adsetId: string;
  adsetName: string;
  campaignId: string;
  campaignName: string;
  date: string;
  platform: string;
}
export interface BreakdownRow extends Metrics {
  adsetId: string;
  campaignId: string;
  date: string;
  key1: string;
  key2: string;
}

export const INT = /^\d+$/;
const DEC = /^-?\d+(\.\d+)?$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
export const ID = /^\d{1,32}$/;

function num(v: unknown, re: RegExp, field: string): string {
  if (v === undefined || v === null || v === "") return "0";
  const s = String(v);
  if (!re.test(s)) throw new MetaDataError(`Meta sent an invalid ${field}: ${JSON.stringify(s).slice(0, 40)}`);
  return s;
}
function id(v: unknown, field: string): string {
  if (typeof v !== "string" || !ID.test(v)) throw new MetaDataError(`Meta sent an insights row without a valid ${field}`);
  return v;
}
function label(v: unknown, field: string): string {
  if (typeof v !== "string" || v === "" || v.length > 200) throw new MetaDataError(`Meta sent an insights row without a valid ${field}`);
  return v;
}

function metrics(r: Record<string, unknown>, choice: AttributionChoice): Metrics & { date: string } {
  const date = r.date_start;
  if (typeof date !== "string" || !DAY.test(date)) throw new MetaDataError("Meta sent an insights row without a valid date_start");
  if (r.date_stop && r.date_stop !== date) throw new MetaDataError("Meta sent a multi-day row where daily rows were requested");
  const conv = conversionsUnder(r.actions as ActionStat[] | undefined, r.action_values as ActionStat[] | undefined, choice);
  return {
    date,
    attribution: attributionKey(choice, typeof r.attribution_setting === "string" ? r.attribution_setting : null),
    spend: num(r.spend, DEC, "spend"),
    impressions: num(r.impressions, INT, "impressions"),
    clicks: num(r.clicks, INT, "clicks"),
    linkClicks: num(r.inline_link_clicks, INT, "inline_link_clicks"),
    conversions: conv.conversions,
    conversionValue: conv.conversionValue,
  };
}

/** Validates one ad-level row; a malformed row is an error, never silently dropped. */
export function toAdFactRow(r: Record<string, unknown>, choice: AttributionChoice = null): AdFactRow {
  return {
    ...metrics(r, choice),
    adId: id(r.ad_id, "ad_id"),
    adName: typeof r.ad_name === "string" ? r.ad_name : "",
    adsetId: id(r.adset_id, "adset_id"),
    adsetName: typeof r.adset_name === "string" ? r.adset_name : "",
    campaignId: id(r.campaign_id, "campaign_id"),
    campaignName: typeof r.campaign_name === "string" ? r.campaign_name : "",
    platform: label(r.publisher_platform, "publisher_platform"),
  };
}

export function toBreakdownRow(family: BreakdownFamily, r: Record<string, unknown>, choice: AttributionChoice = null): BreakdownRow {
  const [a, b] = BREAKDOWN_READS[family].breakdowns;
  return {
    ...metrics(r, choice),
    adsetId: id(r.adset_id, "adset_id"),
    campaignId: id(r.campaign_id, "campaign_id"),
    key1: label(r[a!], a!),
    key2: b ? label(r[b], b) : "",
  };
}

function inRange(range: DayRange, rows: Array<{ date: string }>): void {
  for (const r of rows)
    if (r.date < range.since || r.date > range.until)
      throw new MetaDataError(`Meta returned a row for ${r.date}, outside the requested range ${range.since}..${range.until}`);
}

const metricJson = (r: Metrics) => ({ w: r.attribution, s: r.spend, i: r.impressions, k: r.clicks, l: r.linkClicks, cv: r.conversions, v: r.conversionValue });

export interface AdFactsInput {
  adAccountId: string;
  workspaceId: string;
  range: DayRange;
  window: string;
  rows: AdFactRow[];
}

/**
 * The ad rows of a chunk in transactions of at most `batch` rows (a big account's month is tens of
 * thousands of rows; on the embedded engine one statement that size holds every other request),
 * `guard` first in each. The campaign facts are derived afterwards, in the chunk's own transaction
 * (deriveCampaignFacts), so headline numbers change all at once; a run stopped midway re-reads the
 * chunk and replace makes it exact.
 */
export async function writeAdFactsBatched(sql: import("postgres").Sql, input: AdFactsInput, guard: (tx: Tx) => Promise<void>, batch = 5000): Promise<number> {
  inRange(input.range, input.rows);
  let written = 0;
  for (let i = 0; i === 0 || i < input.rows.length; i += batch) {
    const rows = input.rows.slice(i, i + batch);
    written += (await sql.begin(async (tx) => {
      await guard(tx);
      if (i === 0)
        await tx`delete from public.insights_ad_daily where ad_account_id = ${input.adAccountId} and date between ${input.range.since}::date and ${input.range.until}::date`;
      return insertAdRows(tx, { ...input, rows });
    })) as number;
  }
  return written;
}

async function insertAdRows(tx: Tx, input: AdFactsInput): Promise<number> {
  const { adAccountId: acc, workspaceId: ws, range } = input;
  inRange(range, input.rows);
  if (input.rows.length === 0) return 0;
  const byKey = new Map<string, AdFactRow>();
  for (const r of input.rows) byKey.set(`${r.adId}|${r.date}|${r.platform}`, r);
  const payload = JSON.stringify([...byKey.values()].map((r) => ({ a: r.adId, as: r.adsetId, c: r.campaignId, d: r.date, p: r.platform, ...metricJson(r) })));
  const ins = await tx`
    insert into public.insights_ad_daily
      (ad_account_id, date, meta_ad_id, publisher_platform, attribution_window, workspace_id, meta_adset_id, meta_campaign_id,
       spend, impressions, clicks, link_clicks, conversions, conversion_value)
    select ${acc}::uuid, u.d, u.a, u.p, u.w, ${ws}::uuid, u.as, u.c, u.s, u.i, u.k, u.l, u.cv, u.v
    from json_to_recordset(${payload}::text::json)
      as u(a text, "as" text, c text, d date, p text, w text, s numeric, i bigint, k bigint, l bigint, cv numeric, v numeric)
    on conflict (ad_account_id, date, meta_ad_id, publisher_platform, attribution_window) do update set
      meta_adset_id = excluded.meta_adset_id, meta_campaign_id = excluded.meta_campaign_id, spend = excluded.spend,
      impressions = excluded.impressions, clicks = excluded.clicks, link_clicks = excluded.link_clicks,
      conversions = excluded.conversions, conversion_value = excluded.conversion_value, fetched_at = now()`;
  return ins.count;
}

/** Campaign facts of the range as sums of the same ad rows (exact numeric sums), never a second read. */
export async function deriveCampaignFacts(tx: Tx, input: Omit<AdFactsInput, "rows">): Promise<number> {
  const { adAccountId: acc, workspaceId: ws, range } = input;
  await tx`delete from public.insights_daily where ad_account_id = ${acc} and date between ${range.since}::date and ${range.until}::date`;
  // one read per range, so one attribution per campaign row; ad sets on different settings of their
  // own make the campaign row 'mixed', which reports never add into conversions (ADR 0071)
  const camp = await tx`
    insert into public.insights_daily
      (ad_account_id, meta_campaign_id, date, publisher_platform, workspace_id, spend, impressions, clicks, link_clicks, conversions, conversion_value, attribution, fetched_at)
    select ad_account_id, meta_campaign_id, date, publisher_platform, ${ws}::uuid, sum(spend), sum(impressions), sum(clicks),
           sum(link_clicks), sum(conversions), sum(conversion_value),
           case when min(attribution_window) = max(attribution_window) then min(attribution_window) else 'mixed' end, now()
    from public.insights_ad_daily
    where ad_account_id = ${acc} and date between ${range.since}::date and ${range.until}::date
    group by ad_account_id, meta_campaign_id, date, publisher_platform`;
  return camp.count;
}

type BreakdownInput = { adAccountId: string; workspaceId: string; range: DayRange; window: string; family: BreakdownFamily; rows: BreakdownRow[] };

/** Replaces one family's facts for the range in the caller's transaction. */
export async function replaceBreakdownFacts(tx: Tx, input: BreakdownInput): Promise<number> {
  await tx`delete from public.insights_breakdown_daily where ad_account_id = ${input.adAccountId} and breakdown = ${input.family} and date between ${input.range.since}::date and ${input.range.until}::date`;
  return insertBreakdownRows(tx, input);
}

/**
 * The same in transactions of at most `batch` rows (a family of a big account is hundreds of
 * thousands of rows a month; on the embedded engine one huge statement would hold every other
 * request). `guard` runs first in each (the sync's lease check). Readers may see a family partly
 * written for a moment; a run that stops midway re-reads the chunk, and replace makes that exact.
 */
export async function replaceBreakdownFactsBatched(
  sql: import("postgres").Sql,
  input: BreakdownInput,
  guard: (tx: Tx) => Promise<void>,
  batch = 5000,
): Promise<number> {
  inRange(input.range, input.rows);
  let written = 0;
  for (let i = 0; i === 0 || i < input.rows.length; i += batch) {
    const rows = input.rows.slice(i, i + batch);
    written += (await sql.begin(async (tx) => {
      await guard(tx);
      return i === 0 ? replaceBreakdownFacts(tx, { ...input, rows }) : insertBreakdownRows(tx, { ...input, rows });
    })) as number;
  }
  return written;
}

async function insertBreakdownRows(tx: Tx, input: BreakdownInput): Promise<number> {
  const { adAccountId: acc, workspaceId: ws, range, family } = input;
  inRange(range, input.rows);
  if (input.rows.length === 0) return 0;
  const byKey = new Map<string, BreakdownRow>();
  for (const r of input.rows) byKey.set(`${r.adsetId}|${r.date}|${r.key1}|${r.key2}`, r);
  const payload = JSON.stringify([...byKey.values()].map((r) => ({ as: r.adsetId, c: r.campaignId, d: r.date, k1: r.key1, k2: r.key2, ...metricJson(r) })));
  const r = await tx`
    insert into public.insights_breakdown_daily
      (ad_account_id, breakdown, date, meta_adset_id, key1, key2, attribution_window, workspace_id, meta_campaign_id,
       spend, impressions, clicks, link_clicks, conversions, conversion_value)
    select ${acc}::uuid, ${family}, u.d, u.as, u.k1, u.k2, u.w, ${ws}::uuid, u.c, u.s, u.i, u.k, u.l, u.cv, u.v
    from json_to_recordset(${payload}::text::json)
      as u("as" text, c text, d date, k1 text, k2 text, w text, s numeric, i bigint, k bigint, l bigint, cv numeric, v numeric)
    on conflict (ad_account_id, breakdown, date, meta_adset_id, key1, key2, attribution_window) do update set
      spend = excluded.spend, impressions = excluded.impressions, clicks = excluded.clicks, link_clicks = excluded.link_clicks,
      conversions = excluded.conversions, conversion_value = excluded.conversion_value, fetched_at = now()`;
  return r.count;
}
