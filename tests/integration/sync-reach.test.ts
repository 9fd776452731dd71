import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asUser } from "../../app/.server/db/connection";
import { fetchRangeReach } from "../../app/.server/sync/reach";
import { createUser } from "../helpers/factories";
import { emulator, connectTenant, testDeps, control, NOW } from "../helpers/sync-helpers";
import type { RunningEmulator } from "../../emulator/meta-graph/index";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await emulator({ world: { accounts: 1, campaignsPerAccount: 6 } });
});
afterAll(async () => {
  await emu?.close();
});

describe("range reach", () => {
  it("fetches reach for a range from Meta, caches it at that grain, and hides other tenants' accounts", async () => {
    const t = await connectTenant(emu, { n: 1 });
    const a = t.accounts[0]!;
    const graphFor = testDeps(emu).graphFor;
    const since = "2026-09-01";
    const until = "2026-09-30";
    const truth = await control(emu, "GET", `/truth?account=${a.metaAccountId}&since=${since}&until=${until}`);
    const r1 = await fetchRangeReach(undefined, a.id, since, until, { graphFor, now: NOW });
    expect(r1.cached).toBe(false);
    expect(Number(r1.reach)).toBe(truth.reach);
    const calls = (await control(emu, "GET", "/calls")).total;
    const r2 = await fetchRangeReach(undefined, a.id, since, until, { graphFor, now: NOW });
    expect(r2).toMatchObject({ reach: r1.reach, cached: true });
    expect((await control(emu, "GET", "/calls")).total).toBe(calls);
    const fb = await fetchRangeReach(undefined, a.id, since, until, { graphFor, now: NOW, platform: "facebook" });
    const fbTruth = await control(emu, "GET", `/truth?account=${a.metaAccountId}&since=${since}&until=${until}&platform=facebook`);
    expect(Number(fb.reach)).toBe(fbTruth.reach);
    expect(Number(fb.reach)).toBeLessThan(Number(r1.reach));
    const outsider = await createUser();
    await expect(asUser(outsider.id, (tx) => fetchRangeReach(tx, a.id, since, until, { graphFor, now: NOW }))).rejects.toThrow(/Not found/);
    await expect(fetchRangeReach(undefined, a.id, "2026-09-30", "2026-09-01", { graphFor })).rejects.toThrow(/before/);
  });
});
