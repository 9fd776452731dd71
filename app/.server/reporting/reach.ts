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
import { NotFoundError } from "../errors";
import { logger } from "../logger";
import { cached } from "./cache";
import type { DateRange } from "./dates";
import type { Report, WorkspaceContext } from "./workspace";

export type ReachResult = { status: "ok"; reach: number; frequency: number | null; source: "stored" | "live" } | { status: "unavailable"; reason: string };

/** A live fetch of one account's reach for a range (Meta's insights with no time increment). */
export type RangeReachFetcher = (args: { adAccountId: string; since: string; until: string }) => Promise<{ reach: number; impressions?: number | null } | null>;

async function storedReach(tx: Tx, adAccountId: string, r: DateRange) {
  const [row] = await tx<{ reach: string; impressions: string | null }[]>`
    select reach::text as reach, impressions::text as impressions from public.insights_reach
    where ad_account_id = ${adAccountId} and meta_campaign_id = '' and publisher_platform = ''
      and since = ${r.since} and until = ${r.until}`;
  return row ? { reach: Number(row.reach), impressions: row.impressions == null ? null : Number(row.impressions) } : null;
}

function frequencyOf(reach: number, impressions: number | null | undefined, fallbackImpressions: number) {
  // frequency from Meta's own impressions for the range when it sent them, else from our exact sum
  return reach > 0 ? (impressions ?? fallbackImpressions) / reach : null;
}

/**
 * No delivery in our numbers for the range (nothing spent, nobody shown an ad, or history not synced
 * that far back): reach and frequency are absent. Showing Meta's reach beside 0 impressions would be a
 * number that does not add up (frequency = impressions / reach).
 */
const NO_DELIVERY: ReachResult = { status: "unavailable", reason: "No delivery in this range: no reach or frequency" };
const noDelivery = (g: Report["byCurrency"][string]) => Number(g.totalsSums.impressions) === 0;

/** Reach per currency group from what the sync already stored for exactly this range (under the caller's RLS). */
export async function getRangeReach(tx: Tx, ctx: WorkspaceContext, report: Report): Promise<Record<string, ReachResult>> {
  const out: Record<string, ReachResult> = {};
  for (const g of Object.values(report.byCurrency)) {
    if (g.accounts.length !== 1) {
      out[g.currency] = {
        status: "unavailable",
        reason: g.accounts.length === 0 ? "No ad account" : "Reach is per ad account: filter by one account to see it",
      };
      continue;
    }
    if (noDelivery(g)) {
      out[g.currency] = NO_DELIVERY;
      continue;
    }
    const account = g.accounts[0];
    const r = report.range;
    out[g.currency] = await cached(`reach:${ctx.workspaceId}:v${ctx.version}:${account.id}:${r.since}_${r.until}:stored`, async (): Promise<ReachResult> => {
      const found = await storedReach(tx, account.id, r);
      if (!found) return { status: "unavailable", reason: "Reach for this range is not available yet" };
      return { status: "ok", reach: found.reach, frequency: frequencyOf(found.reach, found.impressions, g.totals.impressions), source: "stored" };
    });
  }
  return out;
}

/**
 * Fills the groups that have no stored reach with a live call to Meta. Runs outside any transaction on
 * purpose: the fetcher opens its own (service) transaction, and on the embedded engine a transaction
 * held open meanwhile would block it. Failures become "unavailable" with a reason, never an error page.
 */
export async function completeReachLive(
  ctx: WorkspaceContext,
  report: Report,
  stored: Record<string, ReachResult>,
  fetchLive: RangeReachFetcher,
): Promise<Record<string, ReachResult>> {
  const out = { ...stored };
  for (const g of Object.values(report.byCurrency)) {
    if (out[g.currency]?.status === "ok" || g.accounts.length !== 1 || noDelivery(g)) continue;
    const account = g.accounts[0];
    const r = report.range;
    const key = `reach:${ctx.workspaceId}:v${ctx.version}:${account.id}:${r.since}_${r.until}:live`;
    try {
      out[g.currency] = await cached(key, async (): Promise<ReachResult> => {
        const found = await fetchLive({ adAccountId: account.id, since: r.since, until: r.until });
        if (!found) return { status: "unavailable", reason: "Meta returned no reach for this range" };
        return { status: "ok", reach: found.reach, frequency: frequencyOf(found.reach, found.impressions, g.totals.impressions), source: "live" };
      });
    } catch (err) {
      logger.warn({ err, workspaceId: ctx.workspaceId, adAccountId: account.id }, "range reach unavailable");
      out[g.currency] = {
        status: "unavailable",
        reason: err instanceof NotFoundError ? "No Meta connection for this ad account" : "Meta did not answer; try again later",
      };
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

/**
 * The live source: the sync module's fetchRangeReach (Meta insights for exactly the range, cached in
 * insights_reach at that grain). Called as service: the account id comes from a WorkspaceContext that
 * was read under the user's RLS, so the user's access is already established.
 */
export const liveRangeReach: RangeReachFetcher = async ({ adAccountId, since, until }) => {
  const { fetchRangeReach } = await import("../sync/reach");
  const r = await fetchRangeReach(undefined, adAccountId, since, until);
  // Meta withheld reach for this query: "n/a", never 0
  if (r.reach == null) return null;
  return { reach: Number(r.reach), impressions: r.impressions == null ? null : Number(r.impressions) };
};
