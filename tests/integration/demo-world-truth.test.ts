/**
 * The demo's world (emulator/meta-graph/demo-world.ts) through the real sync and reporting path:
 * the main client's USD account and the JPY account are backfilled from the emulator, and the
 * dashboard's totals and campaign rows equal the emulator's truth to the cent (and the yen). The
 * same truth shows the account mix the demo promises: sales campaigns mostly at 1.5–4x ROAS with a
 * loser or two, awareness and traffic campaigns with reach and clicks but no purchases.
 */
import { beforeAll, afterAll, describe, expect, it } from "vitest";
import { asUser } from "../../app/.server/db/connection";
import { addMember, createUser } from "../helpers/factories";
import { loadWorkspaceReport, parseRangeParams, trimDecimal, addDays } from "../../app/.server/reporting";
import { emulator, connectTenant, sync, control, dec, NOW, type ConnectedTenant } from "../helpers/sync-helpers";
import type { RunningEmulator } from "../../emulator/meta-graph/index";

let emu: RunningEmulator;
let t: ConnectedTenant;
let memberId: string;

interface Truth {
  currency: string;
  spend: string;
  impressions: number;
  clicks: number;
  inline_link_clicks: number;
  conversions: number | string;
  conversion_value: string;
  reach: number;
  campaigns?: {
    campaign_id: string;
    spend: string;
    impressions: number;
    clicks: number;
    conversions: number | string;
    conversion_value: string;
    reach?: number;
  }[];
}
const truth = (meta: string, since: string, until: string) => control<Truth>(emu, "GET", `/truth?account=${meta}&since=${since}&until=${until}&level=campaign`);

beforeAll(async () => {
  emu = await emulator({ seed: "demo", world: { profile: "demo" } });
  const world = await control<{ accounts: { id: string; name: string; currency: string; account_status: number }[] }>(emu, "GET", "/world");
  const usd = world.accounts.find((a) => a.name === "Acme Outdoor US")!;
  const jpy = world.accounts.find((a) => a.name === "Kumo Tea JP")!;
  t = await connectTenant(emu, { accounts: [usd.id, jpy.id], backfillMonths: 2 });
  for (const a of t.accounts) expect((await sync(emu, { adAccountId: a.id, kind: "backfill" })).status).toBe("succeeded");
  const member = await createUser();
  await addMember(t.agencyId, member.id, "member");
  memberId = member.id;
}, 180_000);
afterAll(async () => {
  await emu?.close();
});

describe("the demo world", () => {
  it.each([
    ["last 28 days", { since: addDays("2026-11-20", -28), until: addDays("2026-11-20", -1) }],
    ["a whole month", { since: "2026-10-01", until: "2026-10-31" }],
  ] as const)("dashboard = emulator truth, %s", async (_label, r) => {
    const params = parseRangeParams({ since: r.since, until: r.until, compare: "none" });
    const { report } = await asUser(memberId, (tx) => loadWorkspaceReport(tx, t.workspaceId, params, {}, NOW));
    expect(Object.keys(report.byCurrency).sort()).toEqual(["JPY", "USD"]);
    for (const a of t.accounts) {
      const g = report.byCurrency[a.currency]!;
      const tr = await truth(a.metaAccountId, r.since, r.until);
      expect(trimDecimal(g.totalsSums.spend)).toBe(dec(tr.spend));
      expect(Number(g.totalsSums.impressions)).toBe(tr.impressions);
      expect(Number(g.totalsSums.clicks)).toBe(tr.clicks);
      expect(trimDecimal(g.totalsSums.conversions)).toBe(dec(tr.conversions));
      expect(trimDecimal(g.totalsSums.conversion_value)).toBe(dec(tr.conversion_value));
      const byId = new Map(g.campaigns.map((c) => [c.meta_campaign_id, c]));
      for (const tc of tr.campaigns ?? []) {
        expect(trimDecimal(byId.get(tc.campaign_id)!.sums.spend)).toBe(dec(tc.spend));
        expect(trimDecimal(byId.get(tc.campaign_id)!.sums.conversion_value)).toBe(dec(tc.conversion_value));
      }
      // a healthy account: it makes more than it spends
      expect(g.totals.roas).toBeGreaterThan(1.5);
      expect(g.totals.roas).toBeLessThan(4);
    }
  });

  it("sales campaigns mostly at 1.5–4x with a loser; awareness and traffic with reach and clicks, no purchases", async () => {
    const world = await control<{ accounts: { id: string; name: string; campaigns: { id: string; name: string; objective: string }[] }[] }>(
      emu,
      "GET",
      "/world",
    );
    // a year of history, as the demo backfills it (all purchases credited by then)
    const since = "2025-11-01";
    const until = "2026-10-31";
    let sales = 0;
    let healthy = 0;
    let losers = 0;
    for (const acct of world.accounts.filter((a) => ["Acme Outdoor US", "Acme Outdoor EU", "Kumo Tea JP", "Blue Harbor Coffee UK"].includes(a.name))) {
      const tr = await truth(acct.id, since, until);
      for (const tc of tr.campaigns ?? []) {
        const c = acct.campaigns.find((x) => x.id === tc.campaign_id)!;
        const spend = Number(dec(tc.spend));
        if (c.objective === "OUTCOME_SALES") {
          const roas = Number(dec(tc.conversion_value)) / spend;
          sales++;
          if (roas >= 1.5 && roas <= 4.2) healthy++;
          if (roas < 1) losers++;
        } else {
          expect(Number(dec(tc.conversions)), c.name).toBe(0);
          expect(tc.clicks, c.name).toBeGreaterThan(0);
        }
      }
      expect(tr.reach).toBeGreaterThan(0);
    }
    expect(healthy / sales).toBeGreaterThan(0.75);
    expect(losers).toBeGreaterThanOrEqual(2);
  });
});
