/**
 * Resuming and correcting: a SIGKILLed worker's backfill resumes from its checkpoint, the daily
 * restatement pass corrects a restated day, an expired token stops all calls, two concurrent
 * requests for one account run once, and a run that stalled past its lease stops without writing and
 * leaves no run looking busy.
 */
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { sql } from "../../app/.server/db/connection";
import { addDays, accountToday } from "../../app/.server/sync/planner";
import { dueAccounts } from "../../app/.server/sync/scheduler";
import { emulator, connectTenant, sync, diffAgainstTruth, backfillWindow, control, NOW } from "../helpers/sync-helpers";
import type { RunningEmulator } from "../../emulator/meta-graph/index";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await emulator({ world: { accounts: 3, campaignsPerAccount: 10 } });
});
afterAll(async () => {
  await emu?.close();
});

describe("resuming and correcting", () => {
  it("resumes a SIGKILLed worker's backfill from its checkpoint and ends exact", async () => {
    const t = await connectTenant(emu, { n: 1, backfillMonths: 8 });
    const a = t.accounts[0]!;
    const child = spawn(process.execPath, ["--import", "tsx", "tests/helpers/sync-kill-child.ts", emu.url, a.id], {
      env: { ...process.env, DATABASE_URL: inject("databaseUrl") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const killedRun = await new Promise<string>((resolve, reject) => {
      let seen = 0;
      child.stdout.on("data", (d: Buffer) => {
        for (const line of String(d).split("\n")) {
          const m = /^chunk (\S+) (\d+)/.exec(line);
          if (m && ++seen === 2) {
            child.kill("SIGKILL");
            resolve(m[1]!);
          }
          if (line === "done") reject(new Error("child finished before it was killed"));
        }
      });
      child.on("exit", (code, signal) => {
        if (signal !== "SIGKILL") reject(new Error(`child exited ${code}: ${stderr.slice(-2000)}`));
      });
    });
    await new Promise((r) => child.once("exit", r));
    const [before] = await sql()`select status, checkpoint, days_done from public.sync_runs where id = ${killedRun}`;
    expect(before!.status).toBe("running");
    const remainingAtKill = before!.checkpoint.remaining.length;
    expect(remainingAtKill).toBeGreaterThan(0);
    // While the dead worker's lease is live, nobody else runs this account.
    const blocked = await sync(emu, { adAccountId: a.id, kind: "backfill" });
    expect(blocked.status).toBe("skipped");
    await new Promise((r) => setTimeout(r, 1700));
    const resumed = await sync(emu, { adAccountId: a.id, kind: "backfill" });
    expect(resumed.status).toBe("succeeded");
    expect(resumed.runId).toBe(killedRun);
    // Only the chunks left at the kill were read again.
    expect(resumed.days).toBeLessThan(before!.checkpoint.total * 30);
    const w = backfillWindow(a.timezone, 8);
    expect(await diffAgainstTruth(emu, a.id, a.metaAccountId, w.since, w.until)).toEqual([]);
    const runs = await sql()`select status from public.sync_runs where ad_account_id = ${a.id} and status <> 'skipped'`;
    expect(runs.map((r) => r.status)).toEqual(["succeeded"]);
  });

  it("corrects a day restated ten days back on the next restatement pass", async () => {
    const t = await connectTenant(emu, { n: 1, backfillMonths: 2 });
    const a = t.accounts[0]!;
    expect((await sync(emu, { adAccountId: a.id, kind: "backfill" })).status).toBe("succeeded");
    const day = addDays(accountToday(a.timezone, NOW), -10);
    const [old] = await sql()`select sum(spend)::text as spend from public.insights_daily where ad_account_id = ${a.id} and date = ${day}`;
    await control(emu, "POST", "/restate", { account: a.metaAccountId, date: day, factor: 1.25 });
    try {
      expect((await diffAgainstTruth(emu, a.id, a.metaAccountId, day, day)).length).toBeGreaterThan(0);
      const r = await sync(emu, { adAccountId: a.id, kind: "restatement" });
      expect(r.status).toBe("succeeded");
      expect(r.days).toBe(28);
      expect(await diffAgainstTruth(emu, a.id, a.metaAccountId, day, day)).toEqual([]);
      const [now] = await sql()`select sum(spend)::text as spend from public.insights_daily where ad_account_id = ${a.id} and date = ${day}`;
      expect(now!.spend).not.toBe(old!.spend);
      const w = backfillWindow(a.timezone, 2);
      expect(await diffAgainstTruth(emu, a.id, a.metaAccountId, w.since, w.until)).toEqual([]);
    } finally {
      await control(emu, "POST", "/restate", { account: a.metaAccountId, date: day, factor: 1 });
    }
  });

  it("marks the connection needs_reauth on an expired token and stops calling Meta with it", async () => {
    const t = await connectTenant(emu, { n: 1, backfillMonths: 1 });
    const a = t.accounts[0]!;
    expect((await sync(emu, { adAccountId: a.id, kind: "backfill" })).status).toBe("succeeded");
    await control(emu, "POST", "/tokens/expire", { access_token: t.token });
    const r = await sync(emu, { adAccountId: a.id, kind: "incremental" });
    expect(r.status).toBe("needs_reauth");
    expect(r.error).toMatch(/Reconnect/);
    const [c] = await sql()`select status, status_reason from public.meta_connections where id = ${t.connectionId}`;
    expect(c!.status).toBe("needs_reauth");
    expect(c!.status_reason).not.toContain(t.token);
    const calls = (await control(emu, "GET", "/calls")).total;
    // The scheduler no longer considers the account due, and a direct run makes no call.
    const due = await dueAccounts(1);
    expect(due.map((d) => d.adAccountId)).not.toContain(a.id);
    expect((await sync(emu, { adAccountId: a.id, kind: "incremental" })).status).toBe("needs_reauth");
    expect((await control(emu, "GET", "/calls")).total).toBe(calls);
  });

  it("a run whose lease another worker took stops before its next write and closes its run as canceled", async () => {
    const t = await connectTenant(emu, { n: 1, backfillMonths: 3 });
    const a = t.accounts[0]!;
    let atTakeover: { days_done: number; rows_written: number } | undefined;
    const stalled = await sync(
      emu,
      { adAccountId: a.id, kind: "backfill" },
      {
        // After the first committed chunk the lease passes to another holder, as when this worker
        // stalled past its lease and a second one took the account over.
        onChunk: async ({ runId }) => {
          if (atTakeover) return;
          await sql()`update public.ad_accounts set sync_lease_owner = gen_random_uuid(), sync_lease_until = now() + interval '1 hour' where id = ${a.id}`;
          [atTakeover] = await sql()<{ days_done: number; rows_written: number }[]>`select days_done, rows_written from public.sync_runs where id = ${runId}`;
        },
      },
    );
    expect(stalled.status).toBe("skipped");
    expect(stalled.error).toMatch(/Another worker took over/);
    const [row] = await sql()<{ status: string; error: string; finished_at: Date | null; days_done: number; rows_written: number }[]>`
      select status, error, finished_at, days_done, rows_written from public.sync_runs where id = ${stalled.runId}`;
    expect(row!.status).toBe("canceled");
    expect(row!.error).toMatch(/Another worker took over/);
    expect(row!.finished_at).not.toBeNull();
    // nothing written after the takeover
    expect({ days_done: row!.days_done, rows_written: row!.rows_written }).toEqual(atTakeover);
    // the holder's lease is untouched: the stopped run released only its own
    const [lease] = await sql()<{ until: Date | null }[]>`select sync_lease_until as until from public.ad_accounts where id = ${a.id}`;
    expect(lease!.until!.getTime()).toBeGreaterThan(Date.now() + 30 * 60_000);
    // once the account is free again, the next backfill plans from what was stored and ends exact
    await sql()`update public.ad_accounts set sync_lease_owner = null, sync_lease_until = null where id = ${a.id}`;
    const next = await sync(emu, { adAccountId: a.id, kind: "backfill" });
    expect(next.status).toBe("succeeded");
    expect(next.runId).not.toBe(stalled.runId);
    const w = backfillWindow(a.timezone, 3);
    expect(await diffAgainstTruth(emu, a.id, a.metaAccountId, w.since, w.until)).toEqual([]);
  });

  it("a stalled run leaves its run to the worker that resumed it", async () => {
    const t = await connectTenant(emu, { n: 1, backfillMonths: 3 });
    const a = t.accounts[0]!;
    let taker: ReturnType<typeof sync> | undefined;
    let takerResumed!: () => void;
    const resumed = new Promise<void>((r) => (takerResumed = r));
    let stalledDone!: () => void;
    const stalledEnded = new Promise<void>((r) => (stalledDone = r));
    const stalled = await sync(
      emu,
      { adAccountId: a.id, kind: "backfill" },
      {
        // The lease lapses after the first chunk; another worker takes the account and, the run being
        // of its kind, resumes that same run from its checkpoint. It is still working on it when the
        // stalled run wakes up and finds the lease gone.
        onChunk: async () => {
          if (taker) return;
          await sql()`update public.ad_accounts set sync_lease_owner = null, sync_lease_until = null where id = ${a.id}`;
          let first = true;
          taker = sync(
            emu,
            { adAccountId: a.id, kind: "backfill" },
            {
              onChunk: async () => {
                if (!first) return;
                first = false;
                takerResumed();
                await stalledEnded;
              },
            },
          );
          await resumed;
        },
      },
    );
    expect(stalled.status).toBe("skipped");
    // the row is the taker's now: still running, not closed by the stalled run
    const [mid] = await sql()<{ status: string; finished_at: Date | null }[]>`select status, finished_at from public.sync_runs where id = ${stalled.runId}`;
    expect(mid).toEqual({ status: "running", finished_at: null });
    stalledDone();
    const done = await taker!;
    expect(done.status).toBe("succeeded");
    expect(done.runId).toBe(stalled.runId);
    const runs = await sql()<{ status: string; error: string | null }[]>`select status, error from public.sync_runs where ad_account_id = ${a.id}`;
    expect(runs).toEqual([{ status: "succeeded", error: null }]);
    const w = backfillWindow(a.timezone, 3);
    expect(await diffAgainstTruth(emu, a.id, a.metaAccountId, w.since, w.until)).toEqual([]);
  });

  it("runs two concurrent syncs of one account once", async () => {
    const t = await connectTenant(emu, { n: 1, backfillMonths: 1 });
    const a = t.accounts[0]!;
    const [x, y] = await Promise.all([sync(emu, { adAccountId: a.id, kind: "backfill" }), sync(emu, { adAccountId: a.id, kind: "backfill" })]);
    expect([x.status, y.status].sort()).toEqual(["skipped", "succeeded"]);
    const runs = await sql()`select status from public.sync_runs where ad_account_id = ${a.id}`;
    expect(runs.map((r) => r.status)).toEqual(["succeeded"]);
    const w = backfillWindow(a.timezone, 1);
    expect(await diffAgainstTruth(emu, a.id, a.metaAccountId, w.since, w.until)).toEqual([]);
  });
});
