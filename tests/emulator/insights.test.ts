import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACT_EU, ACT_JP, ACT_US, boot, cents, Ctx, expectGraphError, fmt6, V, walk } from "./helpers";
import { CONVERSION_ACTION_PRIORITY, pickConversion } from "../../emulator/meta-graph/conversions";

let c: Ctx;
beforeAll(async () => {
  c = await boot();
});
afterAll(() => c.close());

const ALL_STATUSES = JSON.stringify([{ field: "campaign.effective_status", operator: "IN", value: ["ACTIVE", "PAUSED", "ARCHIVED", "DELETED"] }]);
const range = (since: string, until: string) => JSON.stringify({ since, until });
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const DEC6 = /^\d+(\.\d{1,6})?$/;

async function ins(act: string, params: Record<string, string>) {
  const r = await c.get(`/${V}/${act}/insights`, { limit: "5000", ...params });
  if (r.status !== 200) throw new Error(JSON.stringify(r.body));
  return r.body.data as any[];
}

describe("insights shapes and formulas", () => {
  it("numbers are strings; ctr/cpc/cpm/frequency follow Meta's formulas and formatting", async () => {
    const rows = await ins(ACT_US, {
      level: "campaign",
      date_preset: "last_30d",
      fields: "campaign_id,campaign_name,spend,impressions,clicks,reach,frequency,ctr,cpc,cpm,inline_link_clicks,account_currency,account_id",
    });
    expect(rows.length).toBeGreaterThan(2);
    for (const r of rows) {
      for (const k of ["spend", "impressions", "clicks", "reach", "frequency", "ctr", "cpm", "inline_link_clicks"]) {
        expect(typeof r[k], k).toBe("string");
        expect(r[k]).toMatch(DEC6);
        expect(r[k]).not.toMatch(/\.\d*0$/); // trailing zeros dropped
      }
      const spend = Number(r.spend);
      const impr = Number(r.impressions);
      const clicks = Number(r.clicks);
      expect(r.ctr).toBe(fmt6((clicks / impr) * 100));
      expect(r.cpm).toBe(fmt6((spend / impr) * 1000));
      if (clicks > 0) expect(r.cpc).toBe(fmt6(spend / clicks));
      expect(r.frequency).toBe(fmt6(impr / Number(r.reach)));
      expect(Number(r.reach)).toBeLessThanOrEqual(impr);
      expect(Number(r.inline_link_clicks)).toBeLessThanOrEqual(clicks);
      expect(r.account_currency).toBe("USD");
      expect(r.account_id).toBe("101000000000001");
      expect(r.campaign_id).toMatch(/^\d+$/);
      expect(r.spend).toMatch(/^\d+(\.\d{1,2})?$/);
      expect(r.date_start).toBe("2026-10-21");
      expect(r.date_stop).toBe("2026-11-19");
    }
  });

  it("JPY spend is an integer string; default fields are impressions+spend+dates", async () => {
    const rows = await ins(ACT_JP, { date_preset: "last_7d" });
    expect(rows).toHaveLength(1);
    expect(Object.keys(rows[0]).sort()).toEqual(["date_start", "date_stop", "impressions", "spend"]);
    expect(rows[0].spend).toMatch(/^\d+$/);
  });

  it("actions report one purchase under several overlapping types; action_values mirror them; windows add keys", async () => {
    const rows = await ins(ACT_JP, {
      level: "campaign",
      date_preset: "last_90d",
      fields: "campaign_id,actions,action_values,spend",
      action_attribution_windows: '["7d_click","1d_view"]',
    });
    const withPurchases = rows.filter((r) => r.actions?.some((a: any) => a.action_type === "purchase"));
    expect(withPurchases.length).toBeGreaterThan(0);
    for (const r of withPurchases) {
      const vals = CONVERSION_ACTION_PRIORITY.map((t) => r.actions.find((a: any) => a.action_type === t)?.value);
      expect(new Set(vals).size).toBe(1);
      expect(vals[0]).toMatch(/^\d+$/);
      const purchase = r.actions.find((a: any) => a.action_type === "purchase");
      expect(Number(purchase["7d_click"]) + Number(purchase["1d_view"])).toBe(Number(purchase.value));
      expect(r.action_values.map((a: any) => a.action_type)).toEqual([...CONVERSION_ACTION_PRIORITY]);
      expect(r.action_values[0].value).toMatch(/^\d+$/); // JPY
      expect(r.actions.map((a: any) => a.action_type)).toEqual(expect.arrayContaining(["link_click", "landing_page_view"]));
    }
  });

  it("zero rows are omitted and insights paging walks to the same rows", async () => {
    const all = await ins(ACT_EU, {
      level: "campaign",
      time_increment: "1",
      date_preset: "last_14d",
      fields: "campaign_id,spend,impressions",
      filtering: ALL_STATUSES,
    });
    for (const r of all) expect(Number(r.impressions) > 0 || Number(r.spend) > 0).toBe(true);
    const daily = await c.ctl(`/truth/daily?account=${ACT_EU}&since=2026-11-06&until=2026-11-19`);
    const pairs = new Set(daily.rows.map((x: any) => `${x.campaign_id}|${x.date}`));
    expect(all.length).toBe(pairs.size);
    const first = await c.get(`/${V}/${ACT_EU}/insights`, {
      level: "campaign",
      time_increment: "1",
      date_preset: "last_14d",
      fields: "campaign_id,spend,impressions",
      filtering: ALL_STATUSES,
      limit: "7",
    });
    expect(first.body.data).toHaveLength(7);
    const walked = await walk(first);
    expect(walked.rows).toEqual(all);
    expect(walked.pages).toBe(Math.ceil(all.length / 7));
  });

  it("rejects invalid params with code 100", async () => {
    expectGraphError(await c.get(`/${V}/${ACT_US}/insights`, { fields: "spend,bogus" }), 400, 100);
    expectGraphError(await c.get(`/${V}/${ACT_US}/insights`, { date_preset: "last_forever" }), 400, 100);
    expectGraphError(await c.get(`/${V}/${ACT_US}/insights`, { time_range: "{nope" }), 400, 100);
    expectGraphError(await c.get(`/${V}/${ACT_US}/insights`, { time_range: range("2026-11-10", "2026-11-01") }), 400, 100);
    expectGraphError(await c.get(`/${V}/${ACT_US}/insights`, { breakdowns: "hourly_stats_aggregated_by_audience_time_zone" }), 400, 100);
    expectGraphError(await c.get(`/${V}/${ACT_US}/insights`, { level: "galaxy" }), 400, 100);
  });
});

describe("dates, presets and time zones", () => {
  it("presets resolve in the account's time zone", async () => {
    const q = async (act: string, preset: string) => (await ins(act, { date_preset: preset, fields: "spend" }))[0] ?? null;
    // NOW = 2026-11-20T20:00Z → Los Angeles 2026-11-20 12:00, Tokyo 2026-11-21 05:00
    expect(await q(ACT_US, "yesterday")).toMatchObject({ date_start: "2026-11-19", date_stop: "2026-11-19" });
    expect(await q(ACT_US, "today")).toMatchObject({ date_start: "2026-11-20", date_stop: "2026-11-20" });
    expect(await q(ACT_JP, "today")).toMatchObject({ date_start: "2026-11-21", date_stop: "2026-11-21" });
    expect(await q(ACT_US, "last_7d")).toMatchObject({ date_start: "2026-11-13", date_stop: "2026-11-19" });
    expect(await q(ACT_US, "last_28d")).toMatchObject({ date_start: "2026-10-23", date_stop: "2026-11-19" });
    expect(await q(ACT_US, "this_month")).toMatchObject({ date_start: "2026-11-01", date_stop: "2026-11-20" });
    expect(await q(ACT_US, "last_month")).toMatchObject({ date_start: "2026-10-01", date_stop: "2026-10-31" });
    expect(await q(ACT_US, "last_week_mon_sun")).toMatchObject({ date_start: "2026-11-09", date_stop: "2026-11-15" });
    const max = await q(ACT_US, "maximum");
    expect(max.date_start >= "2023-10-20").toBe(true);
    expect(max.date_stop).toBe("2026-11-20");
    // a Tokyo "today" exists while the same calendar day is still in the future in Los Angeles
    expect(await ins(ACT_JP, { time_range: range("2026-11-21", "2026-11-21") })).toHaveLength(1);
    expect(await ins(ACT_US, { time_range: range("2026-11-21", "2026-11-21") })).toHaveLength(0);
  });

  it("time_increment 1, N, monthly, all_days and time_ranges", async () => {
    const seven = await ins(ACT_US, { time_range: range("2026-10-01", "2026-10-20"), time_increment: "7", fields: "spend" });
    expect(seven.map((r) => [r.date_start, r.date_stop])).toEqual([
      ["2026-10-01", "2026-10-07"],
      ["2026-10-08", "2026-10-14"],
      ["2026-10-15", "2026-10-20"],
    ]);
    const monthly = await ins(ACT_US, { time_range: range("2026-08-15", "2026-10-10"), time_increment: "monthly", fields: "spend" });
    expect(monthly.map((r) => [r.date_start, r.date_stop])).toEqual([
      ["2026-08-15", "2026-08-31"],
      ["2026-09-01", "2026-09-30"],
      ["2026-10-01", "2026-10-10"],
    ]);
    const daily = await ins(ACT_US, { time_range: range("2026-10-01", "2026-10-20"), time_increment: "1", fields: "spend" });
    expect(daily).toHaveLength(20);
    const total = await ins(ACT_US, { time_range: range("2026-10-01", "2026-10-20"), time_increment: "all_days", fields: "spend" });
    expect(sum(daily.map((r) => cents(r.spend)))).toBe(cents(total[0].spend));
    expect(sum(seven.map((r) => cents(r.spend)))).toBe(cents(total[0].spend));
    const tr = await ins(ACT_US, {
      time_ranges: JSON.stringify([
        { since: "2026-10-01", until: "2026-10-07" },
        { since: "2026-11-01", until: "2026-11-07" },
      ]),
      fields: "spend",
    });
    expect(tr.map((r) => r.date_start)).toEqual(["2026-10-01", "2026-11-01"]);
    expect(tr[0].spend).toBe(seven[0].spend);
  });

  it("37-month limit → 100/3018", async () => {
    const r = await c.get(`/${V}/${ACT_US}/insights`, { time_range: range("2023-10-19", "2023-10-31") });
    expectGraphError(r, 400, 100, 3018);
    expect(r.body.error.message).toContain("The start date of the time range cannot be beyond 37 months from the current date");
    expect((await c.get(`/${V}/${ACT_US}/insights`, { time_range: range("2023-10-20", "2023-10-31") })).status).toBe(200);
  });

  it("too much data → 100/1487534 when rows exceed the row budget", async () => {
    await c.ctl("/limits", { rowBudget: 40 });
    try {
      const r = await c.get(`/${V}/${ACT_JP}/insights`, { level: "campaign", time_increment: "1", date_preset: "last_30d" });
      expectGraphError(r, 400, 100, 1487534);
      expect(r.body.error.message).toBe("Please reduce the amount of data you're asking for, then retry your request");
      expect((await c.get(`/${V}/${ACT_JP}/insights`, { date_preset: "last_30d", time_increment: "1" })).status).toBe(200);
    } finally {
      await c.ctl("/limits", { rowBudget: 10000 });
    }
  });
});

describe("truth, reach and breakdowns", () => {
  it("account-level insights equal the truth endpoint exactly", async () => {
    for (const act of [ACT_US, ACT_JP, ACT_EU]) {
      const [row] = await ins(act, {
        time_range: range("2026-09-01", "2026-11-15"),
        fields: "spend,impressions,clicks,inline_link_clicks,reach,actions,action_values",
      });
      const t = await c.ctl(`/truth?account=${act}&since=2026-09-01&until=2026-11-15`);
      const offset = act === ACT_JP ? 1 : 100;
      expect(cents(row.spend, offset)).toBe(t.spend_minor);
      expect(cents(t.spend, offset)).toBe(t.spend_minor);
      expect(Number(row.impressions)).toBe(t.impressions);
      expect(Number(row.clicks)).toBe(t.clicks);
      expect(Number(row.inline_link_clicks)).toBe(t.inline_link_clicks);
      expect(Number(row.reach)).toBe(t.reach);
      expect(Number(pickConversion(row.actions) ?? 0)).toBe(t.conversions);
      expect(cents(pickConversion(row.action_values) ?? "0", offset)).toBe(t.conversion_value_minor);
      if (act === ACT_JP) expect(t.spend).toMatch(/^\d+$/);
      else expect(t.spend).toMatch(/^\d+\.\d\d$/);
    }
  });

  it("campaign-level rows sum to the truth (all statuses) and match per-campaign truth", async () => {
    const rows = await ins(ACT_JP, { level: "campaign", date_preset: "last_90d", fields: "campaign_id,spend,impressions,reach", filtering: ALL_STATUSES });
    // Tokyo is already on 2026-11-21, so last_90d is 2026-08-23 … 2026-11-20 there
    expect([rows[0].date_start, rows[0].date_stop]).toEqual(["2026-08-23", "2026-11-20"]);
    const t = await c.ctl(`/truth?account=${ACT_JP}&since=2026-08-23&until=2026-11-20&level=campaign`);
    expect(sum(rows.map((r) => Number(r.spend)))).toBe(t.spend_minor);
    const byId = Object.fromEntries(t.campaigns.map((x: any) => [x.campaign_id, x]));
    expect(rows.length).toBe(t.campaigns.length);
    for (const r of rows) {
      expect(Number(r.impressions)).toBe(byId[r.campaign_id].impressions);
      expect(Number(r.reach)).toBe(byId[r.campaign_id].reach);
    }
    // account reach is de-duplicated across campaigns
    expect(t.reach).toBeLessThan(sum(t.campaigns.map((x: any) => x.reach)));
    expect(t.reach).toBeGreaterThanOrEqual(Math.max(...t.campaigns.map((x: any) => x.reach)));
  });

  it("reach over a range is de-duplicated and exactly reproducible", async () => {
    const p = { time_range: range("2026-10-01", "2026-10-31"), fields: "reach,impressions" };
    const [total] = await ins(ACT_US, p);
    const daily = await ins(ACT_US, { ...p, time_increment: "1" });
    const dailyReach = daily.map((r) => Number(r.reach));
    expect(Number(total.reach)).toBeLessThan(sum(dailyReach));
    expect(Number(total.reach)).toBeGreaterThanOrEqual(Math.max(...dailyReach));
    const again = await ins(ACT_US, p);
    expect(again[0].reach).toBe(total.reach);
    const plat = await ins(ACT_US, { ...p, breakdowns: "publisher_platform" });
    expect(Number(total.reach)).toBeLessThan(sum(plat.map((r) => Number(r.reach))));
    // growing the range never shrinks reach
    const [wider] = await ins(ACT_US, { time_range: range("2026-09-15", "2026-10-31"), fields: "reach" });
    expect(Number(wider.reach)).toBeGreaterThan(Number(total.reach));
  });

  it("publisher_platform breakdown: several platforms with different shares, filterable; matches truth/daily", async () => {
    const rows = await ins(ACT_US, {
      level: "campaign",
      time_increment: "1",
      time_range: range("2026-11-10", "2026-11-12"),
      breakdowns: "publisher_platform",
      fields: "campaign_id,spend,impressions,clicks,reach",
      filtering: ALL_STATUSES,
    });
    const platforms = new Set(rows.map((r) => r.publisher_platform));
    expect([...platforms].every((p) => ["facebook", "instagram", "audience_network", "messenger", "threads"].includes(p))).toBe(true);
    expect(platforms.has("threads")).toBe(true);
    expect(platforms.size).toBeGreaterThanOrEqual(3);
    const daily = await c.ctl(`/truth/daily?account=${ACT_US}&since=2026-11-10&until=2026-11-12`);
    const key = (x: any) => `${x.campaign_id}|${x.date ?? x.date_start}|${x.publisher_platform}`;
    const truth = new Map(daily.rows.map((x: any) => [key(x), x]));
    expect(rows.length).toBe(daily.rows.length);
    for (const r of rows) {
      const t: any = truth.get(key(r));
      expect(cents(r.spend)).toBe(t.spend_minor);
      expect(Number(r.impressions)).toBe(t.impressions);
      expect(Number(r.clicks)).toBe(t.clicks);
      expect(Number(r.reach)).toBe(t.reach);
    }
    const fb = await ins(ACT_US, {
      time_range: range("2026-11-10", "2026-11-12"),
      breakdowns: "publisher_platform",
      filtering: JSON.stringify([{ field: "publisher_platform", operator: "IN", value: ["facebook"] }]),
    });
    expect(fb.map((r) => r.publisher_platform)).toEqual(["facebook"]);
    const fbTruth = await c.ctl(`/truth?account=${ACT_US}&since=2026-11-10&until=2026-11-12&platform=facebook`);
    expect(cents(fb[0].spend)).toBe(fbTruth.spend_minor);
    const igTruth = await c.ctl(`/truth?account=${ACT_US}&since=2026-11-10&until=2026-11-12&platform=instagram`);
    expect(fbTruth.spend_minor).toBeGreaterThan(igTruth.spend_minor);
  });

  it("/CAMPAIGN_ID/insights matches the campaign row of the account query; campaign.id filtering", async () => {
    const rows = await ins(ACT_US, { level: "campaign", date_preset: "last_30d", fields: "campaign_id,spend,reach" });
    const id = rows[0].campaign_id;
    const one = await c.get(`/${V}/${id}/insights`, { date_preset: "last_30d", fields: "campaign_id,spend,reach" });
    expect(one.body.data).toEqual([rows[0]]);
    const filtered = await ins(ACT_US, {
      level: "campaign",
      date_preset: "last_30d",
      fields: "campaign_id,spend,reach",
      filtering: JSON.stringify([{ field: "campaign.id", operator: "IN", value: [id] }]),
    });
    expect(filtered).toEqual([rows[0]]);
    const adset = await ins(ACT_US, {
      level: "adset",
      date_preset: "last_30d",
      fields: "campaign_id,adset_id,spend",
      filtering: JSON.stringify([{ field: "campaign.id", operator: "EQUAL", value: id }]),
    });
    expect(adset[0].adset_id).toMatch(/^\d+$/);
    // the campaign's ad sets share its delivery exactly (tests/emulator/ads.test.ts checks every level)
    expect(sum(adset.map((r) => cents(r.spend)))).toBe(cents(rows[0].spend));
  });

  it("archived/deleted campaigns are hidden at campaign level unless filtered, but count at account level", async () => {
    const p = { time_range: range("2025-01-01", "2025-12-31"), fields: "campaign_id,spend" };
    const def = await ins(ACT_JP, { ...p, level: "campaign" });
    const all = await ins(ACT_JP, { ...p, level: "campaign", filtering: ALL_STATUSES });
    expect(all.length).toBeGreaterThan(def.length);
    const [acct] = await ins(ACT_JP, p);
    expect(sum(all.map((r) => Number(r.spend)))).toBe(Number(acct.spend));
  });
});

describe("data over time", () => {
  it("same seed → same numbers; different seed → different numbers", async () => {
    const p = { level: "campaign", date_preset: "last_30d", fields: "campaign_id,spend,reach,actions" };
    const a = await ins(ACT_US, p);
    const other = await boot();
    const diff = await boot({ seed: "another-seed" });
    try {
      const b = (await other.get(`/${V}/${ACT_US}/insights`, { ...p, limit: "5000" })).body.data;
      const d = (await diff.get(`/${V}/${ACT_US}/insights`, { ...p, limit: "5000" })).body.data;
      expect(b).toEqual(a);
      expect(d).not.toEqual(a);
    } finally {
      await other.close();
      await diff.close();
    }
  });

  it("today's numbers grow during the day; earlier days don't", async () => {
    const prev = (await c.ctl("/clock")).now;
    const read = async (d: string) => (await ins(ACT_US, { time_range: range(d, d), fields: "spend,impressions" }))[0];
    try {
      await c.ctl("/clock", { now: "2026-11-20T14:00:00Z" }); // 06:00 in Los Angeles
      const morning = await read("2026-11-20");
      const yMorning = await read("2026-11-19");
      await c.ctl("/clock", { now: "2026-11-21T02:00:00Z" }); // 18:00 in Los Angeles
      const evening = await read("2026-11-20");
      const yEvening = await read("2026-11-19");
      expect(cents(evening.spend)).toBeGreaterThan(cents(morning.spend));
      expect(Number(evening.impressions)).toBeGreaterThan(Number(morning.impressions));
      expect(yEvening).toEqual(yMorning);
    } finally {
      await c.ctl("/clock", { now: prev });
    }
  });

  it("the last 28 days get restated as time moves on; older days are final", async () => {
    const prev = (await c.ctl("/clock")).now;
    const p = (d: string) => ({ time_range: range(d, d), fields: "spend,actions,action_values", level: "account" });
    try {
      const recent1 = await ins(ACT_JP, p("2026-11-10"));
      const old1 = await ins(ACT_JP, p("2026-09-01"));
      await c.ctl("/clock", { advanceSeconds: 6 * 86400 });
      const recent2 = await ins(ACT_JP, p("2026-11-10"));
      const old2 = await ins(ACT_JP, p("2026-09-01"));
      expect(old2).toEqual(old1);
      expect(recent2[0].spend).toBe(recent1[0].spend);
      const conv = (r: any[]) => Number(pickConversion(r[0].actions) ?? 0);
      expect(conv(recent2)).toBeGreaterThan(conv(recent1));
      // a day ages out of the restatement window after 28 days: then it stays put
      await c.ctl("/clock", { advanceSeconds: 30 * 86400 });
      const final1 = await ins(ACT_JP, p("2026-11-10"));
      await c.ctl("/clock", { advanceSeconds: 10 * 86400 });
      expect(await ins(ACT_JP, p("2026-11-10"))).toEqual(final1);
    } finally {
      await c.ctl("/clock", { now: prev });
    }
  });

  it("late crediting keeps most recent conversions visible and value in step with the count", async () => {
    const prev = (await c.ctl("/clock")).now;
    const truth = () => c.ctl(`/truth?account=${ACT_US}&since=2026-10-24&until=2026-11-19`);
    try {
      const now = await truth();
      await c.ctl("/clock", { advanceSeconds: 60 * 86400 });
      const final = await truth();
      // lateCreditStart 0.7 grows to 1 over 28 days: about 85 % of the final count over that window
      expect(now.conversions).toBeGreaterThan(0.7 * final.conversions);
      expect(now.conversions).toBeLessThanOrEqual(final.conversions);
      const valueShare = now.conversion_value_minor / final.conversion_value_minor;
      expect(Math.abs(valueShare - now.conversions / final.conversions)).toBeLessThan(0.1);
    } finally {
      await c.ctl("/clock", { now: prev });
    }
  });

  it("control restate changes a past day; truth follows", async () => {
    const d = "2026-11-10";
    const before = (await ins(ACT_EU, { time_range: range(d, d), fields: "spend" }))[0];
    await c.ctl("/restate", { account: ACT_EU, date: d, factor: 1.5 });
    const after = (await ins(ACT_EU, { time_range: range(d, d), fields: "spend" }))[0];
    const ratio = cents(after.spend) / cents(before.spend);
    expect(ratio).toBeGreaterThan(1.45);
    expect(ratio).toBeLessThan(1.55);
    const t = await c.ctl(`/truth?account=${ACT_EU}&since=${d}&until=${d}`);
    expect(t.spend_minor).toBe(cents(after.spend));
    const neighbour = await ins(ACT_EU, { time_range: range("2026-11-09", "2026-11-09"), fields: "spend" });
    const t2 = await c.ctl(`/truth?account=${ACT_EU}&since=2026-11-09&until=2026-11-09`);
    expect(cents(neighbour[0].spend)).toBe(t2.spend_minor);
  });

  it("control activity adds exact amounts on top of generated numbers", async () => {
    const d = "2026-11-12";
    const p = { time_range: range(d, d), fields: "spend,impressions,clicks,actions" };
    const [before] = await ins(ACT_US, p);
    const world = await c.ctl("/world");
    const camp = world.accounts[0].campaigns[0].id;
    const r = await c.ctl("/activity", {
      account: ACT_US,
      campaign: camp,
      date: d,
      spend: "123.45",
      impressions: 1000,
      clicks: 10,
      conversions: 2,
      platform: "instagram",
    });
    expect(r.spend_minor).toBe(12345);
    const [after] = await ins(ACT_US, p);
    expect(cents(after.spend) - cents(before.spend)).toBe(12345);
    expect(Number(after.impressions) - Number(before.impressions)).toBe(1000);
    expect(Number(after.clicks) - Number(before.clicks)).toBe(10);
    expect(Number(pickConversion(after.actions)) - Number(pickConversion(before.actions) ?? 0)).toBe(2);
    const jp = await c.ctl("/activity", { account: ACT_JP, date: "2026-11-12", spend: 5000 });
    expect(jp.spend_minor).toBe(5000);
    const bad = await c.ctl("/activity", { account: "act_1", date: d, spend: 1 });
    expect(bad.error).toBeTruthy();
  });
});

describe("conversion value goes with its count", () => {
  // "Today" scales a day by the elapsed fraction: the count rounds down, and the value must follow it
  it.each([ACT_US, ACT_JP, ACT_EU])("%s: no row has a purchase value without purchases, per window too", async (act) => {
    let rows = 0;
    for (const [preset, level] of [
      ["today", "campaign"],
      ["today", "adset"],
      ["today", "ad"],
      ["yesterday", "ad"],
      ["last_7d", "campaign"],
    ]) {
      for (const windows of [undefined, '["1d_click","1d_view"]']) {
        const data = await ins(act, {
          level: level!,
          date_preset: preset,
          time_increment: "1",
          fields: "campaign_id,adset_id,ad_id,actions,action_values",
          filtering: ALL_STATUSES,
          ...(windows ? { action_attribution_windows: windows } : {}),
        });
        for (const r of data) {
          rows++;
          for (const type of CONVERSION_ACTION_PRIORITY) {
            const count = r.actions?.find((a: any) => a.action_type === type);
            const value = r.action_values?.find((a: any) => a.action_type === type);
            for (const k of ["value", "1d_click", "1d_view"]) {
              if (Number(value?.[k] ?? 0) > 0)
                expect(Number(count?.[k] ?? 0), `${preset} ${level} ${r.ad_id ?? r.adset_id ?? r.campaign_id} ${r.date_start} ${type} ${k}`).toBeGreaterThan(0);
            }
          }
        }
      }
    }
    expect(rows).toBeGreaterThan(10);
  });
});
