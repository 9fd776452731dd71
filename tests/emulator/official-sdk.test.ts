import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error -- the SDK ships no type declarations
import bizSdk from "facebook-nodejs-business-sdk";
import { ACT_JP, ACT_US, ALICE, boot, Ctx } from "./helpers";
import { DEFAULT_META_API_VERSION } from "../../app/.server/meta/versions";

// The official SDK hard-codes its base URL in the static getter FacebookAdsApi.GRAPH (defined with
// Object.defineProperty(..., configurable: true) by its transpiled createClass). For this test only we
// redefine that getter to point at the emulator. The SDK never sends appsecret_proof, so the emulator
// runs with requireAppsecretProof: false.
// The newest SDK on npm (24.0.1) pins v24.0, which Meta retired on 2026-11-10: the test pins the SDK to
// Spendlane's default version the same way (VERSION is a configurable static getter too), and checks
// that the SDK's own pin now gets Meta's 2635.
const { FacebookAdsApi, AdAccount, User, Campaign } = bizSdk as any;

let c: Ctx;
let originalGraph: PropertyDescriptor | undefined;
let originalVersion: PropertyDescriptor | undefined;
beforeAll(async () => {
  c = await boot({ requireAppsecretProof: false, asyncJob: { mode: "time", durationMs: 200 } });
  originalGraph = Object.getOwnPropertyDescriptor(FacebookAdsApi, "GRAPH");
  Object.defineProperty(FacebookAdsApi, "GRAPH", { get: () => c.url, configurable: true });
  originalVersion = Object.getOwnPropertyDescriptor(FacebookAdsApi, "VERSION");
  Object.defineProperty(FacebookAdsApi, "VERSION", { get: () => DEFAULT_META_API_VERSION, configurable: true });
  FacebookAdsApi.init(c.token, "en_US", false);
});
afterAll(async () => {
  if (originalGraph) Object.defineProperty(FacebookAdsApi, "GRAPH", originalGraph);
  if (originalVersion) Object.defineProperty(FacebookAdsApi, "VERSION", originalVersion);
  await c.close();
});

describe("official facebook-nodejs-business-sdk against the emulator", () => {
  it("uses the emulator base URL and Spendlane's default version", () => {
    expect(FacebookAdsApi.GRAPH).toBe(c.url);
    expect(FacebookAdsApi.VERSION).toBe(DEFAULT_META_API_VERSION);
  });

  it("the SDK's own pinned version (retired) gets Meta's 2635", async () => {
    const pinned = originalVersion?.get?.call(FacebookAdsApi) as string;
    expect(pinned).toBe("v24.0");
    const r = await fetch(`${c.url}/${pinned}/${ACT_US}?access_token=${c.token}`);
    expect(r.status).toBe(400);
    expect((await r.json()).error.code).toBe(2635);
  });

  it("reads /me and lists ad accounts across pages", async () => {
    const me = await new User("me").get(["id", "name"]);
    expect(me.id).toBe(ALICE);
    expect(me.name).toBe("Alice Martin");
    const cursor = await new User("me").getAdAccounts(["id", "name", "currency", "timezone_name"], { limit: 3 });
    const all: any[] = [...cursor];
    let cur = cursor;
    while (cur.hasNext()) {
      cur = await cur.next();
      all.push(...cur);
    }
    expect(all.map((a) => a.id)).toContain(ACT_US);
    expect(all).toHaveLength(8);
    expect(all.find((a) => a.id === ACT_JP).currency).toBe("JPY");
  });

  it("lists campaigns and reads one campaign", async () => {
    const camps = await new AdAccount(ACT_US).getCampaigns(["id", "name", "status", "objective", "daily_budget"], { limit: 100 });
    expect(camps.length).toBeGreaterThan(3);
    expect(camps.every((x: any) => ["ACTIVE", "PAUSED"].includes(x.status))).toBe(true);
    const one = await new Campaign(camps[0].id).get(["id", "name", "daily_budget"]);
    expect(one.name).toBe(camps[0].name);
    expect(one.daily_budget).toMatch(/^\d+$/);
  });

  it("reads sync insights (JSON-encoded params as the SDK sends them)", async () => {
    const rows = await new AdAccount(ACT_US).getInsights(["campaign_id", "spend", "impressions", "clicks", "ctr"], {
      level: "campaign",
      time_range: { since: "2026-11-01", until: "2026-11-07" },
      filtering: [{ field: "campaign.effective_status", operator: "IN", value: ["ACTIVE", "PAUSED"] }],
      limit: 100,
    });
    expect(rows.length).toBeGreaterThan(0);
    expect(rows[0].date_start).toBe("2026-11-01");
    expect(rows[0].spend).toMatch(/^\d+(\.\d+)?$/);
    const truth = await c.ctl(`/truth?account=${ACT_US}&since=2026-11-01&until=2026-11-07`);
    const [acct] = await new AdAccount(ACT_US).getInsights(["spend", "impressions"], { time_range: { since: "2026-11-01", until: "2026-11-07" } });
    expect(Number(acct.impressions)).toBe(truth.impressions);
  });

  it("runs an async report to completion and reads its results", async () => {
    const run = await new AdAccount(ACT_US).getInsightsAsync(["campaign_id", "spend", "impressions"], {
      level: "campaign",
      date_preset: "last_7d",
      time_increment: 1,
    });
    const id = run.report_run_id ?? run.id;
    expect(id).toMatch(/^\d+$/);
    // NB: in this SDK build `new AdReportRun(id)` loses its id (a transpiled class-field initialiser resets
    // `id` after the base constructor), so the run is polled through the SDK's own FacebookAdsApi.call().
    const api = FacebookAdsApi.getDefaultApi();
    let status = "";
    let pct = -1;
    const t0 = Date.now();
    while (status !== "Job Completed") {
      const r = await api.call("GET", [id], { fields: "async_status,async_percent_completion" });
      status = r.async_status;
      pct = r.async_percent_completion;
      if (Date.now() - t0 > 5000) throw new Error(`stuck at ${status}`);
      if (status !== "Job Completed") await new Promise((res) => setTimeout(res, 30));
    }
    expect(pct).toBe(100);
    const results = await api.call("GET", [id, "insights"], { fields: "campaign_id,spend", limit: 500 });
    expect(results.data.length).toBeGreaterThan(0);
    expect(results.data[0].campaign_id).toMatch(/^\d+$/);
  });

  it("surfaces Graph errors as FacebookRequestError", async () => {
    await expect(new AdAccount("act_1").get(["id"])).rejects.toMatchObject({ name: "FacebookRequestError" });
  });
});
