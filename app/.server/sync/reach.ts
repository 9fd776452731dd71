/**
 * Reach for one date range, straight from Meta. Reach counts distinct people, so it is never summed
 * from days, platforms or campaigns: each (range, campaign, platform) is asked for and cached in
 * insights_reach exactly at the grain fetched.
 *
 * `tx` (optional) is the caller's transaction: pass the asUser transaction of a request, and the ad
 * account is looked up under RLS first (another tenant's id is "not found"). The token read and the
 * cache write are service actions.
 */
import { asService, type Tx } from "../db/connection";
import { NotFoundError } from "../errors";
import { graphClientFromEnv } from "../meta/graph";
import { markNeedsReauth } from "../meta/connection-client";
import { getConnectionToken } from "../meta/token-store";
import { isMetaApiError } from "../meta/errors";
import { accountToday, assertDay, RESTATEMENT_DAYS, addDays } from "./planner";
import { ALL_CAMPAIGN_STATUSES } from "./range-reader";
import type { GraphPort } from "./types";
import { MetaDataError } from "../meta/errors";

export interface RangeReach {
  /**
   * null = Meta omitted reach: since 2025-06-10 queries with breakdowns whose start is more than 13
   * months back come without reach, frequency and cpp. Shown as "n/a", never 0, and never cached.
   */
  reach: string | null;
  impressions: string | null;
  fetchedAt: Date;
  cached: boolean;
}

/** A cached value of a range still inside Meta's restatement window is refreshed after this long. */
const FRESH_MS = 15 * 60_000;

export async function fetchRangeReach(
  tx: Tx | undefined,
  adAccountId: string,
  since: string,
  until: string,
  opts: { campaign?: string; platform?: string; graphFor?: (token: string) => GraphPort; now?: Date } = {},
): Promise<RangeReach> {
  assertDay(since, "since");
  assertDay(until, "until");
  if (until < since) throw new Error("until must not be before since");
  if (opts.campaign !== undefined && !/^\d{1,32}$/.test(opts.campaign)) throw new Error("campaign must be a Meta campaign id");
  if (opts.platform !== undefined && !/^[a-z_]{1,40}$/.test(opts.platform)) throw new Error("platform must be a publisher platform");
  const lookup = (q: Tx) =>
    q<{ id: string; workspace_id: string; meta_account_id: string; timezone_name: string; connection_id: string | null }[]>`
      select id, workspace_id, meta_account_id, timezone_name, connection_id from public.ad_accounts where id = ${adAccountId}`;
  const [acct] = tx ? await lookup(tx) : await asService(lookup);
  if (!acct) throw new NotFoundError();
  const campaign = opts.campaign ?? "";
  const platform = opts.platform ?? "";
  const now = opts.now ?? new Date();

  const [hit] = await asService(
    (q) => q<{ reach: string; impressions: string | null; fetched_at: Date }[]>`
    select reach::text, impressions::text, fetched_at from public.insights_reach
    where ad_account_id = ${acct.id} and meta_campaign_id = ${campaign} and publisher_platform = ${platform}
      and since = ${since} and until = ${until}`,
  );
  // Days older than the restatement window are final: their reach never changes.
  const final = until < addDays(accountToday(acct.timezone_name, now), -RESTATEMENT_DAYS);
  if (hit && (final || now.getTime() - hit.fetched_at.getTime() < FRESH_MS)) {
    return { reach: hit.reach, impressions: hit.impressions, fetchedAt: hit.fetched_at, cached: true };
  }
  if (!acct.connection_id) throw new NotFoundError("This ad account has no Meta connection");
  const token = await asService((q) => getConnectionToken(q, acct.connection_id!));
  const graph = opts.graphFor ? opts.graphFor(token) : graphClientFromEnv(token);
  const filtering: object[] = [{ field: "campaign.effective_status", operator: "IN", value: ALL_CAMPAIGN_STATUSES }];
  if (campaign) filtering.push({ field: "campaign.id", operator: "EQUAL", value: campaign });
  if (platform) filtering.push({ field: "publisher_platform", operator: "IN", value: [platform] });
  let rows: { reach?: string; impressions?: string; publisher_platform?: string }[];
  try {
    rows = await graph
      .get<{ data: typeof rows }>(`${acct.meta_account_id}/insights`, {
        level: campaign ? "campaign" : "account",
        fields: "reach,impressions",
        time_range: { since, until },
        ...(platform ? { breakdowns: ["publisher_platform"] } : {}),
        filtering,
      })
      .then((r) => r?.data ?? []);
  } catch (err) {
    if (isMetaApiError(err, "token_invalid")) await asService((q) => markNeedsReauth(q, acct.connection_id!, err.metaMessage ?? err.message));
    throw err;
  }
  const row = platform ? rows.find((r) => r.publisher_platform === platform) : rows[0];
  const impressions = row?.impressions ?? "0";
  // A row without reach is Meta withholding it (old range with a breakdown), not zero people.
  if (row && row.reach === undefined) return { reach: null, impressions, fetchedAt: now, cached: false };
  // no row at all: no delivery in the range, nobody reached
  const reach = row?.reach ?? "0";
  if (!/^\d+$/.test(reach) || !/^\d+$/.test(impressions)) throw new MetaDataError("Meta sent a non-integer reach or impressions");
  const [saved] = await asService(
    (q) => q<{ fetched_at: Date }[]>`
    insert into public.insights_reach (ad_account_id, workspace_id, meta_campaign_id, publisher_platform, since, until, reach, impressions, fetched_at)
    values (${acct.id}, ${acct.workspace_id}, ${campaign}, ${platform}, ${since}, ${until}, ${reach}, ${impressions}, now())
    on conflict (ad_account_id, meta_campaign_id, publisher_platform, since, until)
      do update set reach = excluded.reach, impressions = excluded.impressions, fetched_at = excluded.fetched_at
    returning fetched_at`,
  );
  return { reach, impressions, fetchedAt: saved!.fetched_at, cached: false };
}
