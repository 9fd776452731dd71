/**
 * Alert scenarios of the control API: deterministic, visible through the Graph API like any other
 * state, and reversible.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACT_JP, ACT_US, V, boot, type Ctx } from "./helpers";

let c: Ctx;
beforeAll(async () => {
  c = await boot();
});
afterAll(async () => {
  await c?.close();
});

const spendOn = async (account: string, day: string) => (await c.ctl(`/truth?account=${account}&since=${day}&until=${day}`)).spend_minor as number;

describe("scenarios", () => {
  it("spike: adds factor x the median of the 14 days before, today in the account's zone; clear removes it", async () => {
    // NOW is 2026-11-20T20:00Z: 12:00 in Los Angeles
    const before = await spendOn(ACT_US, "2026-11-20");
    const days = [];
    for (let i = 1; i <= 14; i++) days.push(await spendOn(ACT_US, `2026-11-${String(20 - i).padStart(2, "0")}`));
    const sorted = [...days].sort((a, b) => a - b);
    const median = Math.round((sorted[6]! + sorted[7]!) / 2);
    const r = await c.ctl("/scenarios/spike", { account: ACT_US, factor: 4 });
    expect(r).toMatchObject({ ok: true, date: "2026-11-20", baseline_median_minor: median, spend_minor: median * 4 });
    expect(await spendOn(ACT_US, "2026-11-20")).toBe(before + median * 4);
    // the Graph API reports it too
    const ins = await c.get(`/${V}/${ACT_US}/insights`, { time_range: JSON.stringify({ since: "2026-11-20", until: "2026-11-20" }), fields: "spend" });
    expect(Math.round(Number(ins.body.data[0].spend) * 100)).toBe(before + median * 4);
    await c.ctl("/scenarios/clear", { account: ACT_US });
    expect(await spendOn(ACT_US, "2026-11-20")).toBe(before);
  });

  it("zero-delivery: the day has no rows at all; clear brings them back", async () => {
    const day = "2026-11-21"; // already the 21st in Tokyo
    expect(await spendOn(ACT_JP, day)).toBeGreaterThan(0);
    expect((await c.ctl("/scenarios/zero-delivery", { account: ACT_JP })).date).toBe(day);
    const ins = await c.get(`/${V}/${ACT_JP}/insights`, { time_range: JSON.stringify({ since: day, until: day }), fields: "spend,impressions" });
    expect(ins.body.data).toEqual([]);
    await c.ctl("/scenarios/clear", { account: ACT_JP });
    expect(await spendOn(ACT_JP, day)).toBeGreaterThan(0);
  });

  it("disable-account: account_status and disable_reason as Meta reports them; clear restores", async () => {
    await c.ctl("/scenarios/disable-account", { account: ACT_US });
    const a = await c.get(`/${V}/${ACT_US}`, { fields: "account_status,disable_reason" });
    expect(a.body).toMatchObject({ account_status: 2, disable_reason: 1 });
    expect((await c.ctl("/scenarios/disable-account", { account: ACT_US, status: 1 })).error).toMatch(/non-active/);
    await c.ctl("/scenarios/clear", { account: ACT_US });
    expect((await c.get(`/${V}/${ACT_US}`, { fields: "account_status,disable_reason" })).body).toMatchObject({ account_status: 1, disable_reason: 0 });
  });

  it("expiring-token: expires in N days at the emulator's clock, and debug_token says so", async () => {
    const t = await c.ctl("/scenarios/expiring-token", { days: 3 });
    expect(t.expires_at).toBe(Date.parse("2026-11-20T20:00:00Z") / 1000 + 3 * 86400);
    const me = await c.get(`/${V}/me`, {}, { token: t.access_token });
    expect(me.status).toBe(200);
    expect((await c.ctl("/scenarios/expiring-token", { days: 0 })).error).toMatch(/days/);
  });

  it("bad input changes nothing", async () => {
    expect((await c.ctl("/scenarios/spike", { account: "act_999" })).error).toBe("unknown account");
    expect((await c.ctl("/scenarios/nope", { account: ACT_US })).error).toMatch(/unknown scenario/);
    expect((await c.ctl("/scenarios/spike", { account: ACT_US, date: "2026-13-40" })).error).toMatch(/YYYY-MM-DD/);
  });
});
