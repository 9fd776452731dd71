/**
 * Conformance of the emulator below the campaign: ad sets, ads, creatives (with images on an
 * expiring CDN URL), ad/ad set insights that sum exactly to campaigns and the account, the audience
 * breakdowns with Meta's documented quirks, and /__emulator/truth per level and breakdown.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACT_JP, ACT_US, boot, cents, Ctx, expectGraphError, V, walk } from "./helpers";
import { pickConversion } from "../../emulator/meta-graph/conversions";

let c: Ctx;
beforeAll(async () => {
  c = await boot({ limits: { rowBudget: 1_000_000 } });
});
afterAll(() => c.close());

const ALL = JSON.stringify([{ field: "campaign.effective_status", operator: "IN", value: ["ACTIVE", "PAUSED", "ARCHIVED", "DELETED"] }]);
const RANGE = JSON.stringify({ since: "2026-09-21", until: "2026-11-19" }); // 60 days
const FIELDS = "campaign_id,adset_id,ad_id,spend,impressions,clicks,inline_link_clicks,actions,action_values";

async function rows(act: string, params: Record<string, string>): Promise<any[]> {
  return (await walk(await c.get(`/${V}/${act}/insights`, { limit: "5000", time_range: RANGE, filtering: ALL, fields: FIELDS, ...params }))).rows;
}

interface Sums {
  spend: number;
  impressions: number;
  clicks: number;
  link: number;
  conv: number;
  value: number;
}
function sums(list: any[], key: (r: any) => string, offset: number): Map<string, Sums> {
  const m = new Map<string, Sums>();
  for (const r of list) {
    const k = key(r);
    const s = m.get(k) ?? { spend: 0, impressions: 0, clicks: 0, link: 0, conv: 0, value: 0 };
    s.spend += cents(r.spend, offset);
    s.impressions += Number(r.impressions);
    s.clicks += Number(r.clicks);
    s.link += Number(r.inline_link_clicks ?? 0);
    s.conv += Number(pickConversion(r.actions) ?? 0);
    s.value += cents(pickConversion(r.action_values) ?? "0", offset);
    m.set(k, s);
  }
  return m;
}

describe("ad sets, ads and creatives", () => {
  it("lists ad sets and ads with Meta's fields, hides archived ones by default, and expands creative{…}", async () => {
    const sets = (
      await walk(
        await c.get(`/${V}/${ACT_US}/adsets`, {
          fields: "id,name,campaign_id,status,effective_status,optimization_goal,daily_budget,lifetime_budget,bid_strategy",
          limit: "500",
        }),
      )
    ).rows;
    expect(sets.length).toBeGreaterThan(10);
    for (const s of sets) {
      expect(s.id).toMatch(/^\d+$/);
      expect(["ARCHIVED", "DELETED"]).not.toContain(s.effective_status);
      expect(typeof s.daily_budget).toBe("string");
      expect(Number(s.daily_budget) > 0 || Number(s.lifetime_budget) > 0).toBe(true);
    }
    const all = (
      await walk(
        await c.get(`/${V}/${ACT_US}/adsets`, {
          fields: "id,effective_status",
          limit: "500",
          effective_status: JSON.stringify(["ACTIVE", "PAUSED", "CAMPAIGN_PAUSED", "ARCHIVED", "DELETED"]),
        }),
      )
    ).rows;
    expect(all.length).toBeGreaterThan(sets.length);

    const one = await c.get(`/${V}/${sets[0].id}`, { fields: "id,name,campaign_id,optimization_goal" });
    expect(one.body).toMatchObject({ id: sets[0].id, campaign_id: sets[0].campaign_id, name: sets[0].name });
    const ofCampaign = await c.get(`/${V}/${sets[0].campaign_id}/adsets`, { fields: "id" });
    expect(ofCampaign.body.data.map((x: any) => x.id)).toContain(sets[0].id);

    const ads = await c.get(`/${V}/${sets[0].id}/ads`, {
      fields: "id,name,adset_id,campaign_id,status,effective_status,preview_shareable_link,creative{id,title,body,call_to_action_type,image_url,thumbnail_url}",
    });
    expect(ads.status).toBe(200);
    const ad = ads.body.data[0];
    expect(ad.adset_id).toBe(sets[0].id);
    expect(ad.creative).toMatchObject({
      id: expect.stringMatching(/^\d+$/),
      title: expect.any(String),
      body: expect.any(String),
      call_to_action_type: expect.any(String),
    });
    expect(ad.creative.image_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/emu-cdn\/.+\.png\?.*oe=[0-9A-F]+/);
    const creative = await c.get(`/${V}/${ad.creative.id}`, { fields: "id,title,image_url" });
    expect(creative.body.title).toBe(ad.creative.title);

    expectGraphError(await c.get(`/${V}/${ad.id}`, { fields: "id,not_a_field" }), 400, 100);
  });

  it("creative images come from the emulated CDN; a tampered or expired URL answers 403 like fbcdn", async () => {
    const sets = await c.get(`/${V}/${ACT_JP}/ads`, { fields: "creative{image_url,thumbnail_url}", limit: "1" });
    const { image_url, thumbnail_url } = sets.body.data[0].creative;
    const img = await fetch(image_url);
    expect(img.status).toBe(200);
    expect(img.headers.get("content-type")).toBe("image/png");
    const bytes = new Uint8Array(await img.arrayBuffer());
    expect([...bytes.slice(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    expect((await fetch(thumbnail_url)).status).toBe(200);
    expect((await fetch(image_url.replace(/oh=00_./, "oh=00_x"))).status).toBe(403);
    await c.ctl("/clock", { advanceSeconds: 4 * 86400 });
    try {
      const old = await fetch(image_url);
      expect(old.status).toBe(403);
      expect(await old.text()).toBe("URL signature expired");
      const fresh = await c.get(`/${V}/${ACT_JP}/ads`, { fields: "creative{image_url}", limit: "1" });
      expect(fresh.body.data[0].creative.image_url).not.toBe(image_url);
      expect((await fetch(fresh.body.data[0].creative.image_url)).status).toBe(200);
    } finally {
      await c.ctl("/clock", { advanceSeconds: -4 * 86400 });
    }
  });
});

describe("levels sum exactly", () => {
  for (const [act, offset] of [
    [ACT_US, 100],
    [ACT_JP, 1],
  ] as const) {
    it(`${act}: ads sum to ad sets, ad sets to campaigns, campaigns to the account (60 days, daily, per platform)`, async () => {
      const common = { time_increment: "1", breakdowns: "publisher_platform" };
      const ad = await rows(act, { ...common, level: "ad" });
      const adset = await rows(act, { ...common, level: "adset" });
      const campaign = await rows(act, { ...common, level: "campaign" });
      const account = await rows(act, { level: "account", fields: "spend,impressions,clicks,inline_link_clicks,actions,action_values" });
      expect(new Set(ad.map((r) => r.ad_id)).size).toBeGreaterThan(new Set(adset.map((r) => r.adset_id)).size);
      const k = (id: string) => (r: any) => `${r[id]}|${r.date_start}|${r.publisher_platform}`;
      expect(sums(ad, k("adset_id"), offset)).toEqual(sums(adset, k("adset_id"), offset));
      expect(sums(adset, k("campaign_id"), offset)).toEqual(sums(campaign, k("campaign_id"), offset));
      expect(sums(campaign, () => "all", offset)).toEqual(sums(account, () => "all", offset));
      const total = sums(account, () => "all", offset).get("all")!;
      expect(total.conv).toBeGreaterThan(0);

      // the truth endpoint per level agrees with what is served
      const truth = await c.ctl(`/truth?account=${act}&since=2026-09-21&until=2026-11-19&level=ad`);
      expect(truth.spend_minor).toBe(total.spend);
      const one = truth.ads[0];
      const served = sums(
        ad.filter((r) => r.ad_id === one.ad_id),
        () => "x",
        offset,
      ).get("x")!;
      expect([one.spend_minor, one.impressions, one.clicks, one.inline_link_clicks, one.conversions, one.conversion_value_minor]).toEqual([
        served.spend,
        served.impressions,
        served.clicks,
        served.link,
        served.conv,
        served.value,
      ]);
      const t1 = await c.ctl(`/truth?account=${act}&since=2026-09-21&until=2026-11-19&level=adset&id=${one.adset_id}`);
      expect(t1.adsets).toHaveLength(1);
      expect(t1.spend_minor).toBe(
        sums(
          adset.filter((r) => r.adset_id === one.adset_id),
          () => "x",
          offset,
        ).get("x")!.spend,
      );
    });
  }
});

describe("breakdowns", () => {
  const daily = { level: "adset", time_increment: "1" };
  it("country, device and placement buckets sum exactly to the total; placement keeps platform names as data", async () => {
    const total = sums(await rows(ACT_US, { level: "account" }), () => "t", 100).get("t")!;
    for (const b of ["country", "device_platform", "publisher_platform,platform_position"]) {
      const list = await rows(ACT_US, { ...daily, breakdowns: b });
      expect(sums(list, () => "t", 100).get("t"), b).toEqual(total);
    }
    const placement = await rows(ACT_US, { ...daily, breakdowns: "publisher_platform,platform_position" });
    expect(new Set(placement.map((r) => `${r.publisher_platform}/${r.platform_position}`))).toContain("facebook/feed");
    const truth = await c.ctl(`/truth?account=${ACT_US}&since=2026-09-21&until=2026-11-19&breakdown=placement`);
    expect(truth.spend_minor).toBe(total.spend);
    const country = await c.ctl(`/truth?account=${ACT_US}&since=2026-09-21&until=2026-11-19&breakdown=country`);
    expect(country.buckets.find((x: any) => x.country === "US").spend_minor).toBeGreaterThan(total.spend / 2);
  });

  it("age x gender has unknown buckets and leaves out small-audience rows (buckets sum to less than the total)", async () => {
    const total = sums(await rows(ACT_US, { level: "account" }), () => "t", 100).get("t")!;
    const list = await rows(ACT_US, { ...daily, breakdowns: "age,gender" });
    expect(list.some((r) => r.age === "Unknown")).toBe(true);
    expect(list.some((r) => r.gender === "unknown")).toBe(true);
    expect(list.every((r) => Number(r.impressions) >= 20)).toBe(true);
    const got = sums(list, () => "t", 100).get("t")!;
    expect(got.impressions).toBeLessThan(total.impressions);
    expect(got.impressions).toBeGreaterThan(total.impressions * 0.9);
    const truth = await c.ctl(`/truth?account=${ACT_US}&since=2026-09-21&until=2026-11-19&breakdown=age_gender`);
    expect([truth.spend_minor, truth.impressions]).toEqual([got.spend, got.impressions]);
  });

  it("region rows carry no off-Meta actions; country rows do", async () => {
    const region = await rows(ACT_US, { ...daily, breakdowns: "region" });
    expect(region.length).toBeGreaterThan(0);
    expect(region.some((r) => pickConversion(r.actions))).toBe(false);
    const country = await rows(ACT_US, { ...daily, breakdowns: "country" });
    expect(country.some((r) => pickConversion(r.actions))).toBe(true);
  });

  it("reach is left out with breakdowns for ranges starting more than 13 months back", async () => {
    const q = (since: string, breakdowns?: string) =>
      c.get(`/${V}/${ACT_US}/insights`, {
        level: "account",
        fields: "spend,reach,frequency",
        time_range: JSON.stringify({ since, until: "2026-11-19" }),
        ...(breakdowns ? { breakdowns } : {}),
      });
    const old = await q("2025-09-01", "country");
    expect(old.body.data.length).toBeGreaterThan(0);
    expect(old.body.data.every((r: any) => r.reach === undefined && r.frequency === undefined)).toBe(true);
    expect((await q("2025-12-01", "country")).body.data.some((r: any) => r.reach !== undefined)).toBe(true);
    expect((await q("2025-09-01")).body.data[0].reach).toBeDefined();
  });

  it("rejects breakdown combinations Meta rejects", async () => {
    expectGraphError(await c.get(`/${V}/${ACT_US}/insights`, { breakdowns: "platform_position" }), 400, 100);
    expectGraphError(await c.get(`/${V}/${ACT_US}/insights`, { breakdowns: "country,age" }), 400, 100);
    expectGraphError(await c.get(`/${V}/${ACT_US}/insights`, { breakdowns: "hourly_nonsense" }), 400, 100);
  });
});
