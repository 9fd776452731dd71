/**
 * Pacing equals a hand computation, for a USD client in Los Angeles and a JPY client in Tokyo, on
 * the first and the last day of a month and on a daylight-saving change in the account's zone. The
 * facts are written by hand (so every figure below is computed on paper), through the same tables
 * and rollup triggers sync uses; pacing is read the way the overview reads it (loadPacing under RLS).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { asService, asUser } from "../../app/.server/db/connection";
import { computePacing, elapsedShareOfDay, loadPacing } from "../../app/.server/alerts/pacing";
import { createAgencyFixture } from "../helpers/factories";

let agencyId: string;
let memberId: string;
let usdWs: string;
let jpyWs: string;

async function account(workspaceId: string, currency: string, tz: string, days: Record<string, string>) {
  await asService(async (tx) => {
    const [a] = await tx<{ id: string }[]>`
      insert into public.ad_accounts (agency_id, workspace_id, meta_account_id, name, currency, timezone_name, account_status)
      values (${agencyId}, ${workspaceId}, ${`act_9${Date.now()}${currency.length}${Math.floor(Math.random() * 1e6)}`}, ${`${currency} account`}, ${currency}, ${tz}, 1)
      returning id`;
    for (const [date, spend] of Object.entries(days)) {
      await tx`insert into public.insights_daily (ad_account_id, meta_campaign_id, date, publisher_platform, workspace_id, spend, impressions, clicks)
        values (${a!.id}, '1', ${date}, 'facebook', ${workspaceId}, ${spend}, 1000, 10)`;
    }
  });
}

async function target(workspaceId: string, currency: string, from: string, monthly: string) {
  await asService(
    (tx) => tx`insert into public.workspace_targets (workspace_id, currency, effective_from, monthly_budget)
    values (${workspaceId}, ${currency}, ${from}, ${monthly})`,
  );
}

async function pacingAt(workspaceId: string, iso: string) {
  const m = await asUser(memberId, (tx) => loadPacing(tx, agencyId, new Date(iso)));
  return m.get(workspaceId)![0]!;
}

beforeAll(async () => {
  const f = await createAgencyFixture({ workspaces: 2 });
  agencyId = f.agency.id;
  memberId = f.member.id;
  usdWs = f.workspaces[0]!.id;
  jpyWs = f.workspaces[1]!.id;
  // USD: Oct 31 belongs to the previous month; Nov 1 = 60.00, Nov 2..29 = 100.00 each, Nov 30 = 40.00
  const usd: Record<string, string> = { "2026-10-31": "500.00", "2026-11-01": "60.00", "2026-11-30": "40.00" };
  for (let d = 2; d <= 29; d++) usd[`2026-11-${String(d).padStart(2, "0")}`] = "100.00";
  await account(usdWs, "USD", "America/Los_Angeles", usd);
  // JPY: Nov 1..29 = 30,000 each, Nov 30 = 20,000; Dec 1 = 1,234
  const jpy: Record<string, string> = { "2026-11-30": "20000", "2026-12-01": "1234" };
  for (let d = 1; d <= 29; d++) jpy[`2026-11-${String(d).padStart(2, "0")}`] = "30000";
  await account(jpyWs, "JPY", "Asia/Tokyo", jpy);
  // history: a change applies from its date
  await target(usdWs, "USD", "2026-10-01", "3000");
  await target(usdWs, "USD", "2026-11-15", "6000");
  await target(jpyWs, "JPY", "2026-11-01", "900000");
  await target(jpyWs, "JPY", "2026-12-01", "3100000");
});

describe("pacing (linear by day in the account's time zone)", () => {
  it("USD, first day of the month on the day Los Angeles leaves daylight saving time (a 25-hour day)", async () => {
    // Nov 1 2026 starts 07:00Z (PDT) and ends Nov 2 08:00Z (PST): 25 h. At 19:00Z, 12 h have passed: 12/25.
    const p = await pacingAt(usdWs, "2026-11-01T19:00:00Z");
    expect(p.today).toBe("2026-11-01");
    expect(p.elapsedDays).toBeCloseTo(0.48, 12);
    expect(p.budget).toBe(3000); // the 2026-11-15 budget does not apply yet
    expect(p.spendToDate).toBe(60); // Oct 31 is last month; Nov 2+ are in the future
    expect(p.expectedToDate).toBe(48); // 3000 x 0.48 / 30
    expect(p.projected).toBe(3750); // 60 / 0.48 x 30
    expect(p.ratio).toBeCloseTo(1.25, 12);
    expect(p.status).toBe("over");
  });

  it("USD, last day of the month, with the budget changed mid-month", async () => {
    // Nov 30 20:00Z = 12:00 PST: 29 complete days + 0.5. Spend 60 + 28 x 100 + 40 = 2900.
    const p = await pacingAt(usdWs, "2026-11-30T20:00:00Z");
    expect(p.today).toBe("2026-11-30");
    expect(p.elapsedDays).toBeCloseTo(29.5, 12);
    expect(p.budget).toBe(6000);
    expect(p.spendToDate).toBe(2900);
    expect(p.expectedToDate).toBe(5900); // 6000 x 29.5 / 30
    expect(p.projected).toBe(2949.15); // 2900 / 29.5 x 30 = 2949.1525…
    expect(p.status).toBe("under");
  });

  it("JPY, last day of the month in Tokyo (UTC is still on the 30th too)", async () => {
    // Nov 30 06:00Z = 15:00 JST: 29 + 15/24 = 29.625 days. Spend 29 x 30,000 + 20,000 = 890,000.
    const p = await pacingAt(jpyWs, "2026-11-30T06:00:00Z");
    expect(p.today).toBe("2026-11-30");
    expect(p.elapsedDays).toBeCloseTo(29.625, 12);
    expect(p.budget).toBe(900000);
    expect(p.spendToDate).toBe(890000);
    expect(p.expectedToDate).toBe(888750); // 900,000 x 29.625 / 30
    expect(p.projected).toBe(901266); // 890,000 / 29.625 x 30 = 901,265.82… -> whole yen
    expect(p.status).toBe("on_track");
  });

  it("JPY, first day of the month in Tokyo while UTC is still on the last day of the previous one", async () => {
    // Nov 30 15:30Z = Dec 1 00:30 JST: 0.5/24 of December's 31 days; the December budget applies.
    const p = await pacingAt(jpyWs, "2026-11-30T15:30:00Z");
    expect(p.today).toBe("2026-12-01");
    expect(p.monthStart).toBe("2026-12-01");
    expect(p.daysInMonth).toBe(31);
    expect(p.budget).toBe(3100000);
    expect(p.spendToDate).toBe(1234);
    expect(p.expectedToDate).toBe(2083); // 3,100,000 x (0.5/24) / 31 = 2,083.33…
    expect(p.projected).toBe(1836192); // 1,234 x 48 x 31
    expect(p.status).toBe("under");
  });

  it("the spring-forward day is 23 hours long, and the fall-back day 25", () => {
    // Mar 8 2026 starts 08:00Z (PST) and ends Mar 9 07:00Z (PDT); at 19:00Z 11 of 23 hours passed.
    expect(elapsedShareOfDay("2026-03-08", "America/Los_Angeles", new Date("2026-03-08T19:00:00Z"))).toBeCloseTo(11 / 23, 12);
    expect(elapsedShareOfDay("2026-11-01", "America/Los_Angeles", new Date("2026-11-01T19:00:00Z"))).toBeCloseTo(12 / 25, 12);
    // Berlin leaves summer time on Oct 25 2026: midnight is 22:00Z the day before, the day ends 23:00Z.
    expect(elapsedShareOfDay("2026-10-25", "Europe/Berlin", new Date("2026-10-25T10:00:00Z"))).toBeCloseTo(12 / 25, 12);
  });

  it("a daily budget alone stands for daily x days in the month; no budget means no pacing", () => {
    const p = computePacing({
      currency: "USD",
      timezone: "UTC",
      now: new Date("2026-02-14T12:00:00Z"),
      monthlyBudget: null,
      dailyBudget: "50",
      spendToDate: "675",
    });
    expect(p!.budget).toBe(1400); // 50 x 28 days of February 2026
    expect(p!.budgetFromDaily).toBe(true);
    expect(p!.expectedToDate).toBe(675); // 1400 x 13.5 / 28
    expect(p!.status).toBe("on_track");
    expect(computePacing({ currency: "USD", timezone: "UTC", now: new Date(), monthlyBudget: null, dailyBudget: null, spendToDate: "1" })).toBeNull();
  });

  it("RLS: agency B and the viewer of another workspace see no pacing of these clients", async () => {
    const B = await createAgencyFixture({ workspaces: 1 });
    expect((await asUser(B.owner.id, (tx) => loadPacing(tx, agencyId, new Date("2026-11-30T20:00:00Z")))).size).toBe(0);
  });
});
