/**
 * Freshness while watched: accounts of workspaces with an open stream are refreshed when their last
 * incremental sync is older than REFRESH_ACTIVE_SECONDS; fresh, syncing, re-auth-needing and
 * unwatched accounts are left alone; the request goes through the real queue (deduplicated).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { asService } from "../../app/.server/db/connection";
import { storeSecret } from "../../app/.server/meta/vault";
import { dueWatchedAccounts, startWatchers, stopWatchers, watchWorkspaces, watchedWorkspaceIds } from "../../app/.server/realtime/watchers";
import { pendingSync, stopWorker } from "../../app/.server/sync/scheduler";
import { createAgencyFixture } from "../helpers/factories";

let n = 0;
async function account(agencyId: string, workspaceId: string, connectionId: string, set: { lastIncremental?: "now" | "old" | null; status?: string }) {
  n++;
  const [row] = await asService(
    (tx) => tx<{ id: string }[]>`
    insert into public.ad_accounts (agency_id, workspace_id, connection_id, meta_account_id, name, currency, timezone_name, sync_status, last_incremental_at)
    values (${agencyId}, ${workspaceId}, ${connectionId}, ${`act_9${Date.now() % 1e9}${n}`}, ${`Watched ${n}`}, 'USD', 'UTC', ${set.status ?? "ok"},
      ${set.lastIncremental === "now" ? new Date() : set.lastIncremental === "old" ? new Date(Date.now() - 3600_000) : null})
    returning id`,
  );
  return row!.id;
}

async function until(what: string, fn: () => unknown, timeoutMs = 60_000) {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("watchers (freshness while someone watches)", () => {
  let ws: string;
  let other: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    const f = await createAgencyFixture({ workspaces: 2 });
    ws = f.workspaces[0]!.id;
    other = f.workspaces[1]!.id;
    const conn = await asService(async (tx) => {
      const secret = await storeSecret(tx, "EAAB-watchers-test-token");
      const [c] = await tx<{ id: string }[]>`
        insert into public.meta_connections (agency_id, workspace_id, kind, facebook_user_id, token_secret_id, scopes)
        values (${f.agency.id}, ${ws}, 'system_user', '42', ${secret}, '{ads_read}') returning id`;
      return c!.id;
    });
    ids.never = await account(f.agency.id, ws, conn, { lastIncremental: null });
    ids.stale = await account(f.agency.id, ws, conn, { lastIncremental: "old" });
    ids.fresh = await account(f.agency.id, ws, conn, { lastIncremental: "now" });
    ids.syncing = await account(f.agency.id, ws, conn, { lastIncremental: "old", status: "syncing" });
    ids.reauth = await account(f.agency.id, ws, conn, { lastIncremental: "old", status: "needs_reauth" });
    ids.paused = await account(f.agency.id, ws, conn, { lastIncremental: "old", status: "paused" });
    ids.unwatched = await account(f.agency.id, other, conn, { lastIncremental: "old" });
  });
  afterEach(() => stopWatchers());
  afterAll(async () => {
    await stopWorker();
  });

  it("selects only watched accounts older than the interval, with an active connection, not syncing or paused", async () => {
    const due = await dueWatchedAccounts([ws], 900);
    expect(due.sort()).toEqual([ids.never!, ids.stale!].sort());
    expect(await dueWatchedAccounts([ws], 7200)).toEqual([ids.never]);
    expect(await dueWatchedAccounts([], 900)).toEqual([]);
  });

  it("requests a refresh as soon as a workspace gains a watcher, again on each check while watched, and stops after", async () => {
    const calls: string[] = [];
    startWatchers({ refreshSeconds: 900, checkEveryMs: 100, request: async (id) => void calls.push(id) });
    const unwatch = watchWorkspaces([ws]);
    const unwatch2 = watchWorkspaces([ws]); // a second tab: one watcher count more, no extra immediate request
    expect(watchedWorkspaceIds()).toContain(ws);
    await until("the periodic check", () => calls.length >= 4);
    expect(new Set(calls)).toEqual(new Set([ids.never, ids.stale]));
    unwatch();
    expect(watchedWorkspaceIds()).toContain(ws);
    unwatch2();
    expect(watchedWorkspaceIds()).not.toContain(ws);
    await new Promise((r) => setTimeout(r, 150));
    const settled = calls.length;
    await new Promise((r) => setTimeout(r, 400));
    expect(calls.length).toBe(settled);
  });

  it("queues through the real job queue, deduplicated per account", async () => {
    startWatchers({ refreshSeconds: 900, checkEveryMs: 200 });
    const unwatch = watchWorkspaces([ws]);
    try {
      await until("queued jobs", async () => (await pendingSync(ids.never!)) && (await pendingSync(ids.stale!)), 30_000);
      expect(await pendingSync(ids.fresh!)).toBeNull();
      expect(await pendingSync(ids.reauth!)).toBeNull();
      expect(await pendingSync(ids.paused!)).toBeNull();
      expect(await pendingSync(ids.unwatched!)).toBeNull();
      const [{ n: jobs }] = await asService(
        (tx) => tx<{ n: number }[]>`
        select count(*)::int as n from pgboss.job where name = 'sync-account' and singleton_key = ${ids.stale!} and state in ('created', 'retry', 'active')`,
      );
      expect(jobs).toBe(1);
    } finally {
      unwatch();
    }
  });
});
