/**
 * Acceptance: the dashboard's numbers (reporting module under RLS, as the page loads them) and the
 * CLI's JSON agree with the Meta emulator's ground truth, for several ranges, a JPY account and a
 * range across a month boundary. Facts arrive the real way: the sync engine against the emulator.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { asUser } from "../../app/.server/db/connection";
import { addMember, createUser } from "../helpers/factories";
import { runProcess } from "../helpers/run-process";
import { loadWorkspaceReport, parseRangeParams, trimDecimal, addDays } from "../../app/.server/reporting";
import { workspaceDashboard } from "../../app/.server/reporting/dashboard";
import { resetEnvForTests } from "../../app/.server/env";
import { emulator, connectTenant, sync, control, dec, NOW, backfillWindow, type ConnectedTenant } from "../helpers/sync-helpers";
import { DEFAULT_APP_SECRET, type RunningEmulator } from "../../emulator/meta-graph/index";

let emu: RunningEmulator;
let t: ConnectedTenant;
let memberId: string;
let checkedPrevious = 0;

beforeAll(async () => {
  emu = await emulator();
  const world = await control<{ accounts: { id: string; currency: string; account_status: number }[] }>(emu, "GET", "/world");
  const active = world.accounts.filter((a) => a.account_status === 1);
  const jpy = active.find((a) => a.currency === "JPY");
  const usd = active.find((a) => a.currency === "USD");
  expect(jpy && usd).toBeTruthy();
  t = await connectTenant(emu, { accounts: [usd!.id, jpy!.id], backfillMonths: 2 });
  for (const a of t.accounts) {
    const r = await sync(emu, { adAccountId: a.id, kind: "backfill" });
    expect(r.status).toBe("succeeded");
  }
  const member = await createUser();
  await addMember(t.agencyId, member.id, "member");
  memberId = member.id;
});
afterAll(async () => {
  await emu?.close();
});

interface Truth {
  currency: string;
  spend: string;
  impressions: number;
  clicks: number;
  inline_link_clicks: number;
  conversions: number | string;
  conversion_value: string;
  campaigns?: (Omit<Truth, "campaigns" | "currency"> & { campaign_id: string })[];
}

function truth(meta: string, since: string, until: string) {
  return control<Truth>(emu, "GET", `/truth?account=${meta}&since=${since}&until=${until}&level=campaign`);
}

// ranges relative to the emulator's clock (accounts' "today" around 2026-11-20)
const RANGES: [string, (today: string) => { since: string; until: string }][] = [
  ["last 7 days", (d) => ({ since: addDays(d, -7), until: addDays(d, -1) })],
  ["across the Oct/Nov boundary", () => ({ since: "2026-10-25", until: "2026-11-08" })],
  ["one day", () => ({ since: "2026-11-01", until: "2026-11-01" })],
  ["a whole month", () => ({ since: "2026-10-01", until: "2026-10-31" })],
];

describe("dashboard numbers = emulator ground truth", () => {
  it.each(RANGES)("%s", async (_label, mk) => {
    const r = mk("2026-11-20");
    const params = parseRangeParams({ since: r.since, until: r.until, compare: "previous" });
    const { report } = await asUser(memberId, (tx) => loadWorkspaceReport(tx, t.workspaceId, params, {}, NOW));
    expect(Object.keys(report.byCurrency).sort()).toEqual(["JPY", "USD"]);
    for (const a of t.accounts) {
      const g = report.byCurrency[a.currency];
      const tr = await truth(a.metaAccountId, r.since, r.until);
      expect(tr.currency).toBe(a.currency);
      expect(trimDecimal(g.totalsSums.spend)).toBe(dec(tr.spend));
      expect(Number(g.totalsSums.impressions)).toBe(tr.impressions);
      expect(Number(g.totalsSums.clicks)).toBe(tr.clicks);
      expect(Number(g.totalsSums.link_clicks)).toBe(tr.inline_link_clicks);
      expect(trimDecimal(g.totalsSums.conversions)).toBe(dec(tr.conversions));
      expect(trimDecimal(g.totalsSums.conversion_value)).toBe(dec(tr.conversion_value));
      // ratios from the sums, exactly as Ads Manager defines them
      expect(g.totals.cpc).toBe(tr.clicks ? Number(dec(tr.spend)) / tr.clicks : null);
      expect(g.totals.roas).toBe(Number(dec(tr.spend)) ? Number(dec(tr.conversion_value)) / Number(dec(tr.spend)) : null);
      // campaign rows
      const byId = new Map(g.campaigns.map((c) => [c.meta_campaign_id, c]));
      for (const tc of tr.campaigns ?? []) {
        const c = byId.get(tc.campaign_id);
        expect(c, `campaign ${tc.campaign_id}`).toBeDefined();
        expect(trimDecimal(c!.sums.spend)).toBe(dec(tc.spend));
        expect(Number(c!.sums.impressions)).toBe(tc.impressions);
      }
      expect(g.campaigns.filter((c) => Number(c.sums.impressions) > 0 || Number(c.sums.spend) > 0).length).toBe((tr.campaigns ?? []).length);
      // the previous period too, where the 2-month backfill reaches
      if (report.range.previous!.since >= backfillWindow(a.timezone, 2).since) {
        const pt = await truth(a.metaAccountId, report.range.previous!.since, report.range.previous!.until);
        expect(g.previous!.spend).toBe(Number(dec(pt.spend)));
        checkedPrevious++;
      }
    }
    // JPY money has no minor unit
    expect(report.byCurrency.JPY.totalsSums.spend).toMatch(/^\d+(\.0+)?$/);
  });

  it("compared at least some previous periods", () => {
    expect(checkedPrevious).toBeGreaterThan(0);
  });

  it("Meta failing during a page load leaves the page rendered with reach marked unavailable", async () => {
    const saved = { url: process.env.META_GRAPH_URL, secret: process.env.META_APP_SECRET };
    process.env.META_GRAPH_URL = emu.url;
    process.env.META_APP_SECRET = DEFAULT_APP_SECRET;
    resetEnvForTests();
    try {
      const page = (since: string, until: string) =>
        workspaceDashboard({
          userId: memberId,
          workspaceId: t.workspaceId,
          url: new URL(`http://x/?since=${since}&until=${until}&compare=none`),
          isStaff: true,
          now: NOW,
        });
      // every Meta call fails (server errors, retried, then given up): the numbers still render
      await control(emu, "POST", "/faults", { kind: "http500", count: 1000 });
      const failing = await page("2026-10-02", "2026-10-09");
      expect(failing.groups.map((g) => g.currency).sort()).toEqual(["JPY", "USD"]);
      expect(failing.groups.every((g) => g.totals.spend !== null)).toBe(true);
      const reach = await failing.reach;
      expect(reach.USD.status).toBe("unavailable");
      expect(reach.JPY.status).toBe("unavailable");
      await control(emu, "DELETE", "/faults");
      // once Meta answers again, the same kind of view gets Meta's reach for exactly that range
      const usd = t.accounts.find((a) => a.currency === "USD")!;
      const ok = await (await page("2026-10-03", "2026-10-10")).reach;
      const tr = await control<{ reach: number }>(emu, "GET", `/truth?account=${usd.metaAccountId}&since=2026-10-03&until=2026-10-10`);
      expect(ok.USD).toMatchObject({ status: "ok", reach: tr.reach });
    } finally {
      await control(emu, "DELETE", "/faults");
      process.env.META_GRAPH_URL = saved.url;
      process.env.META_APP_SECRET = saved.secret;
      if (saved.url === undefined) delete process.env.META_GRAPH_URL;
      if (saved.secret === undefined) delete process.env.META_APP_SECRET;
      resetEnvForTests();
    }
  });

  it("a range with no delivery in our numbers has no reach or frequency, even where Meta has some", async () => {
    const saved = { url: process.env.META_GRAPH_URL, secret: process.env.META_APP_SECRET };
    process.env.META_GRAPH_URL = emu.url;
    process.env.META_APP_SECRET = DEFAULT_APP_SECRET;
    resetEnvForTests();
    try {
      const usd = t.accounts.find((a) => a.currency === "USD")!;
      // January 2025 is outside the 2-month backfill: Meta (the emulator) delivered then, we hold nothing.
      const tr = await control<{ impressions: number; reach: number }>(emu, "GET", `/truth?account=${usd.metaAccountId}&since=2025-01-01&until=2025-01-31`);
      expect(tr.impressions).toBeGreaterThan(0);
      expect(tr.reach).toBeGreaterThan(0);
      const view = await workspaceDashboard({
        userId: memberId,
        workspaceId: t.workspaceId,
        url: new URL("http://x/?since=2025-01-01&until=2025-01-31&compare=none"),
        isStaff: true,
        now: NOW,
      });
      const g = view.groups.find((x) => x.currency === "USD")!;
      expect(g.totals.impressions).toBe(0);
      // Meta's reach beside our 0 impressions was the "Reach 392,195, Frequency 2.50" of an empty month
      const reach = await view.reach;
      expect(reach.USD).toEqual({ status: "unavailable", reason: expect.stringMatching(/^No delivery/) });
      // and the emulator itself never invents reach: before the first campaign there is none
      const empty = await control<{ impressions: number; reach: number }>(emu, "GET", `/truth?account=${usd.metaAccountId}&since=2023-09-01&until=2023-09-30`);
      expect(empty).toMatchObject({ impressions: 0, reach: 0 });
    } finally {
      process.env.META_GRAPH_URL = saved.url;
      process.env.META_APP_SECRET = saved.secret;
      if (saved.url === undefined) delete process.env.META_GRAPH_URL;
      if (saved.secret === undefined) delete process.env.META_APP_SECRET;
      resetEnvForTests();
    }
  });

  it("the CLI prints the same numbers", async () => {
    const r = { since: "2026-10-25", until: "2026-11-08" };
    const out = await runProcess(
      "node",
      ["cli/bin.mjs", "report", "--workspace", t.workspaceId, "--since", r.since, "--until", r.until, "--compare", "year", "--json"],
      // live reach through the sync module's fetchRangeReach, against the emulator
      {
        env: { ...process.env, DATABASE_URL: inject("databaseUrl"), LOG_LEVEL: "silent", META_GRAPH_URL: emu.url, META_APP_SECRET: DEFAULT_APP_SECRET },
        timeoutMs: 150_000,
      },
    );
    expect(out.status, out.stderr).toBe(0);
    const json = JSON.parse(out.stdout);
    expect(json.range).toEqual({ since: r.since, until: r.until, compare: { kind: "year", since: "2025-10-25", until: "2025-11-08" } });
    // the attribution windows of the conversions, at the top level (each account's own setting here)
    const byCurrency = { windows: ["7d_click", "1d_view"], label: "7-day click or 1-day view", mixed: false };
    expect(json.attribution).toEqual({ choice: "account_default", windows: ["7d_click", "1d_view"], byCurrency: { USD: byCurrency, JPY: byCurrency } });
    for (const a of t.accounts) {
      const tr = await truth(a.metaAccountId, r.since, r.until);
      const tot = json.byCurrency[a.currency].totals;
      expect(tot.spend).toBe(Number(dec(tr.spend)));
      expect(tot.impressions).toBe(tr.impressions);
      expect(tot.clicks).toBe(tr.clicks);
      expect(tot.link_clicks).toBe(tr.inline_link_clicks);
      expect(tot.conversions).toBe(Number(dec(tr.conversions)));
      expect(tot.conversion_value).toBe(Number(dec(tr.conversion_value)));
      expect(tot.cpm).toBe(tr.impressions ? (Number(dec(tr.spend)) / tr.impressions) * 1000 : null);
      // reach is Meta's for exactly this range (never a sum of days), frequency = impressions / reach
      expect(tot.reach).toBe(Number((tr as unknown as { reach: number }).reach));
      expect(tot.frequency).toBeCloseTo(tr.impressions / tot.reach, 10);
      const daySum = json.byCurrency[a.currency].daily.reduce((s: number, d: { impressions: number }) => s + d.impressions, 0);
      expect(daySum).toBe(tr.impressions);
    }
  });
});
