/**
 * The live event bus on both engines: on PostgreSQL the LISTEN path (one listener per bus, reconnect
 * after pg_terminate_backend, two buses = two processes both hearing a commit made elsewhere); on
 * PGlite the poll path (in-process nudge and a writer on another connection that publishes nothing).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import postgres from "postgres";
import { asService, type Tx } from "../../app/.server/db/connection";
import { EventBus, type BusEvent } from "../../app/.server/realtime/bus";
import { publishEvent } from "../../app/.server/realtime/publish";
import { bumpDataVersion } from "../../app/.server/sync/upsert";
import { createRun, saveProgress } from "../../app/.server/sync/runs";
import { createAgencyFixture, uniq } from "../helpers/factories";

const url = inject("databaseUrl");
const engine = inject("databaseEngine");

async function accountIn(agencyId: string, workspaceId: string): Promise<string> {
  const [row] = await asService(
    (tx) => tx<{ id: string }[]>`
    insert into public.ad_accounts (agency_id, workspace_id, meta_account_id, name, currency, timezone_name)
    values (${agencyId}, ${workspaceId}, ${"act_" + String(Date.now()) + String(Math.floor(Math.random() * 1e6))}, 'Live test', 'EUR', 'Europe/Berlin')
    returning id`,
  );
  return row!.id;
}

/** What a sync chunk does: write a fact, bump the version, publish, all in one transaction. */
async function commitChunk(tx: Tx, workspaceId: string, adAccountId: string, spend: string): Promise<number> {
  await tx`
    insert into public.insights_daily (ad_account_id, meta_campaign_id, date, publisher_platform, workspace_id, spend)
    values (${adAccountId}, '1', current_date, 'facebook', ${workspaceId}, ${spend})
    on conflict (ad_account_id, meta_campaign_id, date, publisher_platform) do update set spend = excluded.spend`;
  const version = await bumpDataVersion(tx, workspaceId);
  await publishEvent(tx, { type: "data", workspaceId, version });
  return version;
}

function collector(bus: EventBus, workspaceIds: string[]) {
  const events: BusEvent[] = [];
  const sub = bus.subscribe(workspaceIds, (e) => events.push(e));
  return { events, sub };
}

async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe(`live event bus (${engine})`, () => {
  let bus: EventBus;
  let a: Awaited<ReturnType<typeof createAgencyFixture>>;
  let accountA: string;
  let accountB: string;
  const appName = uniq("live-test-");

  beforeAll(async () => {
    bus = await new EventBus({ url, applicationName: appName, pollMs: 200 }).start();
    a = await createAgencyFixture({ workspaces: 2 });
    accountA = await accountIn(a.agency.id, a.workspaces[0]!.id);
    accountB = await accountIn(a.agency.id, a.workspaces[1]!.id);
  });
  afterAll(async () => {
    await bus?.stop();
  });

  it("picks the feed from the engine", async () => {
    expect(await bus.mode).toBe(engine === "pglite" ? "poll" : "listen");
  });

  it("delivers a committed chunk's version to subscribers of that workspace only", async () => {
    const wsA = a.workspaces[0]!.id;
    const wsB = a.workspaces[1]!.id;
    const onA = collector(bus, [wsA]);
    const onB = collector(bus, [wsB]);
    await bus.pollNow(); // baseline read (the poll path does this on subscribe anyway)
    const version = await asService((tx) => commitChunk(tx, wsA, accountA, "12.50"));
    await until("the data event", () => onA.events.find((e) => e.type === "data" && e.version === version));
    expect(onA.events).toEqual([{ type: "data", workspaceId: wsA, version }]);
    await new Promise((r) => setTimeout(r, 400));
    expect(onB.events).toEqual([]);
    onA.sub.close();
    onB.sub.close();
  });

  it("announces nothing for a transaction that rolls back", async () => {
    const ws = a.workspaces[0]!.id;
    const c = collector(bus, [ws]);
    await bus.pollNow();
    await expect(
      asService(async (tx) => {
        await commitChunk(tx, ws, accountA, "99.00");
        throw new Error("chunk failed after publishing");
      }),
    ).rejects.toThrow("chunk failed");
    await new Promise((r) => setTimeout(r, 600));
    await bus.pollNow();
    expect(c.events).toEqual([]);
    c.sub.close();
  });

  it("carries sync progress with a status", async () => {
    const ws = a.workspaces[1]!.id;
    const c = collector(bus, [ws]);
    await bus.pollNow();
    await asService(async (tx) => {
      const run = await createRun(tx, {
        agencyId: a.agency.id,
        workspaceId: ws,
        adAccountId: accountB,
        kind: "backfill",
        range: { since: "2026-01-01", until: "2026-01-31" },
        checkpoint: { remaining: [], total: 4, today: "2026-01-31" },
        owner: crypto.randomUUID(),
      });
      await tx`update public.sync_runs set status = 'running' where id = ${run.id}`;
      await saveProgress(tx, run.id, { checkpoint: { remaining: [], total: 4, today: "2026-01-31" }, progress: 25, days: 7, rows: 3, apiCalls: 1 });
      await publishEvent(tx, { type: "progress", workspaceId: ws, adAccountId: accountB, runId: run.id, progress: 25 });
    });
    const e = await until("the progress event", () => c.events.find((x) => x.type === "progress"));
    expect(e).toEqual({ type: "progress", workspaceId: ws, adAccountId: accountB, progress: 25, status: "running" });
    c.sub.close();
  });

  it("stops delivering once the last subscriber of a workspace leaves", async () => {
    const ws = a.workspaces[0]!.id;
    const c = collector(bus, [ws]);
    await bus.pollNow();
    c.sub.update([]);
    expect(bus.watchedWorkspaces()).not.toContain(ws);
    await asService((tx) => commitChunk(tx, ws, accountA, "13.00"));
    await new Promise((r) => setTimeout(r, 500));
    expect(c.events).toEqual([]);
  });

  if (engine === "pglite")
    it("poll path: sees a version bumped on another connection without any NOTIFY", async () => {
      const ws = a.workspaces[0]!.id;
      const c = collector(bus, [ws]);
      await bus.pollNow();
      // Like a CLI sync through the socket: another connection, no publish, no in-process nudge.
      const other = postgres(url, { max: 1, onnotice: () => {} });
      try {
        const [row] = await other.begin(
          (tx) => tx<{ version: string }[]>`
        update public.data_versions set version = version + 1 where workspace_id = ${ws} returning version`,
        );
        const version = Number(row!.version);
        // arrival is the point here; how soon it arrives is measured in bench/live-latency.ts
        await until("the polled data event", () => c.events.find((e) => e.type === "data" && e.version === version), 60_000);
      } finally {
        await other.end();
        c.sub.close();
      }
    });

  if (engine === "postgres")
    it("LISTEN path: events flow again after the listener's backend is terminated", async () => {
      const ws = a.workspaces[0]!.id;
      const c = collector(bus, [ws]);
      await bus.pollNow();
      const before = bus.stats.reconnects;
      const admin = postgres(url, { max: 1, onnotice: () => {} });
      try {
        const killed = await admin<{ pid: number }[]>`
        select pid from pg_stat_activity
        where application_name = ${appName} and datname = current_database() and query ilike 'listen%'`;
        expect(killed).toHaveLength(1);
        await admin`select pg_terminate_backend(${killed[0]!.pid})`;
        // A commit while the listener may still be down: delivered by the catch-up read after reconnect.
        const missed = await asService((tx) => commitChunk(tx, ws, accountA, "21.00"));
        await until("the reconnect", () => bus.stats.reconnects > before, 60_000);
        await until("the missed event", () => c.events.find((e) => e.type === "data" && e.version === missed), 60_000);
        const next = await asService((tx) => commitChunk(tx, ws, accountA, "22.00"));
        await until("an event after reconnecting", () => c.events.find((e) => e.type === "data" && e.version === next), 60_000);
        // each version exactly once, in order
        expect(c.events.filter((e) => e.type === "data").map((e) => (e as { version: number }).version)).toEqual([missed, next]);
        const [again] = await admin<{ n: number }[]>`
        select count(*)::int as n from pg_stat_activity
        where application_name = ${appName} and datname = current_database() and query ilike 'listen%' and pid <> ${killed[0]!.pid}`;
        expect(again!.n).toBe(1);
      } finally {
        await admin.end();
        c.sub.close();
      }
    });

  if (engine === "postgres")
    it("two processes' buses (two LISTEN connections) both hear a commit made on a third connection", async () => {
      const ws = a.workspaces[1]!.id;
      const second = await new EventBus({ url, applicationName: `${appName}-2` }).start();
      const writer = postgres(url, { max: 1, onnotice: () => {} });
      try {
        const c1 = collector(bus, [ws]);
        const c2 = collector(second, [ws]);
        await Promise.all([bus.pollNow(), second.pollNow()]);
        const version = await writer.begin((tx) => commitChunk(tx as unknown as Tx, ws, accountB, "5.00"));
        await until("bus 1", () => c1.events.find((e) => e.type === "data" && e.version === version));
        await until("bus 2", () => c2.events.find((e) => e.type === "data" && e.version === version));
        expect(c1.events).toEqual(c2.events);
        c1.sub.close();
        c2.sub.close();
      } finally {
        await writer.end();
        await second.stop();
      }
    });

  if (engine === "pglite")
    it("poll path: a writer in this process nudges an immediate read (no waiting for the tick)", async () => {
      const slow = await new EventBus({ url, pollMs: 60_000 }).start();
      try {
        const ws = a.workspaces[1]!.id;
        const c = collector(slow, [ws]);
        await slow.pollNow();
        const version = await asService((tx) => commitChunk(tx, ws, accountB, "3.00"));
        // half the 60 s tick: an event by then came from the nudge, with room for a loaded machine
        await until("the nudged event", () => c.events.find((e) => e.type === "data" && e.version === version), 30_000);
        c.sub.close();
      } finally {
        await slow.stop();
      }
    });

  if (engine === "postgres")
    it("LISTEN path: the watchdog listens again when the listener was lost without a reconnect", async () => {
      // polls only once a minute: the event below can come only through the re-established LISTEN
      const guarded = await new EventBus({ url, applicationName: `${appName}-wd`, watchdogMs: 150, pollMs: 60_000 }).start();
      try {
        const ws = a.workspaces[1]!.id;
        const c = collector(guarded, [ws]);
        await guarded.pollNow();
        // What postgres.js leaves behind when its re-LISTEN failed: no listener, no error.
        await (guarded as unknown as { unlisten: () => Promise<void> }).unlisten();
        await new Promise((r) => setTimeout(r, 600));
        const version = await asService((tx) => commitChunk(tx, ws, accountB, "4.00"));
        // half the poll interval, as for the nudge above: a poll cannot have brought it
        await until("the event after the watchdog re-listened", () => c.events.find((e) => e.type === "data" && e.version === version), 30_000);
        c.sub.close();
      } finally {
        await guarded.stop();
      }
    });

  // Engine-specific cases are registered only on their engine (poll has no channel to listen to).
  if (engine === "postgres")
    it("ignores malformed payloads on the channel and keeps listening", async () => {
      const ws = a.workspaces[0]!.id;
      const c = collector(bus, [ws]);
      await bus.pollNow();
      await asService((tx) => tx`select pg_notify('spendlane_events', ${JSON.stringify({ type: "data", workspaceId: ws, version: "x" })})`);
      await asService((tx) => tx`select pg_notify('spendlane_events', 'not json')`);
      const version = await asService((tx) => commitChunk(tx, ws, accountA, "1.00"));
      await until("the next valid event", () => c.events.find((e) => e.type === "data" && e.version === version));
      expect(c.events).toEqual([{ type: "data", workspaceId: ws, version }]);
      expect(bus.stats.dropped).toBeGreaterThanOrEqual(2);
      c.sub.close();
    });
});
