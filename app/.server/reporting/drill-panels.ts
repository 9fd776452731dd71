/**
 * The four audience panels of a drill-down page (age x gender, country, device, placement) in one
 * statement (ADR 0160): the same exact sums as four breakdown level reports (drilldown.ts), read in
 * one pass over the scope's breakdown facts, under one attribution window. The page shows the current
 * period only, so no comparison period is read. Cached by the workspace's data version.
 */
import type { Tx } from "../db/connection";
import { cached } from "./cache";
import { factSource, factWindow, SUMS } from "./drill-facts";
import { BREAKDOWNS, breakdownRow, type Breakdown, type DrillScope, type LevelGroup, type LevelReport } from "./drilldown";
import { rangeKey, type ResolvedRange } from "./dates";
import { metricsFromSums, pickSums, ZERO_SUMS, type Sums } from "./metrics";
import { selectAccounts, type WorkspaceContext } from "./workspace";

type PanelRow = Sums & { currency: string; breakdown: Breakdown; ad_account_id: string | null; k1: string | null; k2: string | null };

/** Computes the four panels (uncached); each is shaped like loadLevelReport's breakdown report. */
export async function computePanels(tx: Tx, ctx: WorkspaceContext, range: ResolvedRange, scope: DrillScope): Promise<Record<Breakdown, LevelReport>> {
  const accounts = selectAccounts(ctx, scope);
  const window = await factWindow(tx, ctx.workspaceId, range, "breakdown");
  const src = factSource("insights_breakdown_daily", ctx.workspaceId, range, window, { accounts, campaignId: scope.campaignId, adsetId: scope.adsetId }, [
    { sql: (n) => `f.breakdown = any($${n}::text[])`, param: BREAKDOWNS },
  ]);
  const rows = await tx.unsafe<PanelRow[]>(
    `select a.currency, f.breakdown, f.ad_account_id::text as ad_account_id, f.key1 as k1, f.key2 as k2, ${SUMS}
     ${src.sql}
     group by grouping sets ((a.currency, f.breakdown), (a.currency, f.breakdown, f.ad_account_id, f.key1, f.key2))`,
    src.params as string[],
  );
  const out = {} as Record<Breakdown, LevelReport>;
  for (const b of BREAKDOWNS) {
    const byCurrency: Record<string, LevelGroup> = {};
    for (const a of accounts)
      byCurrency[a.currency] ??= { currency: a.currency, totalsSums: ZERO_SUMS, totals: metricsFromSums(ZERO_SUMS), previous: null, rows: [] };
    out[b] = { range, level: "adset", breakdown: b, attributionWindow: window, byCurrency };
  }
  for (const r of rows) {
    const g = out[r.breakdown].byCurrency[r.currency]!;
    const sums = pickSums(r);
    if (r.ad_account_id == null) {
      g.totalsSums = sums;
      g.totals = metricsFromSums(sums);
      continue;
    }
    g.rows.push(breakdownRow(r.breakdown, r.ad_account_id, r.k1!, r.k2 ?? undefined, sums));
  }
  for (const rep of Object.values(out))
    for (const g of Object.values(rep.byCurrency))
      g.rows.sort((a, b) => b.metrics.spend - a.metrics.spend || b.metrics.impressions - a.metrics.impressions || a.name.localeCompare(b.name));
  return out;
}

export function getPanels(tx: Tx, ctx: WorkspaceContext, range: ResolvedRange, scope: DrillScope): Promise<Record<Breakdown, LevelReport>> {
  const key = `panels:${ctx.workspaceId}:v${ctx.version}:${rangeKey(range)}:${[...(scope.accountIds ?? [])].sort().join(",")}:${scope.campaignId ?? ""}:${scope.adsetId ?? ""}`;
  return cached(key, () => computePanels(tx, ctx, range, scope));
}
