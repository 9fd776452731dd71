/**
 * The drill-down's read path at a big client (migration 0160, ADR 0160):
 * - insights_fact_windows (rows and newest fetched_at per account x source x day x attribution
 *   window, kept by triggers) equals what the fact tables hold after a backfill, a chunk replaced the
 *   way the sync writes it, an upsert, a restatement under another window, deletes and a cascade;
 * - the window a report reads follows it (the newest read's window when a range holds two);
 * - the page's four panels in one statement equal the four breakdown level reports, exactly.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { asService, asUser, sql } from "../../app/.server/db/connection";
import { parseRangeParams } from "../../app/.server/reporting";
import { BREAKDOWNS, loadLevelReport } from "../../app/.server/reporting/drilldown";
import { computePanels } from "../../app/.server/reporting/drill-panels";
import { factWindow } from "../../app/.server/reporting/drill-facts";
import { clearReportCache } from "../../app/.server/reporting/cache";
import { loadWorkspaceContext } from "../../app/.server/reporting/workspace";
import { resolveRange } from "../../app/.server/reporting/dates";
import { replaceBreakdownFacts, writeAdFactsBatched } from "../../app/.server/sync/ads";
import { createAgencyFixture } from "../helpers/factories";

let fx: Awaited<ReturnType<typeof createAgencyFixture>>;
let ws: string;
let usd: string;
let jpy: string;
const DAYS = ["2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04"];
const FAMILIES = {
  age_gender: [
    ["25-34", "female"],
    ["25-34", "male"],
    ["Unknown", "unknown"],
  ],
  country: [
    ["US", ""],
    ["CA", ""],
  ],
  device: [
    ["mobile_app", ""],
    ["desktop", ""],
  ],
  placement: [
    ["facebook", "feed"],
    ["instagram", "story"],
  ],
} as const;

/** Facts of one account: 2 campaigns x 2 ad sets x 2 ads x 2 platforms per day; breakdowns per ad set. */
async function seedAccount(acc: string, scale: number) {
  await asService(async (tx) => {
    let n = 0;
    for (const d of DAYS)
      for (const c of ["c1", "c2"])
        for (const s of ["1", "2"])
          for (const a of ["1", "2"])
            for (const p of ["facebook", "instagram"]) {
              n++;
              await tx`insert into public.insights_ad_daily (ad_account_id, date, meta_ad_id, publisher_platform, attribution_window, workspace_id, meta_adset_id, meta_campaign_id,
                  spend, impressions, clicks, link_clicks, conversions, conversion_value)
                values (${acc}, ${d}, ${`${c}s${s}a${a}`}, ${p}, 'default', ${ws}, ${`${c}s${s}`}, ${c}, ${((n * 137) % 9000) / 100 + scale}, ${100 + n}, ${n % 7}, ${n % 5}, ${n % 3}, ${(n % 3) * 12.35})`;
            }
    for (const d of DAYS)
      for (const c of ["c1", "c2"])
        for (const s of ["1", "2"])
          for (const [fam, buckets] of Object.entries(FAMILIES))
            for (const [k1, k2] of buckets) {
              n++;
              await tx`insert into public.insights_breakdown_daily (ad_account_id, breakdown, date, meta_adset_id, key1, key2, attribution_window, workspace_id, meta_campaign_id,
                  spend, impressions, clicks, link_clicks, conversions, conversion_value)
                values (${acc}, ${fam}, ${d}, ${`${c}s${s}`}, ${k1}, ${k2}, 'default', ${ws}, ${c}, ${((n * 71) % 5000) / 100 + scale}, ${50 + n}, ${n % 4}, ${n % 3}, ${n % 2}, ${(n % 2) * 7.77})`;
            }
  });
}

/** Rows of insights_fact_windows that differ from the facts (count, newest fetched_at), for this workspace. */
async function drift() {
  return asService(
    (tx) => tx`
    with facts as (
      select ad_account_id, 'ad' as source, date, attribution_window, count(*) as n, max(fetched_at) as at
      from public.insights_ad_daily where workspace_id = ${ws} group by 1, 2, 3, 4
      union all
      select ad_account_id, breakdown, date, attribution_window, count(*), max(fetched_at)
      from public.insights_breakdown_daily where workspace_id = ${ws} group by 1, 2, 3, 4
    ), kept as (select * from public.insights_fact_windows where workspace_id = ${ws})
    select facts.source, facts.date::text, facts.n::int, kept.fact_rows::int as kept
    from facts full join kept using (ad_account_id, source, date, attribution_window)
    where facts.n is distinct from kept.fact_rows or facts.at is distinct from kept.fetched_at`,
  );
}
const entries = async () => Number((await asService((tx) => tx`select count(*) as n from public.insights_fact_windows where workspace_id = ${ws}`))[0]!.n);

beforeAll(async () => {
  fx = await createAgencyFixture({ workspaces: 1 });
  ws = fx.workspaces[0]!.id;
  [usd, jpy] = await asService(async (tx) => {
    const ids: string[] = [];
    for (const [cur, tz, meta] of [
      ["USD", "America/New_York", `act_${Date.now()}1`],
      ["JPY", "Asia/Tokyo", `act_${Date.now()}2`],
    ]) {
      const [a] = await tx<{ id: string }[]>`insert into public.ad_accounts (agency_id, workspace_id, meta_account_id, name, currency, timezone_name)
        values (${fx.agency.id}, ${ws}, ${meta}, ${cur}, ${cur}, ${tz}) returning id`;
      ids.push(a!.id);
    }
    return ids as [string, string];
  });
  await seedAccount(usd, 0.01);
  await seedAccount(jpy, 100);
});

describe("insights_fact_windows", () => {
  it("equals the facts after a backfill: one entry per account x source x day x window", async () => {
    expect(await drift()).toEqual([]);
    expect(await entries()).toBe(2 * DAYS.length * 5);
  });

  it("stays equal when the sync replaces a chunk (ad facts in batches, a breakdown family) and upserts", async () => {
    const range = { since: "2026-10-02", until: "2026-10-03" };
    const rows = ["2026-10-02", "2026-10-03"].flatMap((d) =>
      ["c1s1a1", "c1s1a2", "c2s2a1"].map((ad) => ({
        adId: ad,
        adsetId: ad.slice(0, 4),
        campaignId: ad.slice(0, 2),
        date: d,
        platform: "facebook",
        attribution: "default",
        spend: "3.21",
        impressions: 10,
        clicks: 1,
        linkClicks: 1,
        conversions: 0,
        conversionValue: "0",
      })),
    );
    // batches of 2 rows: the first transaction deletes the range, the others insert
    await writeAdFactsBatched(sql(), { adAccountId: usd, workspaceId: ws, range, window: "default", rows: rows as never }, async () => {}, 2);
    expect(await drift()).toEqual([]);
    await asService((tx) =>
      replaceBreakdownFacts(tx, {
        adAccountId: usd,
        workspaceId: ws,
        range,
        window: "default",
        family: "country",
        rows: [
          {
            adsetId: "c1s1",
            campaignId: "c1",
            date: "2026-10-02",
            key1: "US",
            key2: "",
            attribution: "default",
            spend: "1",
            impressions: 1,
            clicks: 0,
            linkClicks: 0,
            conversions: 0,
            conversionValue: "0",
          },
        ] as never,
      }),
    );
    expect(await drift()).toEqual([]);
    // the country family has no row left on 10-03 for this account: its entry is gone
    const [{ n }] = await asService(
      (tx) => tx`select count(*)::int as n from public.insights_fact_windows where ad_account_id = ${usd} and source = 'country' and date = '2026-10-03'`,
    );
    expect(n).toBe(0);
    await asService(
      (
        tx,
      ) => tx`insert into public.insights_ad_daily (ad_account_id, date, meta_ad_id, publisher_platform, attribution_window, workspace_id, meta_adset_id, meta_campaign_id, spend, impressions)
      values (${usd}, '2026-10-02', 'c1s1a1', 'facebook', 'default', ${ws}, 'c1s1', 'c1', 9.99, 99), (${usd}, '2026-10-02', 'c9s1a1', 'facebook', 'default', ${ws}, 'c9s1', 'c9', 1, 1)
      on conflict (ad_account_id, date, meta_ad_id, publisher_platform, attribution_window) do update set spend = excluded.spend, fetched_at = now() + interval '1 second'`,
    );
    expect(await drift()).toEqual([]);
  });

  it("follows a restatement under another window: the newest read's window is read until its rows go", async () => {
    const range = { since: "2026-10-01", until: "2026-10-04" };
    expect(await asService((tx) => factWindow(tx, ws, range, "ad"))).toBe("default");
    await asService(
      (
        tx,
      ) => tx`insert into public.insights_ad_daily (ad_account_id, date, meta_ad_id, publisher_platform, attribution_window, workspace_id, meta_adset_id, meta_campaign_id, spend, impressions, fetched_at)
      values (${jpy}, '2026-10-04', 'c1s1a1', 'facebook', '7d_click', ${ws}, 'c1s1', 'c1', 500, 10, now() + interval '1 hour')`,
    );
    expect(await drift()).toEqual([]);
    expect(await asService((tx) => factWindow(tx, ws, range, "ad"))).toBe("7d_click");
    expect(await asService((tx) => factWindow(tx, ws, { since: "2026-10-01", until: "2026-10-03" }, "ad"))).toBe("default");
    expect(await asService((tx) => factWindow(tx, ws, range, "breakdown"))).toBe("default");
    // a reader who may see the workspace gets the same answer under RLS; an outsider reads nothing
    expect(await asUser(fx.viewer.id, (tx) => factWindow(tx, ws, range, "ad"))).toBe("7d_click");
    await asService((tx) => tx`delete from public.insights_ad_daily where ad_account_id = ${jpy} and attribution_window = '7d_click'`);
    expect(await drift()).toEqual([]);
    expect(await asService((tx) => factWindow(tx, ws, range, "ad"))).toBe("default");
  });

  it("loses a deleted day and a deleted account's entries (cascade)", async () => {
    await asService((tx) => tx`delete from public.insights_breakdown_daily where ad_account_id = ${jpy} and date = '2026-10-01'`);
    expect(await drift()).toEqual([]);
    const before = await entries();
    const [extra] = await asService(
      (tx) => tx<{ id: string }[]>`insert into public.ad_accounts (agency_id, workspace_id, meta_account_id, name, currency, timezone_name)
        values (${fx.agency.id}, ${ws}, ${`act_${Date.now()}9`}, 'Gone', 'EUR', 'Europe/Berlin') returning id`,
    );
    await asService(
      (
        tx,
      ) => tx`insert into public.insights_ad_daily (ad_account_id, date, meta_ad_id, publisher_platform, attribution_window, workspace_id, meta_adset_id, meta_campaign_id, spend)
      values (${extra!.id}, '2026-10-01', 'x', 'facebook', 'default', ${ws}, 'xs', 'xc', 1)`,
    );
    expect(await entries()).toBe(before + 1);
    await asService((tx) => tx`delete from public.ad_accounts where id = ${extra!.id}`);
    expect(await entries()).toBe(before);
    expect(await drift()).toEqual([]);
  });
});

describe("the page's panels in one statement", () => {
  it("equal the four breakdown level reports exactly, per scope and currency", async () => {
    const params = parseRangeParams({ since: "2026-10-01", until: "2026-10-04", compare: "none" });
    for (const [acc, cur] of [
      [usd, "USD"],
      [jpy, "JPY"],
    ] as const)
      for (const scope of [{ accountIds: [acc], campaignId: "c1" }, { accountIds: [acc], adsetId: "c2s1" }, { accountIds: [acc] }]) {
        clearReportCache();
        const panels = await asUser(fx.member.id, async (tx) => {
          const ctx = await loadWorkspaceContext(tx, ws);
          return computePanels(tx, ctx, resolveRange(params, "UTC", new Date("2026-11-01")), scope);
        });
        for (const b of BREAKDOWNS) {
          const { report } = await asUser(fx.member.id, (tx) =>
            loadLevelReport(tx, ws, params, { level: "adset", breakdown: b, scope }, new Date("2026-11-01")),
          );
          const want = report.byCurrency[cur]!;
          const got = panels[b].byCurrency[cur]!;
          expect(got.totalsSums, `${cur} ${b} ${JSON.stringify(scope)}`).toEqual(want.totalsSums);
          expect(
            got.rows.map((r) => [r.id, r.sums]),
            `${cur} ${b}`,
          ).toEqual(want.rows.map((r) => [r.id, r.sums]));
          expect(got.rows.length).toBeGreaterThan(0);
          expect(panels[b].attributionWindow).toBe(report.attributionWindow);
        }
      }
  });
});
