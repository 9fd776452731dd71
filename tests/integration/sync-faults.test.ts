/**
 * Every injected Meta fault either ends the sync exact or stops it with a clear status; a stopped
 * sync resumes from its checkpoint and then ends exact. Rows are never duplicated or lost.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "../../app/.server/db/connection";
import { emulator, connectTenant, sync, diffAgainstTruth, backfillWindow, control } from "../helpers/sync-helpers";
import type { RunningEmulator } from "../../emulator/meta-graph/index";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await emulator({ world: { accounts: 2, campaignsPerAccount: 8 } });
});
afterAll(async () => {
  await emu?.close();
});

const FAULTS: { kind: string; count: number; delayMs?: number; expect: ("succeeded" | "paused" | "needs_reauth")[] }[] = [
  { kind: "http500", count: 2, expect: ["succeeded"] },
  { kind: "code1", count: 2, expect: ["succeeded"] },
  { kind: "code2", count: 2, expect: ["succeeded"] },
  { kind: "drop", count: 2, expect: ["succeeded"] },
  { kind: "slow", count: 3, delayMs: 300, expect: ["succeeded"] },
  { kind: "async_failed", count: 1, expect: ["succeeded"] },
  // Three failures in a row: retry, then split the range, then the halves succeed.
  { kind: "async_failed", count: 3, expect: ["succeeded"] },
  // Rate limits with a wait longer than the client sits out: the run pauses with its checkpoint.
  { kind: "code17", count: 1, expect: ["succeeded", "paused"] },
  { kind: "code80004", count: 1, expect: ["succeeded", "paused"] },
  { kind: "code4", count: 1, expect: ["succeeded", "paused"] },
  { kind: "code613", count: 1, expect: ["succeeded", "paused"] },
  { kind: "code190", count: 1, expect: ["needs_reauth"] },
];

async function countRows(adAccountId: string) {
  const [r] = await sql()`select count(*)::int as n, count(distinct (meta_campaign_id, date, publisher_platform))::int as d
    from public.insights_daily where ad_account_id = ${adAccountId}`;
  return r as { n: number; d: number };
}

describe("fault injection", () => {
  for (const f of FAULTS) {
    it(`${f.kind} x${f.count}: exact or a clear stop, then exact after resuming`, async () => {
      await control(emu, "DELETE", "/faults");
      const t = await connectTenant(emu, { n: 1, backfillMonths: 3 });
      const a = t.accounts[0]!;
      const w = backfillWindow(a.timezone, 3);
      // A first chunk lands before the fault, so the fault hits mid-backfill.
      let chunks = 0;
      const r = await sync(
        emu,
        { adAccountId: a.id, kind: "backfill" },
        {
          onChunk: async () => {
            if (++chunks === 1) await control(emu, "POST", "/faults", { kind: f.kind, count: f.count, delayMs: f.delayMs });
          },
        },
      );
      expect(f.expect).toContain(r.status);
      if (r.status !== "succeeded") {
        expect(r.error!.length).toBeGreaterThan(30);
        expect(r.error).not.toContain(t.token);
        const [acct] = await sql()`select sync_status, sync_error from public.ad_accounts where id = ${a.id}`;
        expect(acct!.sync_error).toBe(r.error);
        expect(acct!.sync_error).not.toContain(t.token);
      }
      await control(emu, "DELETE", "/faults");
      if (r.status === "needs_reauth") {
        const [c] = await sql()`select status from public.meta_connections where id = ${t.connectionId}`;
        expect(c!.status).toBe("needs_reauth");
        const before = (await control(emu, "GET", "/calls")).total;
        const again = await sync(emu, { adAccountId: a.id, kind: "backfill" });
        expect(again.status).toBe("needs_reauth");
        expect((await control(emu, "GET", "/calls")).total).toBe(before);
        // What was committed before the token died is whole days, exact.
        const [{ min, max }] =
          (await sql()`select to_char(min(date), 'YYYY-MM-DD') as min, to_char(max(date), 'YYYY-MM-DD') as max from public.insights_daily where ad_account_id = ${a.id}`) as any;
        if (min) expect(await diffAgainstTruth(emu, a.id, a.metaAccountId, min, max)).toEqual([]);
        return;
      }
      if (r.status === "paused") {
        const [run] = await sql()`select id, status, checkpoint from public.sync_runs where id = ${r.runId}`;
        expect(run!.status).toBe("queued");
        expect(run!.checkpoint.remaining.length).toBeGreaterThan(0);
        const resumed = await sync(emu, { adAccountId: a.id, kind: "backfill" });
        expect(resumed.status).toBe("succeeded");
        expect(resumed.runId).toBe(r.runId);
      }
      expect(await diffAgainstTruth(emu, a.id, a.metaAccountId, w.since, w.until)).toEqual([]);
      const c = await countRows(a.id);
      expect(c.n).toBe(c.d);
    });
  }
});
