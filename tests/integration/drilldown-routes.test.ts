/**
 * Drill-down routes with real Requests and session cookies: staff and client viewers read the
 * campaign and ad set pages (read-only), other agencies get 404 for every id, creative images come
 * from our database with safe headers, CSV exports per level and breakdown are exact and escaped.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { asService } from "../../app/.server/db/connection";
import * as campaignPage from "../../app/routes/a.$agency.w.$workspace.campaigns.$campaign";
import * as adsetPage from "../../app/routes/a.$agency.w.$workspace.adsets.$adset";
import * as creative from "../../app/routes/a.$agency.w.$workspace.creatives.$creative";
import * as levelExport from "../../app/routes/a.$agency.w.$workspace.export.level.$kind";
import { addViewer, createAgencyFixture, createUser } from "../helpers/factories";
import { requestAs } from "../helpers/session";

type Handler = (args: { request: Request; params: Record<string, string>; context: Record<string, unknown> }) => unknown;
async function run(fn: Handler, request: Request, params: Record<string, string>) {
  let out: unknown;
  try {
    out = await fn({ request, params, context: {} });
  } catch (err) {
    if (!(err instanceof Response)) throw err;
    out = err;
  }
  if (out instanceof Response)
    return {
      status: out.status,
      body: out.status === 200 && out.headers.get("content-type")?.startsWith("image/") ? "" : await out.text(),
      headers: out.headers,
      data: null as any,
      res: out,
    };
  return { status: 200, body: "", headers: new Headers(), data: out as any, res: null };
}

let A: Awaited<ReturnType<typeof createAgencyFixture>>;
let B: Awaited<ReturnType<typeof createAgencyFixture>>;
let viewer: string;
const PNG = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex");

beforeAll(async () => {
  A = await createAgencyFixture({ workspaces: 2 });
  B = await createAgencyFixture({ workspaces: 1 });
  viewer = (await createUser()).id;
  await addViewer(A.workspaces[0].id, viewer);
  await asService(async (tx) => {
    const ws = A.workspaces[0].id;
    const [a] = await tx<{ id: string }[]>`
      insert into public.ad_accounts (agency_id, workspace_id, meta_account_id, name, currency, timezone_name, sync_status)
      values (${A.agency.id}, ${ws}, 'act_777', 'Main USD', 'USD', 'UTC', 'ok') returning id`;
    await tx`insert into public.campaigns (ad_account_id, meta_campaign_id, workspace_id, name, effective_status) values (${a!.id}, '901', ${ws}, 'Spring', 'ACTIVE')`;
    await tx`insert into public.ad_sets (ad_account_id, meta_adset_id, workspace_id, meta_campaign_id, name, effective_status, daily_budget)
      values (${a!.id}, '9011', ${ws}, '901', 'Broad', 'ACTIVE', 50), (${a!.id}, '9012', ${ws}, '901', 'Idle', 'PAUSED', null)`;
    await tx`insert into public.ads (ad_account_id, meta_ad_id, workspace_id, meta_adset_id, meta_campaign_id, name, effective_status, creative_id, title)
      values (${a!.id}, '90111', ${ws}, '9011', '901', '=HYPERLINK("http://evil")', 'ACTIVE', '555', 'Hello'), (${a!.id}, '90112', ${ws}, '9011', '901', 'Second', 'ACTIVE', null, null)`;
    await tx`insert into public.creative_images (ad_account_id, creative_id, workspace_id, content_type, bytes, sha256, status) values (${a!.id}, '555', ${ws}, 'image/png', ${PNG}, 'abc', 'ok')`;
    for (const [ad, day, p, spend, impr, clicks, conv, value] of [
      ["90111", "2026-10-01", "facebook", "10.10", 1000, 20, 2, "50.00"],
      ["90111", "2026-10-02", "instagram", "5.05", 500, 5, 0, "0"],
      ["90112", "2026-10-02", "threads", "0.01", 10, 0, 0, "0"],
    ] as const) {
      await tx`insert into public.insights_ad_daily (ad_account_id, date, meta_ad_id, publisher_platform, attribution_window, workspace_id, meta_adset_id, meta_campaign_id, spend, impressions, clicks, link_clicks, conversions, conversion_value)
        values (${a!.id}, ${day}, ${ad}, ${p}, 'default', ${ws}, '9011', '901', ${spend}, ${impr}, ${clicks}, ${clicks}, ${conv}, ${value})`;
    }
    // a row left from an older read under another attribution window is never added in
    await tx`insert into public.insights_ad_daily (ad_account_id, date, meta_ad_id, publisher_platform, attribution_window, workspace_id, meta_adset_id, meta_campaign_id, spend, impressions, fetched_at)
      values (${a!.id}, '2026-10-01', '90111', 'facebook', '1d_click', ${ws}, '9011', '901', 99, 9999, now() - interval '1 day')`;
    await tx`insert into public.insights_breakdown_daily (ad_account_id, breakdown, date, meta_adset_id, key1, key2, attribution_window, workspace_id, meta_campaign_id, spend, impressions, clicks)
      values (${a!.id}, 'placement', '2026-10-01', '9011', 'threads', 'threads_feed', 'default', ${ws}, '901', 3.00, 300, 3),
             (${a!.id}, 'placement', '2026-10-01', '9011', 'facebook', 'feed', 'default', ${ws}, '901', 7.10, 700, 17)`;
    await tx`update public.data_versions set version = version + 1 where workspace_id = ${ws}`;
  });
});

const p = (extra: Record<string, string> = {}) => ({ agency: A.agency.slug, workspace: A.workspaces[0].slug, ...extra });
const RANGE = "since=2026-10-01&until=2026-10-02&compare=none";

describe("drill-down pages", () => {
  it("the campaign page lists its ad sets (zero-delivery ones too) with exact sums; the viewer sees the same", async () => {
    for (const who of [A.member.id, viewer]) {
      const r = await run(campaignPage.loader as Handler, await requestAs(who, `/x?${RANGE}`), p({ campaign: "901" }));
      expect(r.status).toBe(200);
      expect(r.data.object).toMatchObject({ kind: "campaign", id: "901", name: "Spring" });
      const g = r.data.groups[0];
      expect(g.totals.spend).toBeCloseTo(15.16, 10);
      expect(g.totals.impressions).toBe(1510);
      expect(g.rows.map((x: any) => [x.id, x.metrics.impressions])).toEqual([
        ["9011", 1510],
        ["9012", 0],
      ]);
      expect(r.data.breakdowns.placement[0].rows.map((x: any) => x.key)).toContainEqual({ publisher_platform: "threads", platform_position: "threads_feed" });
    }
  });

  it("the ad set page lists its ads with creative info; ratios from sums", async () => {
    const r = await run(adsetPage.loader as Handler, await requestAs(viewer, `/x?${RANGE}`), p({ adset: "9011" }));
    expect(r.status).toBe(200);
    expect(r.data.object).toMatchObject({ kind: "adset", parentId: "901", parentName: "Spring" });
    const ads = r.data.groups[0].rows;
    expect(ads[0]).toMatchObject({ id: "90111", info: { image: "555", title: "Hello" } });
    expect(ads[0].metrics.ctr).toBeCloseTo((25 / 1500) * 100, 10);
    expect(ads[1]).toMatchObject({ id: "90112", info: { image: null } });
  });

  it("another agency, an unknown id or a malformed id is a 404", async () => {
    expect((await run(campaignPage.loader as Handler, await requestAs(B.owner.id, `/x`), p({ campaign: "901" }))).status).toBe(404);
    expect((await run(adsetPage.loader as Handler, await requestAs(B.owner.id, `/x`), p({ adset: "9011" }))).status).toBe(404);
    expect((await run(creative.loader as Handler, await requestAs(B.owner.id, `/x`), p({ creative: "555" }))).status).toBe(404);
    expect((await run(campaignPage.loader as Handler, await requestAs(A.owner.id, `/x`), p({ campaign: "999" }))).status).toBe(404);
    expect((await run(adsetPage.loader as Handler, await requestAs(A.owner.id, `/x`), p({ adset: "abc'" }))).status).toBe(404);
    // the same ids in the agency's other workspace: not there
    expect(
      (
        await run(campaignPage.loader as Handler, await requestAs(A.owner.id, `/x`), {
          agency: A.agency.slug,
          workspace: A.workspaces[1].slug,
          campaign: "901",
        })
      ).status,
    ).toBe(404);
  });

  it("serves a creative image from our origin with safe headers and an ETag", async () => {
    const r = await run(creative.loader as Handler, await requestAs(viewer, `/x`), p({ creative: "555" }));
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("image/png");
    expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    expect(r.headers.get("cache-control")).toBe("private, max-age=86400");
    expect(Buffer.from(await r.res!.arrayBuffer())).toEqual(PNG);
    const again = await run(creative.loader as Handler, await requestAs(viewer, `/x`, { headers: { "If-None-Match": '"abc"' } }), p({ creative: "555" }));
    expect(again.status).toBe(304);
  });

  it("CSV per level and breakdown: exact sums, one window, formulas neutralised; bad input is a 400/404", async () => {
    const ads = await run(levelExport.loader as Handler, await requestAs(viewer, `/x?${RANGE}&adset=9011`), p({ kind: "ads" }));
    expect(ads.status).toBe(200);
    expect(ads.headers.get("content-disposition")).toContain("_ads_adset-9011.csv");
    const lines = ads.body.trim().split("\n");
    expect(lines[0]).toBe(
      "currency,id,name,parent_id,status,spend,impressions,clicks,link_clicks,ctr,cpc,cpm,conversions,cpa,conversion_value,roas,attribution_window",
    );
    expect(lines[1]).toMatch(/^USD,90111,"'=HYPERLINK\(""http:\/\/evil""\)",9011,ACTIVE,15.15,1500,25,/);
    expect(lines.at(-1)).toMatch(/^USD,,Total,,,15.16,1510,25,25,/);
    const placement = await run(levelExport.loader as Handler, await requestAs(A.member.id, `/x?${RANGE}&campaign=901`), p({ kind: "placement" }));
    expect(placement.body.split("\n")[0]).toBe(
      "currency,publisher_platform,platform_position,spend,impressions,clicks,link_clicks,ctr,cpc,cpm,conversions,cpa,conversion_value,roas,attribution_window",
    );
    expect(placement.body).toContain("USD,threads,threads_feed,3,300,3,");
    expect((await run(levelExport.loader as Handler, await requestAs(viewer, `/x?${RANGE}`), p({ kind: "nope" }))).status).toBe(404);
    expect((await run(levelExport.loader as Handler, await requestAs(viewer, `/x?${RANGE}&campaign=x'1`), p({ kind: "ads" }))).status).toBe(400);
    expect((await run(levelExport.loader as Handler, await requestAs(B.owner.id, `/x?${RANGE}`), p({ kind: "ads" }))).status).toBe(404);
  });
});
