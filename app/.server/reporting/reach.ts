/**
 * Reach and frequency for a range. Reach counts distinct people, so it is never summed across days,
 * platforms, campaigns or ad accounts: it comes from Meta for exactly this range and account, or it
 * is not shown. Two sources, both Meta's own number for the range:
 * - a row of public.insights_reach stored by the sync for exactly (account, since, until);
 * - a live call (the sync module's range-reach fetcher), whose answer is cached by range + version.
 * A currency group with several ad accounts has no reach: Meta cannot de-duplicate people across
 * accounts, and adding the accounts' reach would count people twice.
 */
import type { Tx } from "../db/connection";
import { logger } from "../logger";
import { cached } from "./cache";
import type { DateRange } from "./dates";
import type { Report, WorkspaceContext } from "./workspace";

export type ReachResult =
  | { status: "ok"; reach: number; frequency: number | null; source: "stored" | "live" }
  | { status: "unavailable"; reason: string };

/** A live fetch of one account's reach for a range (Meta's insights with no time increment). */
export type RangeReachFetcher = (args: { adAccountId: string; since: string; until: string }) => Promise<{ reach: number; impressions?: number | null } | null>;

async function storedReach(tx: Tx, adAccountId: string, r: DateRange) {
  const [row] = await tx<{ reach: string; impressions: string | null }[]>`
    select reach::text as reach, impressions::text as impressions from public.insights_reach
    where ad_account_id = ${adAccountId} and meta_campaign_id = '' and publisher_platform = ''
      and since = ${r.since} and until = ${r.until}`;
  return row ? { reach: Number(row.reach), impressions: row.impressions == null ? null : Number(row.impressions) } : null;
}

/**
 * Reach per currency group of a report. `fetchLive` is the sync module's range-reach call; without it
 * (or when it fails) only a stored figure for the exact range is used.
 */
export async function getRangeReach(
  tx: Tx,
  ctx: WorkspaceContext,
  report: Report,
  fetchLive?: RangeReachFetcher,
): Promise<Record<string, ReachResult>> {
  const out: Record<string, ReachResult> = {};
  for (const g of Object.values(report.byCurrency)) {
    if (g.accounts.length !== 1) {
      out[g.currency] = {
        status: "unavailable",
        reason: g.accounts.length === 0 ? "No ad account" : "Reach is per ad account: filter by one account to see it",
      };
      continue;
    }
    const account = g.accounts[0];
    const r = report.range;
    const key = `reach:${ctx.workspaceId}:v${ctx.version}:${account.id}:${r.since}_${r.until}:${fetchLive ? "live" : "stored"}`;
    try {
      out[g.currency] = await cached(key, async (): Promise<ReachResult> => {
        let found: { reach: number; impressions?: number | null } | null = await storedReach(tx, account.id, r);
        let source: "stored" | "live" = "stored";
        if (!found && fetchLive) {
          found = (await fetchLive({ adAccountId: account.id, since: r.since, until: r.until })) ?? null;
          source = "live";
        }
        if (!found) return { status: "unavailable", reason: fetchLive ? "Meta returned no reach for this range" : "Reach for this range is not available yet" };
        // frequency from Meta's own impressions for the range when it sent them, else from our exact sum
        const impressions = found.impressions ?? g.totals.impressions;
        return { status: "ok", reach: found.reach, frequency: found.reach > 0 ? impressions / found.reach : null, source };
      });
    } catch (err) {
      // a Meta error must not break the page: the card says reach is unavailable (and it is retried next time)
      logger.warn({ err, workspaceId: ctx.workspaceId, adAccountId: account.id }, "range reach unavailable");
      out[g.currency] = { status: "unavailable", reason: "Meta did not answer; try again later" };
    }
  }
  return out;
}

/** The report with reach and frequency filled into each currency group's totals (a copy: cached reports are shared). */
export function withReach(report: Report, reach: Record<string, ReachResult>): Report {
  const byCurrency: Report["byCurrency"] = {};
  for (const [cur, g] of Object.entries(report.byCurrency)) {
    const r = reach[cur];
    byCurrency[cur] = {
      ...g,
      totals: { ...g.totals, reach: r?.status === "ok" ? r.reach : null, frequency: r?.status === "ok" ? r.frequency : null },
    };
  }
  return { ...report, byCurrency };
}
