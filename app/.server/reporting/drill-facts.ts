/**
 * The SQL the drill-down reads facts with (ADR 0160), shared by the level reports (drilldown.ts) and
 * the page's audience panels (drill-panels.ts).
 *
 * - The attribution window comes from insights_fact_windows (a few rows per account-day), not from a
 *   scan of every fact row of the workspace in the range.
 * - Statements are built for the scope they read (only the filters that apply, as literal SQL), so a
 *   prepared statement never settles on a generic plan that cannot use the campaign / ad set indexes.
 * - Currencies come from the workspace context (already read under RLS), joined as a list: no second
 *   RLS check on ad_accounts per statement.
 */
import type { Tx } from "../db/connection";
import { FETCHED_ATTRIBUTION_WINDOW } from "../sync/ads";
import type { DateRange } from "./dates";
import type { AccountInfo } from "./workspace";

export const SUMS = `sum(f.spend)::text as spend, sum(f.impressions)::text as impressions, sum(f.clicks)::text as clicks,
  sum(f.link_clicks)::text as link_clicks, sum(f.conversions)::text as conversions, sum(f.conversion_value)::text as conversion_value`;

/**
 * One attribution window only (ADR 0071): the one the range's facts were read with; when a re-sync left
 * two in the range, the newest read's. `source` 'ad' reads the ad facts' windows, 'breakdown' those of
 * any breakdown family (the panels of a page share one window, as before).
 */
export async function factWindow(tx: Tx, workspaceId: string, range: DateRange, source: "ad" | "breakdown"): Promise<string> {
  const found = await tx.unsafe<{ w: string }[]>(
    `select attribution_window as w from public.insights_fact_windows
     where workspace_id = $1 and date between $2 and $3 and source ${source === "ad" ? "= 'ad'" : "<> 'ad'"}
     group by 1 order by max(fetched_at) desc, 1 limit 1`,
    [workspaceId, range.since, range.until],
  );
  return found[0]?.w ?? FETCHED_ATTRIBUTION_WINDOW;
}

export interface FactScope {
  accounts: Pick<AccountInfo, "id" | "currency" | "meta_account_id">[];
  campaignId?: string;
  adsetId?: string;
}

/**
 * `from … where …` over a fact table (alias f) joined to the accounts' currencies (alias a: id, currency, meta_account_id), for the
 * workspace, range, window and scope; params start at $1. `extra` adds conditions with their params.
 */
export function factSource(
  table: string,
  ws: string,
  r: DateRange,
  window: string,
  scope: FactScope,
  extra: { sql: (n: number) => string; param: unknown }[] = [],
) {
  const params: unknown[] = [ws, r.since, r.until, window, ...(["id", "currency", "meta_account_id"] as const).map((k) => scope.accounts.map((a) => a[k]))];
  const where = [`f.workspace_id = $1`, `f.ad_account_id = any($5::uuid[])`, `f.date between $2 and $3`, `f.attribution_window = $4`];
  if (scope.campaignId) where.push(`f.meta_campaign_id = $${params.push(scope.campaignId)}`);
  if (scope.adsetId) where.push(`f.meta_adset_id = $${params.push(scope.adsetId)}`);
  for (const e of extra) where.push(e.sql(params.push(e.param)));
  return {
    sql: `from public.${table} f join unnest($5::uuid[], $6::text[], $7::text[]) as a(id, currency, meta_account_id) on a.id = f.ad_account_id where ${where.join(" and ")}`,
    params,
  };
}
