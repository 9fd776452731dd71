import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "../../app/.server/db/connection";
import { emulator, connectTenant, sync, diffAgainstTruth, backfillWindow, control } from "../helpers/sync-helpers";
import type { RunningEmulator } from "../../emulator/meta-graph/index";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await emulator();
});
afterAll(async () => {
  await emu?.close();
});

describe("sync engine basics", () => {
  it("backfills one account exactly and an incremental re-read changes nothing", async () => {
    const t = await connectTenant(emu, { n: 1, backfillMonths: 2 });
    const acct = t.accounts[0]!;
    const r = await sync(emu, { adAccountId: acct.id, kind: "backfill" });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe("succeeded");
    expect(r.rows).toBeGreaterThan(0);
    const w = backfillWindow(acct.timezone, 2);
    expect(await diffAgainstTruth(emu, acct.id, acct.metaAccountId, w.since, w.until)).toEqual([]);
    const [v1] = await sql()`select version::int from public.data_versions where workspace_id = ${t.workspaceId}`;
    expect(v1!.version).toBeGreaterThan(0);
    const inc = await sync(emu, { adAccountId: acct.id, kind: "incremental" });
    expect(inc.status).toBe("succeeded");
    expect(inc.days).toBe(2);
    expect(await diffAgainstTruth(emu, acct.id, acct.metaAccountId, w.since, w.until)).toEqual([]);
    const runs =
      await sql()`select kind, status, progress::text, rows_written, api_calls from public.sync_runs where ad_account_id = ${acct.id} order by created_at`;
    expect(runs.map((x) => [x.kind, x.status, x.progress])).toEqual([
      ["backfill", "succeeded", "100.00"],
      ["incremental", "succeeded", "100.00"],
    ]);
    expect(runs[0]!.api_calls).toBeGreaterThan(0);
    const calls = await control(emu, "GET", "/calls");
    expect(calls.total).toBeGreaterThan(0);
  });
});

describe("incremental pass: one Graph call, account status included (ADR 0180)", () => {
  /** Backfills one account, has Meta disable it, runs an incremental pass after `before`; checks status and numbers. */
  async function incrementalOfDisabledAccount(before: () => Promise<unknown>) {
    const t = await connectTenant(emu, { n: 1, backfillMonths: 1 });
    const acct = t.accounts[0]!;
    expect((await sync(emu, { adAccountId: acct.id, kind: "backfill" })).status).toBe("succeeded");
    await control(emu, "POST", "/scenarios/disable-account", { account: acct.metaAccountId });
    try {
      await control(emu, "POST", "/calls/reset");
      await before();
      const inc = await sync(emu, { adAccountId: acct.id, kind: "incremental" });
      expect(inc.status).toBe("succeeded");
      expect(inc.days).toBe(2);
      const [row] = await sql()`select account_status from public.ad_accounts where id = ${acct.id}`;
      expect(row!.account_status).toBe(2);
      const w = backfillWindow(acct.timezone, 1);
      expect(await diffAgainstTruth(emu, acct.id, acct.metaAccountId, w.since, w.until)).toEqual([]);
      return { inc, calls: await control(emu, "GET", "/calls") };
    } finally {
      await control(emu, "POST", "/scenarios/clear", { account: acct.metaAccountId });
    }
  }

  it("reads today and yesterday and Meta's account_status in one call, exactly; a disabled account shows at once", async () => {
    const { inc, calls } = await incrementalOfDisabledAccount(async () => {});
    expect(inc.apiCalls).toBe(1);
    expect(calls.total).toBe(1);
    expect(calls.byKind).toEqual({ adaccount: 1 });
  });

  it("when Meta refuses the expanded read (code 100), reads the edge and the status apart and stays exact", async () => {
    const { calls } = await incrementalOfDisabledAccount(() => control(emu, "POST", "/faults", { kind: "code100", endpoint: "adaccount", count: 1 }));
    // the refused expanded read, the plain insights read, the plain status read
    expect(calls.byKind).toEqual({ adaccount: 2, insights: 1 });
  });
});

describe("conversion priority", async () => {
  const { CONVERSION_ACTION_PRIORITY, pickConversions } = await import("../../app/.server/meta/actions");
  const emulatorList = (await import("../../emulator/meta-graph/conversions")).CONVERSION_ACTION_PRIORITY;
  it("is the same list as the emulator's (so our numbers match Ads Manager's choice)", () => {
    expect([...CONVERSION_ACTION_PRIORITY]).toEqual([...emulatorList]);
  });
  it("takes the first present type and never sums overlapping ones", () => {
    const actions = [
      { action_type: "link_click", value: "40" },
      { action_type: "omni_purchase", value: "3" },
      { action_type: "purchase", value: "3" },
      { action_type: "onsite_web_purchase", value: "2" },
    ];
    const values = [
      { action_type: "purchase", value: "120.50" },
      { action_type: "omni_purchase", value: "99.10" },
    ];
    expect(pickConversions(actions, values)).toEqual({ conversions: "3", conversionValue: "99.10", actionType: "omni_purchase" });
    // the value is the counted type's: another type's value, or a value without a count, is not used
    expect(pickConversions(actions, [{ action_type: "purchase", value: "120.50" }])).toEqual({
      conversions: "3",
      conversionValue: "0",
      actionType: "omni_purchase",
    });
    expect(pickConversions(undefined, values)).toEqual({ conversions: "0", conversionValue: "0", actionType: null });
    expect(pickConversions(undefined, undefined)).toEqual({ conversions: "0", conversionValue: "0", actionType: null });
    expect(() => pickConversions([{ action_type: "purchase", value: "1e3" }], [])).toThrow(/non-numeric/);
  });
});
