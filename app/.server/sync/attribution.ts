/**
 * The sync's side of attribution windows (ADR 0071). Runtime-agnostic: only the `postgres` client.
 *
 * - What a workspace chose (`workspaceAttribution`), read by the runner for every account.
 * - The `conversions` re-sync: after a workspace changes its choice, each account's stored history is
 *   read again with the conversion fields only, and only the conversion columns of the stored facts
 *   change (`updateConversions`): spend, impressions and clicks are not touched.
 * - `refreshAccountAttribution` keeps ad_accounts.conversions_attribution (the one attribution all of
 *   the account's facts share, or 'mixed'), which reports use to never add up different windows.
 */
import type { TransactionSql } from "postgres";
import { attributionKey, parseAttributionChoice, type AttributionChoice, type AttributionKey } from "../meta/attribution";
import type { DayRange } from "./planner";
import { dedupeFacts, type FactRow } from "./upsert";

type Tx = TransactionSql;

/** Fields of a conversions-only read (the breakdown and daily grain stay those of the facts). */
export const CONVERSION_FIELDS = ["campaign_id", "date_start", "date_stop", "actions", "action_values"] as const;

/** The workspace's choice of windows; null = each ad account's own setting. */
export async function workspaceAttribution(tx: Tx, workspaceId: string): Promise<AttributionChoice> {
  const [w] = await tx<{ attribution_windows: string[] | null }[]>`select attribution_windows from public.workspaces where id = ${workspaceId}`;
  // A stored value is valid by the column's check; parse anyway so the order is canonical.
  return parseAttributionChoice(w?.attribution_windows ?? null);
}

/**
 * Replaces the conversion columns of the account's stored facts in `range` with `rows` (read under
 * the new attribution). Facts of the range that Meta returned no row for had no conversions under
 * it: they get zero, with the new attribution. Runs inside the caller's transaction; the rollup
 * triggers apply the difference.
 */
export async function updateConversions(tx: Tx, input: { adAccountId: string; range: DayRange; rows: FactRow[]; choice: AttributionChoice }): Promise<number> {
  const { adAccountId, range } = input;
  const payload = JSON.stringify(
    dedupeFacts(input.rows).map((r) => ({
      c: r.campaignId,
      d: r.date,
      p: r.platform,
      cv: r.conversions,
      v: r.conversionValue,
      a: r.actions,
      av: r.actionValues,
      at: r.attribution,
    })),
  );
  const updated = input.rows.length
    ? await tx`
        update public.insights_daily d set
          conversions = u.cv, conversion_value = u.v, actions = u.a, action_values = u.av, attribution = u.at, fetched_at = now()
        from json_to_recordset(${payload}::text::json) as u(c text, d date, p text, cv numeric, v numeric, a jsonb, av jsonb, at text)
        where d.ad_account_id = ${adAccountId} and d.meta_campaign_id = u.c and d.date = u.d and d.publisher_platform = u.p
          and d.date between ${range.since}::date and ${range.until}::date`
    : { count: 0 };
  // Rows Meta did not return: no conversions under the new attribution. With an explicit choice the
  // key is known; with the accounts' own setting it is, when every returned row agrees on one.
  const keys = new Set(input.rows.map((r) => r.attribution));
  const key: AttributionKey | null = input.choice ? attributionKey(input.choice) : keys.size === 1 ? [...keys][0]! : null;
  if (key) {
    await tx`
      update public.insights_daily set conversions = 0, conversion_value = 0, actions = null, action_values = null, attribution = ${key}, fetched_at = now()
      where ad_account_id = ${adAccountId} and date between ${range.since}::date and ${range.until}::date and attribution <> ${key}`;
  }
  return updated.count;
}

/**
 * Recomputes ad_accounts.conversions_attribution from the stored facts: two probes of the
 * (ad_account_id, attribution) index, cheap enough for every committed chunk.
 */
export async function refreshAccountAttribution(tx: Tx, adAccountId: string): Promise<string | null> {
  const [r] = await tx<{ lo: string | null; hi: string | null }[]>`
    select min(attribution) as lo, max(attribution) as hi from public.insights_daily where ad_account_id = ${adAccountId}`;
  const value = !r?.lo ? null : r.lo === r.hi ? r.lo : "mixed";
  await tx`update public.ad_accounts set conversions_attribution = ${value} where id = ${adAccountId} and conversions_attribution is distinct from ${value}`;
  return value;
}
