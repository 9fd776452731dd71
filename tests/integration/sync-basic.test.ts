import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "../../app/.server/db/connection";
import { emulator, connectTenant, sync, diffAgainstTruth, backfillWindow, control } from "./sync-helpers";
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
    const runs = await sql()`select kind, status, progress::text, rows_written, api_calls from public.sync_runs where ad_account_id = ${acct.id} order by created_at`;
    expect(runs.map((x) => [x.kind, x.status, x.progress])).toEqual([
      ["backfill", "succeeded", "100.00"],
      ["incremental", "succeeded", "100.00"],
    ]);
    expect(runs[0]!.api_calls).toBeGreaterThan(0);
    const calls = await control(emu, "GET", "/calls");
    expect(calls.total).toBeGreaterThan(0);
  });
});
