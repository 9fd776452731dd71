/**
 * Live-update latency: from the commit of a sync chunk (one transaction that writes a fact, bumps the
 * workspace's data version and publishes, as the sync core does) to the changed KPI value in the DOM
 * of a workspace page open in Chromium. ~30 changes per engine, p50/p95; target p95 < 1 s.
 *
 * - PostgreSQL: a fresh database `spendlane_live_bench`; the built server LISTENs; the writer is this
 *   process (a third party to the server, like a worker on another machine).
 * - Supabase (LIVE_ENGINES includes "supabase"): a fresh Supabase-shaped PostgreSQL database
 *   (`spendlane_supabase_live_bench`, tests/fixtures/supabase/shape.sql), the Realtime stand-in
 *   (emulator/supabase-realtime) and SUPABASE_* set, so the page subscribes with supabase-js to the
 *   private channel and the event travels realtime.send → realtime.messages → stand-in → browser.
 * - PGlite: a temporary data folder served by the built server; this process writes through the
 *   server's socket (like `spendlane sync` from a shell), so NOTIFY does not reach the server and the
 *   server's 500 ms poll finds the change: the embedded engine's worst case. (The in-process worker
 *   nudges the poll instead and is faster.)
 *
 *   npx remix vite:build && npx tsx bench/live-latency.ts   -> bench/results/live-latency.json
 *
 * Not a test: figures depend on the machine.
 */
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import postgres from "postgres";
import { BENCH_PG, SESSION_SECRET, VAULT_KEY, dbUrl, pct, requireBuild, root, startServer } from "./lib";

export { root, SESSION_SECRET, VAULT_KEY };

export function summary(xs: number[]) {
  const r = (v: number) => Math.round(v * 10) / 10;
  return { n: xs.length, p50: r(pct(xs, 50)), p95: r(pct(xs, 95)), max: r(Math.max(...xs)), mean: r(xs.reduce((a, b) => a + b, 0) / xs.length) };
}

type Engine = "postgres" | "pglite" | "supabase";

export interface LiveWorld {
  engine: Engine;
  base: string;
  server: ChildProcess;
  /** The writer's connection (PostgreSQL directly, or the PGlite server's socket). */
  sql: postgres.Sql;
  agencySlug: string;
  workspaces: { id: string; slug: string; accountId: string }[];
  users: { id: string; cookie: string }[];
  stop(): Promise<void>;
}

/**
 * A database with one agency, `workspaces` clients (one ad account each, a few facts) and `users`
 * members with session cookies, served by the real built server.
 */
export async function startLiveWorld(engine: Engine, opts: { workspaces?: number; users?: number; db?: string } = {}): Promise<LiveWorld> {
  requireBuild();
  process.env.SESSION_SECRET = SESSION_SECRET;
  process.env.VAULT_KEY = VAULT_KEY;
  process.env.LOG_LEVEL ??= "silent";
  const dbName = opts.db ?? (engine === "supabase" ? "spendlane_supabase_live_bench" : "spendlane_live_bench");
  let databaseUrl: string | undefined;
  let dataDir: string | undefined;
  let realtime: { close(): Promise<void> } | undefined;
  let supabaseEnv: Record<string, string> = {};
  if (engine === "supabase") {
    const { createSupabaseShapedDatabase } = await import("../scripts/supabase-shaped-db.mjs");
    databaseUrl = await createSupabaseShapedDatabase(dbName, BENCH_PG);
    const { startRealtimeStandIn } = await import("../emulator/supabase-realtime");
    const { SignJWT } = await import("jose");
    const jwtSecret = "live-bench-supabase-jwt-secret-0123456789abcdef";
    const standIn = await startRealtimeStandIn({ databaseUrl: databaseUrl!, jwtSecret });
    realtime = standIn;
    const anonKey = await new SignJWT({ role: "anon" })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setExpirationTime("1d")
      .sign(new TextEncoder().encode(jwtSecret));
    supabaseEnv = { SUPABASE_URL: standIn.url, SUPABASE_ANON_KEY: anonKey, SUPABASE_JWT_SECRET: jwtSecret };
  } else if (engine === "postgres") {
    const admin = postgres(BENCH_PG, { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop database if exists ${dbName} with (force)`);
    await admin.unsafe(`create database ${dbName}`);
    await admin.end();
    databaseUrl = dbUrl(dbName);
  } else {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "spendlane-live-"));
  }
  const { bootDatabase } = await import("../app/.server/db/boot");
  const { asService } = await import("../app/.server/db/connection");
  const { insertUser, insertAgencyWithOwner, insertWorkspace } = await import("../app/.server/tenancy");
  const { createUserSession } = await import("../app/.server/auth/session");
  const db = await bootDatabase({ databaseUrl, dataDir: dataDir ?? ".data" });
  const agencySlug = "live-bench";
  const nWs = opts.workspaces ?? 1;
  const seeded = await asService(async (tx) => {
    const owner = await insertUser(tx, { email: "live-owner@example.test", name: "Live Owner", password: "bench-password-1" });
    const agency = await insertAgencyWithOwner(tx, { name: "Live Bench", slug: agencySlug }, owner.id);
    await tx`update public.agencies set plan_id = 'scale', subscription_status = 'active' where id = ${agency.id}`;
    const users = [owner.id];
    for (let i = 1; i < (opts.users ?? 1); i++) {
      const u = await insertUser(tx, { email: `live-member-${i}@example.test`, name: `Member ${i}`, password: "bench-password-1" });
      await tx`insert into public.agency_members (agency_id, user_id, role) values (${agency.id}, ${u.id}, 'member')`;
      users.push(u.id);
    }
    const workspaces = [];
    for (let i = 0; i < nWs; i++) {
      const ws = await insertWorkspace(tx, agency.id, { name: `Live Client ${i + 1}`, slug: `live-client-${i + 1}` });
      const [acct] = await tx<{ id: string }[]>`
        insert into public.ad_accounts (agency_id, workspace_id, meta_account_id, name, currency, timezone_name, sync_status, sync_progress, last_synced_at, last_incremental_at, backfilled_since)
        values (${agency.id}, ${ws.id}, ${"act_7000000" + (i + 10)}, ${`Live Account ${i + 1}`}, 'USD', 'UTC', 'ok', 100, now(), now(), current_date - 400)
        returning id`;
      await tx`insert into public.campaigns (ad_account_id, meta_campaign_id, workspace_id, name, status, effective_status)
        values (${acct!.id}, '1', ${ws.id}, 'Always on', 'ACTIVE', 'ACTIVE')`;
      await tx`insert into public.insights_daily (ad_account_id, meta_campaign_id, date, publisher_platform, workspace_id, spend, impressions, clicks)
        select ${acct!.id}, '1', d::date, 'facebook', ${ws.id}, 10, 1000, 10
        from generate_series(current_date - 27, current_date - 1, interval '1 day') d`;
      workspaces.push({ id: ws.id, slug: ws.slug, accountId: acct!.id });
    }
    return { users, workspaces };
  });
  const users = [];
  for (const id of seeded.users) users.push({ id, cookie: (await createUserSession(new Request("http://localhost/login"), id)).split(";")[0]! });
  await db.close();

  const { base, server } = await startServer({
    LOG_LEVEL: "warn",
    // the watchers must not queue real syncs against Meta during the benchmark
    REFRESH_ACTIVE_SECONDS: "86400",
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : { DATABASE_URL: "", DATA_DIR: dataDir! }),
    ...supabaseEnv,
  });
  let writerUrl = databaseUrl;
  if (!writerUrl) {
    const { findRunningEmbedded } = await import("../app/.server/db/embedded");
    writerUrl = findRunningEmbedded(dataDir!);
    if (!writerUrl) throw new Error("the server did not publish its PGlite socket");
  }
  const sql = postgres(writerUrl, { max: 1, onnotice: () => {} });
  return {
    engine,
    base,
    server,
    sql,
    agencySlug,
    workspaces: seeded.workspaces,
    users,
    async stop() {
      await sql.end({ timeout: 2 });
      server.kill("SIGTERM");
      await new Promise((r) => server.once("exit", r));
      await realtime?.close();
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
      if (databaseUrl) {
        const admin = postgres(BENCH_PG, { max: 1, onnotice: () => {} });
        await admin.unsafe(`drop database if exists ${dbName} with (force)`);
        await admin.end();
      }
    },
  };
}

/**
 * What a committed sync chunk does, in one transaction: replace a day's fact, bump the version,
 * publish. Returns the new version and the time the commit returned.
 */
export async function commitChunk(sql: postgres.Sql, ws: { id: string; accountId: string }, spend: string): Promise<{ version: number; committedAt: number }> {
  const { publishEvent } = await import("../app/.server/realtime/publish");
  const version = await sql.begin(async (tx) => {
    await tx`
      update public.insights_daily set spend = ${spend}, fetched_at = now()
      where ad_account_id = ${ws.accountId} and meta_campaign_id = '1' and date = current_date - 2 and publisher_platform = 'facebook'`;
    const [row] = await tx<{ version: string }[]>`
      update public.data_versions set version = version + 1, updated_at = now() where workspace_id = ${ws.id} returning version`;
    const v = Number(row!.version);
    await publishEvent(tx, { type: "data", workspaceId: ws.id, version: v });
    return v;
  });
  return { version, committedAt: Date.now() };
}

const FEEDS: Record<Engine, string> = {
  postgres: "LISTEN/NOTIFY",
  pglite: "poll every 500 ms (writer in another process)",
  supabase: "realtime.send -> Realtime stand-in (50 ms poll of realtime.messages) -> supabase-js private channel",
};

async function measure(engine: Engine, changes: number) {
  const { chromium } = await import("playwright-core");
  const world = await startLiveWorld(engine);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ["--no-sandbox"] });
  try {
    const context = await browser.newContext();
    const [name, value] = world.users[0]!.cookie.split("=");
    await context.addCookies([{ name: name!, value: value!, url: world.base }]);
    const page = await context.newPage();
    const ws = world.workspaces[0]!;
    await page.goto(`${world.base}/a/${world.agencySlug}/w/${ws.slug}`);
    await page.waitForSelector('[data-live="on"]', { timeout: 30_000 });
    // Record, in the page, when the spend card's value changes (wall clock, same machine as the writer).
    await page.evaluate(() => {
      const w = window as unknown as { __changes: { value: string; t: number }[] };
      w.__changes = [];
      const card = document.querySelector('[data-metric="spend"]')!;
      new MutationObserver(() => w.__changes.push({ value: card.getAttribute("data-value") ?? "", t: Date.now() })).observe(card, {
        attributes: true,
        attributeFilter: ["data-value"],
      });
    });
    const latencies: number[] = [];
    let misses = 0;
    for (let i = 0; i < changes; i++) {
      const before = await page.getAttribute('[data-metric="spend"]', "data-value");
      const { committedAt } = await commitChunk(world.sql, ws, (20 + i * 1.25).toFixed(2));
      try {
        const handle = await page.waitForFunction(
          ([prev, since]) => (window as unknown as { __changes: { value: string; t: number }[] }).__changes.find((c) => c.value !== prev && c.t >= since),
          [before, committedAt - 5] as const,
          { timeout: 5000, polling: 20 },
        );
        const change = (await handle.jsonValue()) as { t: number };
        latencies.push(change.t - committedAt);
      } catch {
        misses++;
      }
      // More than the page's 1 s revalidation window, so every change is measured on its own.
      await new Promise((r) => setTimeout(r, 1300));
    }
    const navigations = await page.evaluate(() => performance.getEntriesByType("navigation").length);
    return { engine, feed: FEEDS[engine], ...summary(latencies), misses, navigations, samplesMs: latencies };
  } finally {
    await browser.close();
    await world.stop();
  }
}

async function main() {
  const changes = Number(process.env.LIVE_CHANGES ?? 30);
  const results = [];
  const engines = (process.env.LIVE_ENGINES ?? "postgres,pglite,supabase").split(",") as Engine[];
  for (const engine of engines) {
    process.stderr.write(`live-latency: ${engine}...\n`);
    const r = await measure(engine, changes);
    process.stderr.write(`  p50 ${r.p50} ms, p95 ${r.p95} ms, misses ${r.misses}\n`);
    results.push(r);
  }
  // A run of some engines keeps the others' last figures (each result carries its own date).
  const file = path.join(root, "bench/results/live-latency.json");
  const previous = fs.existsSync(file)
    ? ((JSON.parse(fs.readFileSync(file, "utf8")) as { date?: string; results?: { engine: Engine; date?: string }[] }) ?? {})
    : {};
  const kept = (previous.results ?? []).filter((r) => !engines.includes(r.engine)).map((r) => ({ date: previous.date, ...r }));
  const now = new Date().toISOString();
  const out = {
    benchmark: "live-latency",
    description: "commit of a sync chunk -> KPI data-value changed in Chromium (built server, one page)",
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, load1: os.loadavg()[0] },
    targetP95Ms: 1000,
    results: [...kept, ...results.map((r) => ({ date: now, ...r }))],
  };
  fs.mkdirSync(path.join(root, "bench/results"), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(out, null, 2) + "\n");
  process.stdout.write(
    JSON.stringify(
      results.map(({ samplesMs, ...r }) => r),
      null,
      2,
    ) + "\n",
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`${(err as Error).stack ?? err}\n`);
      process.exit(1);
    },
  );
}
