/**
 * Conformance for the Marketing API changes of 2025-2026 (reference §0.1): conversions per attribution
 * window (click vs view credit, removed 7d_view/28d_view return nothing, the account's setting decides
 * `value`), Threads as a publisher platform, reach omitted from old breakdown queries, the insights
 * throttle header on error responses, and v25+ error fields of failed async report runs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACT_JP, ACT_UK, ACT_US, boot, cents, Ctx, expectGraphError, V } from "./helpers";

let c: Ctx;
beforeAll(async () => {
  c = await boot({ asyncJob: { mode: "polls", pollsToComplete: 2 } });
});
afterAll(async () => {
  await c.close();
});

const range = (since: string, until: string) => JSON.stringify({ since, until });
const ALL_STATUSES = JSON.stringify([{ field: "campaign.effective_status", operator: "IN", value: ["ACTIVE", "PAUSED", "ARCHIVED", "DELETED"] }]);
const PURCHASE = "offsite_conversion.fb_pixel_purchase";
async function ins(act: string, params: Record<string, string>): Promise<any[]> {
  const r = await c.get(`/${V}/${act}/insights`, { limit: "5000", ...params });
  expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(200);
  return r.body.data;
}
const num = (x: unknown) => Number(x ?? 0);

describe("attribution windows", () => {
  const WINDOWS = ["1d_click", "7d_click", "28d_click", "1d_view", "1d_ev", "7d_view", "28d_view"];

  it.each([
    ["USD", ACT_US, 100],
    ["JPY", ACT_JP, 1],
  ])("%s: per-window purchases nest, 7d_view/28d_view return nothing, sums equal the truth per window", async (_cur, act, offset) => {
    const rows = await ins(act, {
      level: "campaign",
      time_range: range("2026-10-01", "2026-10-31"),
      filtering: ALL_STATUSES,
      fields: "campaign_id,actions,action_values,attribution_setting",
      action_attribution_windows: JSON.stringify(WINDOWS),
    });
    const sum: Record<string, number> = {};
    const sumValue: Record<string, number> = {};
    let withPurchases = 0;
    for (const r of rows) {
      expect(r.attribution_setting).toBe("7d_click_1d_view");
      const p = (r.actions ?? []).find((a: any) => a.action_type === PURCHASE);
      if (!p) continue;
      withPurchases++;
      expect(p).not.toHaveProperty("7d_view");
      expect(p).not.toHaveProperty("28d_view");
      expect(num(p["1d_click"])).toBeLessThanOrEqual(num(p["7d_click"]));
      expect(num(p["7d_click"])).toBeLessThanOrEqual(num(p["28d_click"]));
      // the account's setting (7-day click or 1-day view) is the value: click and view credit add up
      expect(num(p.value)).toBe(num(p["7d_click"]) + num(p["1d_view"]));
      const v = r.action_values.find((a: any) => a.action_type === PURCHASE);
      for (const w of WINDOWS.slice(0, 5)) {
        sum[w] = (sum[w] ?? 0) + num(p[w]);
        sumValue[w] = (sumValue[w] ?? 0) + Math.round(Number(v[w] ?? "0") * offset);
      }
      // link clicks are not conversions: no window keys
      const link = r.actions.find((a: any) => a.action_type === "link_click");
      expect(Object.keys(link).sort()).toEqual(["action_type", "value"]);
    }
    expect(withPurchases).toBeGreaterThan(3);
    expect(sum["1d_view"]).toBeGreaterThan(0);
    expect(sum["28d_click"]).toBeGreaterThan(sum["7d_click"]!);
    for (const w of WINDOWS.slice(0, 5)) {
      const t = await c.ctl(`/truth?account=${act}&since=2026-10-01&until=2026-10-31&window=${w}`);
      expect(sum[w], w).toBe(t.conversions);
      expect(t.conversions_by_window[w], w).toBe(t.conversions);
    }
    const combo = await c.ctl(`/truth?account=${act}&since=2026-10-01&until=2026-10-31&window=1d_click,1d_view`);
    expect(combo.conversions).toBe(sum["1d_click"]! + sum["1d_view"]!);
    expect(combo.conversion_value_minor).toBe(sumValue["1d_click"]! + sumValue["1d_view"]!);
  });

  it("an account whose ad sets use 1-day click: value and attribution_setting follow it", async () => {
    const rows = await ins(ACT_UK, {
      level: "account",
      time_range: range("2026-10-01", "2026-10-31"),
      fields: "actions,attribution_setting",
      action_attribution_windows: '["1d_click","7d_click"]',
    });
    expect(rows[0].attribution_setting).toBe("1d_click");
    const p = rows[0].actions.find((a: any) => a.action_type === PURCHASE);
    expect(p.value).toBe(p["1d_click"]);
    const t = await c.ctl(`/truth?account=${ACT_UK}&since=2026-10-01&until=2026-10-31`);
    expect(t.attribution_setting).toBe("1d_click");
    expect(t.conversions).toBe(num(p.value));
  });

  it("asking only for removed windows returns no window keys at all", async () => {
    const rows = await ins(ACT_US, {
      level: "account",
      time_range: range("2026-10-01", "2026-10-31"),
      fields: "actions",
      action_attribution_windows: '["7d_view","28d_view"]',
    });
    const p = rows[0].actions.find((a: any) => a.action_type === PURCHASE);
    expect(Object.keys(p).sort()).toEqual(["action_type", "value"]);
  });
});

describe("Threads", () => {
  it("some campaigns deliver on threads; a campaign's platform split sums to its total", async () => {
    const world = await c.ctl("/world");
    const us = world.accounts.find((a: any) => a.id === ACT_US);
    const withThreads = us.campaigns.filter((x: any) => x.platforms.includes("threads"));
    expect(withThreads.length).toBeGreaterThan(0);
    expect(withThreads.length).toBeLessThan(us.campaigns.length);
    const p = { level: "campaign", time_range: range("2026-10-01", "2026-10-31"), filtering: ALL_STATUSES, fields: "campaign_id,spend,impressions,clicks" };
    const split = await ins(ACT_US, { ...p, breakdowns: "publisher_platform" });
    const threads = split.filter((r) => r.publisher_platform === "threads");
    expect(threads.length).toBeGreaterThan(0);
    const totals = await ins(ACT_US, p);
    for (const t of totals) {
      const parts = split.filter((r) => r.campaign_id === t.campaign_id);
      expect(parts.reduce((s, r) => s + cents(r.spend), 0)).toBe(cents(t.spend));
      expect(parts.reduce((s, r) => s + num(r.impressions), 0)).toBe(num(t.impressions));
    }
    const tt = await c.ctl(`/truth?account=${ACT_US}&since=2026-10-01&until=2026-10-31&platform=threads`);
    expect(threads.reduce((s, r) => s + cents(r.spend), 0)).toBe(tt.spend_minor);
  });
});

describe("2025-2026 limits", () => {
  it("breakdown queries starting more than 13 months back omit reach, frequency and cpp; others keep them", async () => {
    const fields = "spend,impressions,reach,frequency,cpp";
    const old = await ins(ACT_US, { time_range: range("2025-09-15", "2025-09-30"), breakdowns: "publisher_platform", fields });
    expect(old.length).toBeGreaterThan(0);
    for (const r of old) {
      expect(r).not.toHaveProperty("reach");
      expect(r).not.toHaveProperty("frequency");
      expect(r).not.toHaveProperty("cpp");
      expect(num(r.impressions)).toBeGreaterThan(0);
    }
    const noBreakdown = await ins(ACT_US, { time_range: range("2025-09-15", "2025-09-30"), fields });
    expect(num(noBreakdown[0].reach)).toBeGreaterThan(0);
    const recent = await ins(ACT_US, { time_range: range("2025-11-01", "2025-11-15"), breakdowns: "publisher_platform", fields });
    expect(recent.every((r) => num(r.reach) > 0)).toBe(true);
  });

  it("async jobs return that old breakdown reach, 10 per ad account per day; later jobs omit it", async () => {
    const P = { time_range: range("2025-09-15", "2025-09-30"), breakdowns: "publisher_platform", fields: "spend,reach,frequency" };
    const run = async () => {
      const id = (await c.post(`/${V}/${ACT_JP}/insights`, P)).body.report_run_id;
      let st: any;
      for (let i = 0; i < 4 && st?.async_status !== "Job Completed"; i++) st = (await c.get(`/${V}/${id}`)).body;
      expect(st.async_status).toBe("Job Completed");
      return (await c.get(`/${V}/${id}/insights`, { limit: "100" })).body.data as any[];
    };
    for (let i = 0; i < 10; i++) {
      const rows = await run();
      expect(rows.length).toBeGreaterThan(0);
      expect(
        rows.every((r) => num(r.reach) > 0),
        `job ${i + 1}`,
      ).toBe(true);
    }
    const eleventh = await run();
    expect(eleventh.length).toBeGreaterThan(0);
    expect(eleventh.some((r) => "reach" in r)).toBe(false);
  });

  it("37 months is the maximum history (3018)", async () => {
    expectGraphError(await c.get(`/${V}/${ACT_US}/insights`, { time_range: range("2023-09-01", "2023-09-30") }), 400, 100, 3018);
  });

  it("error responses of insights carry x-fb-ads-insights-throttle", async () => {
    const r = await c.get(`/${V}/${ACT_US}/insights`, { time_range: range("2023-09-01", "2023-09-30") });
    expect(r.status).toBe(400);
    const h = JSON.parse(r.headers.get("x-fb-ads-insights-throttle")!);
    expect(h).toHaveProperty("app_id_util_pct");
    expect(h).toHaveProperty("acc_id_util_pct");
    await c.ctl("/faults", { kind: "code80000", endpoint: "insights" });
    const limited = await c.get(`/${V}/${ACT_US}/insights`, {});
    expectGraphError(limited, 400, 80000);
    expect(JSON.parse(limited.headers.get("x-fb-ads-insights-throttle")!).acc_id_util_pct).toBe(100);
  });

  it("failed async runs carry error_code/error_message/error_subcode/error_user_title/error_user_msg by default from v25", async () => {
    const P = { level: "campaign", time_range: range("2026-10-01", "2026-10-31"), fields: "campaign_id,spend" };
    const run = async (v: string) => {
      await c.ctl("/faults", { kind: "async_failed" });
      const id = (await c.post(`/${v}/${ACT_US}/insights`, P)).body.report_run_id;
      let r: any;
      for (let i = 0; i < 4; i++) r = (await c.get(`/${v}/${id}`)).body;
      return r;
    };
    const v25 = await run("v25.0");
    expect(v25).toMatchObject({
      async_status: "Job Failed",
      error_code: -2,
      error_subcode: 2490547,
      error_message: expect.any(String),
      error_user_title: expect.any(String),
      error_user_msg: expect.any(String),
    });
    // before v25 (on a day v24.0 was live) the fields came only when asked for
    await c.ctl("/clock", { now: "2026-11-01T12:00:00Z" });
    try {
      const v24 = await run("v24.0");
      expect(v24.async_status).toBe("Job Failed");
      expect(v24).not.toHaveProperty("error_code");
    } finally {
      await c.ctl("/clock", { now: "2026-11-20T20:00:00Z" });
    }
  });
});
