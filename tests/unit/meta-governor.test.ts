import { describe, expect, it } from "vitest";
import { RateGovernor, usageFromHeaders } from "../../app/.server/meta/governor";

/** A governor on a fake clock: sleep advances time instead of waiting. */
function fakeGovernor(opts: ConstructorParameters<typeof RateGovernor>[0] = {}) {
  let now = 1_000_000;
  const sleeps: number[] = [];
  const g = new RateGovernor({
    slowIntervalMs: 1_000,
    pauseMs: 60_000,
    ...opts,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  });
  return { g, sleeps, advance: (ms: number) => (now += ms), now: () => now };
}

const h = (o: Record<string, unknown>) => new Headers(Object.fromEntries(Object.entries(o).map(([k, v]) => [k, JSON.stringify(v)])));

describe("usageFromHeaders", () => {
  it("takes the maximum percentage of every header, split into app and account", () => {
    const u = usageFromHeaders(
      h({
        "x-app-usage": { call_count: 12, total_time: 30, total_cputime: 5 },
        "x-ad-account-usage": { acc_id_util_pct: 40.5, reset_time_duration: 100 },
        "x-business-use-case-usage": {
          "999": [{ type: "ads_insights", call_count: 61, total_time: 70, total_cputime: 2, estimated_time_to_regain_access: 0 }],
        },
        "x-fb-ads-insights-throttle": { app_id_util_pct: 33, acc_id_util_pct: 12 },
      }),
    );
    expect(u).toEqual({ app: 33, account: 70, resetMs: 100_000 });
  });
  it("ignores malformed headers", () => {
    expect(usageFromHeaders(new Headers({ "x-app-usage": "{oops", "x-ad-account-usage": "null" }))).toEqual({});
  });
  it("a regain estimate means the account is blocked", () => {
    const u = usageFromHeaders(h({ "x-business-use-case-usage": { "1": [{ type: "ads_management", call_count: 10, estimated_time_to_regain_access: 2 }] } }));
    expect(u).toEqual({ account: 100, waitMs: 120_000 });
  });
});

describe("RateGovernor", () => {
  it("does not wait below the slow threshold", async () => {
    const { g, sleeps } = fakeGovernor();
    g.observe(h({ "x-ad-account-usage": { acc_id_util_pct: 84.9 } }), "act_1");
    for (let i = 0; i < 5; i++) await g.beforeCall("act_1");
    expect(sleeps).toEqual([]);
    expect(g.state("act_1")).toEqual({ usagePct: 84.9 });
  });

  it("spaces calls at ≥ 85 %", async () => {
    const { g, sleeps } = fakeGovernor();
    g.observe(h({ "x-ad-account-usage": { acc_id_util_pct: 88 } }), "act_1");
    await g.beforeCall("act_1");
    await g.beforeCall("act_1");
    await g.beforeCall("act_1");
    expect(sleeps).toEqual([1_000, 1_000]);
    // another account is not slowed by this one
    await g.beforeCall("act_2");
    expect(sleeps).toHaveLength(2);
  });

  it("pauses at ≥ 95 % for the default pause when Meta gives no estimate, then resumes", async () => {
    const { g, sleeps, now } = fakeGovernor();
    const t0 = now();
    g.observe(h({ "x-ad-account-usage": { acc_id_util_pct: 96 } }), "123");
    expect(g.state("act_123").pausedUntil).toBe(t0 + 60_000);
    await g.beforeCall("act_123");
    expect(sleeps).toEqual([60_000]);
    // after the pause the stale usage no longer slows us down
    await g.beforeCall("act_123");
    expect(sleeps).toEqual([60_000]);
    expect(g.state("act_123")).toEqual({ usagePct: 0 });
  });

  it("honours estimated_time_to_regain_access (minutes)", async () => {
    const { g, sleeps } = fakeGovernor();
    g.observe(h({ "x-business-use-case-usage": { "55": [{ type: "ads_insights", call_count: 97, estimated_time_to_regain_access: 4 }] } }), "act_9");
    await g.beforeCall("act_9");
    expect(sleeps).toEqual([240_000]);
  });

  it("honours the account reset time when it is blocked or nearly so", async () => {
    const { g, sleeps } = fakeGovernor();
    g.observe(h({ "x-ad-account-usage": { acc_id_util_pct: 100, reset_time_duration: 7 } }), "act_9");
    await g.beforeCall("act_9");
    g.observe(h({ "x-ad-account-usage": { acc_id_util_pct: 95.5, reset_time_duration: 3 } }), "act_9");
    await g.beforeCall("act_9");
    expect(sleeps).toEqual([7_000, 3_000]);
  });

  it("an app-level pause holds every account; an account pause holds only that account", async () => {
    const { g, sleeps } = fakeGovernor();
    g.observe(h({ "x-ad-account-usage": { acc_id_util_pct: 99 } }), "act_1");
    await g.beforeCall("act_2");
    expect(sleeps).toEqual([]);
    g.observe(h({ "x-app-usage": { call_count: 99, total_time: 1, total_cputime: 1 } }));
    await g.beforeCall("act_2");
    expect(sleeps).toEqual([60_000]);
  });

  it("penalize() pauses a key after a rate-limit error", async () => {
    const { g, sleeps } = fakeGovernor();
    g.penalize("act_5", 5_000);
    expect(g.state("act_5").usagePct).toBe(100);
    await g.beforeCall("act_5");
    expect(sleeps).toEqual([5_000]);
  });

  it("thresholds and pause lengths are configurable and bounded", async () => {
    const { g, sleeps } = fakeGovernor({ slowAtPct: 50, pauseAtPct: 70, pauseMs: 10, maxPauseMs: 2_000 });
    g.observe(h({ "x-ad-account-usage": { acc_id_util_pct: 72 } }), "act_1");
    await g.beforeCall("act_1");
    expect(sleeps).toEqual([10]);
    g.observe(h({ "x-business-use-case-usage": { x: [{ call_count: 100, estimated_time_to_regain_access: 600 }] } }), "act_1");
    await g.beforeCall("act_1");
    expect(sleeps).toEqual([10, 2_000]);
    expect(() => new RateGovernor({ slowAtPct: 90, pauseAtPct: 80 })).toThrow(/slowAtPct/);
  });

  it("concurrent callers in the slow zone are spaced one by one", async () => {
    const { g, sleeps } = fakeGovernor();
    g.observe(h({ "x-app-usage": { call_count: 90 } }));
    await Promise.all([g.beforeCall(), g.beforeCall(), g.beforeCall()]);
    expect(sleeps.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(2_000);
  });
});

describe("x-fb-ads-insights-throttle on error responses", () => {
  it("an insights call that fails still feeds its throttle header to the governor", async () => {
    const { GraphClient } = await import("../../app/.server/meta/graph");
    let t = 1_000_000;
    const governor = new RateGovernor({ now: () => t, sleep: async (ms) => void (t += ms) });
    const fetch = async () =>
      new Response(
        JSON.stringify({
          error: {
            message: "(#3018) The start date of the time range cannot be beyond 37 months from the current date",
            type: "OAuthException",
            code: 100,
            error_subcode: 3018,
          },
        }),
        {
          status: 400,
          headers: {
            "content-type": "application/json",
            "x-fb-ads-insights-throttle": JSON.stringify({ app_id_util_pct: 12, acc_id_util_pct: 97, ads_api_access_tier: "standard_access" }),
          },
        },
      );
    const graph = new GraphClient({
      accessToken: "EAAtoken",
      graphUrl: "https://graph.example",
      version: "v27.0",
      governor,
      fetch: fetch as typeof globalThis.fetch,
      maxRetries: 0,
    });
    await expect(graph.get("act_1/insights", { time_range: { since: "2023-01-01", until: "2023-01-02" } })).rejects.toMatchObject({ kind: "history_limit" });
    expect(governor.state("act_1").usagePct).toBe(97);
    expect(governor.state("act_1").pausedUntil).toBeGreaterThan(t);
    // the app's share came from the same header
    expect(governor.state().usagePct).toBe(12);
  });
});
