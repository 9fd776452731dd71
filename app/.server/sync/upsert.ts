/**
 * Writing facts. Runtime-agnostic: only the `postgres` client's tagged queries.
 *
 * Replace semantics: a re-read day range of an account is deleted and re-inserted in the caller's
 * transaction, so rows Meta no longer returns (a campaign whose spend was restated to zero) go away,
 * and a reader sees either the old days or the new ones, never a mix. The insert is one multi-row
 * statement per chunk (a single round trip), and still upserts on the primary
 * key so it is idempotent even without the delete (e.g. a retried statement).
 */
import type { ActionStat } from "../meta/actions";
import { attributionKey, conversionsUnder, type AttributionChoice, type AttributionKey } from "../meta/attribution";
import type { DayRange } from "./planner";
import { MetaDataError } from "../meta/errors";

/** One insights row as Meta returns it at level=campaign, breakdowns=publisher_platform, time_increment=1. */
export interface MetaInsightsRow {
  campaign_id?: string;
  campaign_name?: string;
  date_start?: string;
  date_stop?: string;
  publisher_platform?: string;
  spend?: string;
  impressions?: string;
  clicks?: string;
  inline_link_clicks?: string;
  actions?: ActionStat[];
  action_values?: ActionStat[];
  /** Meta's name of the attribution setting the row's `value`s use (asked for with the account's own setting) */
  attribution_setting?: string;
}

/** A validated fact row: every number is an exact decimal string. */
export interface FactRow {
  campaignId: string;
  campaignName: string;
  date: string;
  platform: string;
  spend: string;
  impressions: string;
  clicks: string;
  linkClicks: string;
  conversions: string;
  conversionValue: string;
  actions: ActionStat[] | null;
  actionValues: ActionStat[] | null;
  /** the attribution windows the conversions were read with (meta/attribution.ts) */
  attribution: AttributionKey;
}

const INT = /^\d+$/;
const DEC = /^-?\d+(\.\d+)?$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

function num(v: unknown, re: RegExp, field: string): string {
  if (v === undefined || v === null || v === "") return "0";
  const s = String(v);
  if (!re.test(s)) throw new MetaDataError(`Meta sent an invalid ${field}: ${JSON.stringify(s).slice(0, 40)}`);
  return s;
}

/**
 * Validates and converts one Meta row; a malformed row is an error, never silently dropped.
 * `choice`: the attribution windows the row was requested with (null: the ad account's own setting).
 */
export function toFactRow(r: MetaInsightsRow, choice: AttributionChoice = null): FactRow {
  if (!r.campaign_id || !/^\d+$/.test(r.campaign_id)) throw new MetaDataError("Meta sent an insights row without a valid campaign_id");
  if (!r.date_start || !DAY.test(r.date_start)) throw new MetaDataError("Meta sent an insights row without a valid date_start");
  if (r.date_stop && r.date_stop !== r.date_start) throw new MetaDataError("Meta sent a multi-day row where daily rows were requested");
  if (!r.publisher_platform) throw new MetaDataError("Meta sent an insights row without publisher_platform");
  const conv = conversionsUnder(r.actions, r.action_values, choice);
  return {
    campaignId: r.campaign_id,
    campaignName: r.campaign_name ?? "",
    date: r.date_start,
    platform: r.publisher_platform,
    spend: num(r.spend, DEC, "spend"),
    impressions: num(r.impressions, INT, "impressions"),
    clicks: num(r.clicks, INT, "clicks"),
    linkClicks: num(r.inline_link_clicks, INT, "inline_link_clicks"),
    conversions: conv.conversions,
    conversionValue: conv.conversionValue,
    actions: r.actions?.length ? r.actions : null,
    actionValues: r.action_values?.length ? r.action_values : null,
    attribution: attributionKey(choice, r.attribution_setting),
  };
}

/** Last row wins per primary key: paging that repeats a row must not make the statement fail. */
export function dedupeFacts(rows: FactRow[]): FactRow[] {
  const byKey = new Map<string, FactRow>();
  for (const r of rows) byKey.set(`${r.campaignId}|${r.date}|${r.platform}`, r);
  return [...byKey.values()];
}

type Tx = import("postgres").TransactionSql;

export interface ReplaceInput {
  adAccountId: string;
  workspaceId: string;
  range: DayRange;
  rows: FactRow[];
}

/** Replaces the account's facts for the range with `rows` (inside the caller's transaction). */
export async function replaceFacts(tx: Tx, input: ReplaceInput): Promise<{ deleted: number; written: number }> {
  const { adAccountId, workspaceId, range } = input;
  for (const r of input.rows) {
    if (r.date < range.since || r.date > range.until) {
      throw new MetaDataError(`Meta returned a row for ${r.date}, outside the requested range ${range.since}..${range.until}`);
    }
  }
  const rows = dedupeFacts(input.rows);
  const deleted = await tx`
    delete from public.insights_daily
    where ad_account_id = ${adAccountId} and date between ${range.since}::date and ${range.until}::date`;
  const written = await insertFacts(tx, adAccountId, workspaceId, rows);
  return { deleted: deleted.count, written };
}

/**
 * One statement for any number of rows: the rows travel as one JSON parameter and are expanded
 * server-side by json_to_recordset (measured ~15 % faster than unnest() over eleven text arrays, and
 * numbers stay exact: they are JSON strings cast straight to numeric).
 */
export async function insertFacts(tx: Tx, adAccountId: string, workspaceId: string, rows: FactRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const payload = JSON.stringify(
    rows.map((r) => ({
      c: r.campaignId,
      d: r.date,
      p: r.platform,
      s: r.spend,
      i: r.impressions,
      k: r.clicks,
      l: r.linkClicks,
      cv: r.conversions,
      v: r.conversionValue,
      a: r.actions,
      av: r.actionValues,
      at: r.attribution,
    })),
  );
  const result = await tx`
    insert into public.insights_daily as d
      (ad_account_id, workspace_id, meta_campaign_id, date, publisher_platform, spend, impressions, clicks,
       link_clicks, conversions, conversion_value, actions, action_values, attribution, fetched_at)
    select ${adAccountId}::uuid, ${workspaceId}::uuid, u.c, u.d, u.p, u.s, u.i, u.k, u.l, u.cv, u.v, u.a, u.av, u.at, now()
    from json_to_recordset(${payload}::text::json)
      as u(c text, d date, p text, s numeric, i bigint, k bigint, l bigint, cv numeric, v numeric, a jsonb, av jsonb, at text)
    on conflict (ad_account_id, meta_campaign_id, date, publisher_platform) do update set
      spend = excluded.spend, impressions = excluded.impressions, clicks = excluded.clicks,
      link_clicks = excluded.link_clicks, conversions = excluded.conversions,
      conversion_value = excluded.conversion_value, actions = excluded.actions,
      action_values = excluded.action_values, attribution = excluded.attribution, fetched_at = excluded.fetched_at`;
  return result.count;
}

export interface CampaignRow {
  id: string;
  name: string;
  objective?: string | null;
  status?: string | null;
  effective_status?: string | null;
}

/**
 * Upserts campaign names (and, when known, objective/status). Rows seen only in insights carry a
 * name but no status: those keep whatever status the campaigns list stored.
 */
export async function upsertCampaigns(tx: Tx, adAccountId: string, workspaceId: string, campaigns: CampaignRow[]): Promise<number> {
  const byId = new Map<string, CampaignRow>();
  for (const c of campaigns) if (c.id && c.name !== undefined) byId.set(c.id, { ...byId.get(c.id), ...c });
  if (byId.size === 0) return 0;
  const list = [...byId.values()];
  const r = await tx`
    insert into public.campaigns as c (ad_account_id, workspace_id, meta_campaign_id, name, objective, status, effective_status, updated_at)
    select ${adAccountId}::uuid, ${workspaceId}::uuid, u.id, u.name, u.objective, u.status, u.effective_status, now()
    from unnest(${list.map((c) => c.id)}::text[], ${list.map((c) => c.name)}::text[], ${list.map((c) => c.objective ?? null)}::text[],
                ${list.map((c) => c.status ?? null)}::text[], ${list.map((c) => c.effective_status ?? null)}::text[])
      as u(id, name, objective, status, effective_status)
    on conflict (ad_account_id, meta_campaign_id) do update set
      name = excluded.name,
      objective = coalesce(excluded.objective, c.objective),
      status = coalesce(excluded.status, c.status),
      effective_status = coalesce(excluded.effective_status, c.effective_status),
      updated_at = now()`;
  return r.count;
}

/** Bumps the workspace's data version (caches key on it; live updates announce it). */
export async function bumpDataVersion(tx: Tx, workspaceId: string): Promise<number> {
  const [row] = await tx<{ version: string }[]>`
    update public.data_versions set version = version + 1, updated_at = now()
    where workspace_id = ${workspaceId} returning version`;
  if (!row) throw new Error(`workspace ${workspaceId} has no data version row`);
  return Number(row.version);
}
