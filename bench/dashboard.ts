/**
 * Dashboard benchmarks on real PostgreSQL (a fresh database `spendlane_bench` on 127.0.0.1:5432),
 * driving the real built server over HTTP with a session cookie:
 *  - a workspace with 13 months x 200 campaigns x 4 platforms of daily facts (generate_series),
 *  - an agency with 300 client workspaces (13 months x 4 campaigns x 4 platforms each),
 * then p50/p99 of the workspace loader (warm cache: the same view again; cold: a range never asked
 * before, so the report is computed), and of the agency overview with 300 clients (cold and warm),
 * each also as a ratio to GET /healthz (a bare Remix resource route) on the same server in the same run.
 *
 *   npx remix vite:build && npx tsx bench/dashboard.ts   -> bench/results/dashboard.json
 *
 * Both servers are web processes only (RUN_WORKER=0). The warm 28-day figure (the budget's) is the
 * cached server alone; then the same requests are repeated interleaved, request by request, with a second
 * server with WARM_CACHE=0 (no session, guard or page-body cache, ADR 0150), so the cache's effect is a
 * ratio within one run (`withoutWarmCache`).
 *
 * Not a test: figures depend on the machine. Sequential requests (one in flight), so latencies are
 * per request, not throughput under load.
 */
import fs from "node:fs";
import path from "node:path";
import os from "node:os";
import postgres from "postgres";
import { BENCH_PG, SESSION_SECRET, VAULT_KEY, dbUrl, pct, requireBuild, root, startServer, timeGet } from "./lib";

// BENCH_DB: another database name, so that benchmarks of different branches can run side by side
const DB = process.env.BENCH_DB || "spendlane_bench";
const TODAY = new Date().toISOString().slice(0, 10);

function summary(xs: number[]) {
  return { n: xs.length, p50: +pct(xs, 50).toFixed(2), p99: +pct(xs, 99).toFixed(2), mean: +(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(2) };
}

async function main() {
  requireBuild();
  const t0 = Date.now();
  // 1. fresh database, migrated by the app's own runner
  const admin = postgres(BENCH_PG, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${DB} with (force)`);
  await admin.unsafe(`create database ${DB}`);
  await admin.end();
  process.env.DATABASE_URL = dbUrl(DB);
  process.env.SESSION_SECRET = SESSION_SECRET;
  process.env.VAULT_KEY = VAULT_KEY;
  process.env.LOG_LEVEL = "silent";
  const { bootDatabase } = await import("../app/.server/db/boot");
  const { asService, sql } = await import("../app/.server/db/connection");
  const { insertUser, insertAgencyWithOwner, insertWorkspace } = await import("../app/.server/tenancy");
  const { createUserSession } = await import("../app/.server/auth/session");
  const db = await bootDatabase({ databaseUrl: process.env.DATABASE_URL, dataDir: ".data" });

  // 2. reproducible seed (no randomness: values are functions of the campaign, day and platform)
  const seedStart = Date.now();
  const ids = await asService(async (tx) => {
    const owner = await insertUser(tx, { email: "bench-owner@example.test", name: "Bench Owner", password: "bench-password-1" });
    const big = await insertAgencyWithOwner(tx, { name: "Bench Big", slug: "bench-big" }, owner.id);
    const ws = await insertWorkspace(tx, big.id, { name: "Big Client", slug: "big-client" });
    const many = await insertAgencyWithOwner(tx, { name: "Bench Many", slug: "bench-many" }, owner.id);
    return { owner: owner.id, big: big.id, ws: ws.id, many: many.id };
  });
  await asService(async (tx) => {
    await tx`select setseed(0.42)`;
    const [acct] = await tx<{ id: string }[]>`
      insert into public.ad_accounts (agency_id, workspace_id, meta_account_id, name, currency, timezone_name, sync_status, sync_progress, last_synced_at)
      values (${ids.big}, ${ids.ws}, 'act_900000001', 'Big USD', 'USD', 'America/Los_Angeles', 'ok', 100, now()) returning id`;
    await tx`insert into public.campaigns (ad_account_id, meta_campaign_id, workspace_id, name, status, effective_status)
      select ${acct.id}, (1000 + c)::text, ${ids.ws}, 'Campaign ' || c, 'ACTIVE', case when c % 7 = 0 then 'PAUSED' else 'ACTIVE' end
      from generate_series(1, 200) c`;
    await tx`insert into public.insights_daily (ad_account_id, meta_campaign_id, date, publisher_platform, workspace_id,
        spend, impressions, clicks, link_clicks, conversions, conversion_value)
      select ${acct.id}, (1000 + c)::text, d::date, p, ${ids.ws},
        round(((c * 7 + extract(doy from d)::int * 13 + pi * 5) % 5000) / 100.0 + 1, 2),
        1000 + (c * 31 + extract(doy from d)::int * 17 + pi * 11) % 9000,
        10 + (c * 3 + extract(doy from d)::int + pi) % 90,
        5 + (c + extract(doy from d)::int + pi) % 60,
        (c + extract(doy from d)::int + pi) % 5,
        round((((c + extract(doy from d)::int + pi) % 5) * 37.5)::numeric, 2)
      from generate_series(1, 200) c,
        generate_series(${TODAY}::date - interval '13 months', ${TODAY}::date, interval '1 day') d,
        unnest(array['facebook','instagram','audience_network','messenger']) with ordinality as pl(p, pi)`;
    await tx`update public.data_versions set version = version + 1 where workspace_id = ${ids.ws}`;
  });
  const bigRows = Number((await sql()`select count(*) from public.insights_daily where workspace_id = ${ids.ws}`)[0].count);
  // 300 clients in one agency (on the unlimited plan), one account each, mixed currencies and zones
  await asService(async (tx) => {
    await tx`update public.agencies set plan_id = 'scale', subscription_status = 'active' where id = ${ids.many}`;
    await tx`insert into public.workspaces (agency_id, name, slug)
      select ${ids.many}, 'Client ' || lpad(i::text, 3, '0'), 'client-' || i from generate_series(1, 300) i`;
    await tx`insert into public.ad_accounts (agency_id, workspace_id, meta_account_id, name, currency, timezone_name, sync_status, sync_progress, last_synced_at)
      select ${ids.many}, w.id, 'act_' || (800000000 + row_number() over (order by w.slug)), w.name,
        (array['USD','EUR','GBP','JPY'])[1 + (row_number() over (order by w.slug)) % 4],
        (array['America/New_York','Europe/Berlin','Europe/London','Asia/Tokyo'])[1 + (row_number() over (order by w.slug)) % 4],
        case when row_number() over (order by w.slug) % 25 = 0 then 'syncing' else 'ok' end, 60, now()
      from public.workspaces w where w.agency_id = ${ids.many}`;
    await tx`insert into public.insights_daily (ad_account_id, meta_campaign_id, date, publisher_platform, workspace_id,
        spend, impressions, clicks, link_clicks, conversions, conversion_value)
      select a.id, c::text, d::date, p, a.workspace_id,
        round(((c * 7 + extract(doy from d)::int * 13 + pi * 5) % 5000) / 100.0 + 1, 2),
        1000 + (c * 31 + extract(doy from d)::int * 17) % 9000, 10 + (c + extract(doy from d)::int) % 90,
        5 + (c + extract(doy from d)::int) % 60, (c + extract(doy from d)::int + pi) % 5,
        round((((c + extract(doy from d)::int + pi) % 5) * 37.5)::numeric, 2)
      from public.ad_accounts a, generate_series(1, 4) c,
        generate_series(${TODAY}::date - interval '13 months', ${TODAY}::date, interval '1 day') d,
        unnest(array['facebook','instagram','audience_network','messenger']) with ordinality as pl(p, pi)
      where a.agency_id = ${ids.many}`;
    await tx`update public.data_versions set version = version + 1 where agency_id = ${ids.many}`;
  });
  await sql()`analyze`;
  const manyRows = Number(
    (await sql()`select count(*) from public.insights_daily d join public.workspaces w on w.id = d.workspace_id where w.agency_id = ${ids.many}`)[0].count,
  );
  const seedMs = Date.now() - seedStart;
  const cookie = (await createUserSession(new Request("http://localhost/login"), ids.owner)).split(";")[0];
  await db.close();

  // 3. the real built server
  // web processes only (RUN_WORKER=0), as a web tier runs in production: a worker's pollers and cron
  // ticks in the measured process would add their own jitter to its tail
  const { base, server } = await startServer({ DATABASE_URL: dbUrl(DB), RUN_WORKER: "0" });
  const uncached = await startServer({ DATABASE_URL: dbUrl(DB), WARM_CACHE: "0", RUN_WORKER: "0" });

  try {
    const healthz = async (n: number) => {
      const xs: number[] = [];
      for (let i = 0; i < n; i++) xs.push(await timeGet(`${base}/healthz`));
      return xs;
    };
    // Single-fetch data requests for one route's loader, as the browser makes on navigation.
    const wsData = (qs: string) => `${base}/a/bench-big/w/big-client.data?_routes=${encodeURIComponent("routes/a.$agency.w.$workspace._index")}&${qs}`;
    const overviewData = (qs: string) => `${base}/a/bench-many.data?_routes=${encodeURIComponent("routes/a.$agency._index")}&${qs}`;
    const addDays = (d: string, n: number) => new Date(Date.parse(d + "T00:00:00Z") + n * 86_400_000).toISOString().slice(0, 10);

    await healthz(50); // warm up the process
    const h1 = await healthz(300);

    // workspace, cold: every request a 28-day range (vs previous) never asked before -> computed;
    // the same range next on the server without the warm cache (a range it has not seen either)
    const wsCold: number[] = [];
    const wsColdUncached: number[] = [];
    for (let i = 0; i < 60; i++) {
      const until = addDays(TODAY, -1 - i * 3);
      const qs = `since=${addDays(until, -27)}&until=${until}&compare=previous`;
      wsCold.push(await timeGet(wsData(qs), cookie));
      wsColdUncached.push(await timeGet(wsData(qs).replace(base, uncached.base), cookie));
    }
    // workspace, warm: the default view, again and again; first on its own, then interleaved with the
    // same request on the server without the warm cache (WARM_CACHE=0), so both see the same machine load
    const wsDataOn = (b: string, qs: string) => wsData(qs).replace(base, b);
    const doc = (b: string) => `${b}/a/bench-big/w/big-client?range=last_28d&compare=previous`;
    for (const b of [base, uncached.base]) {
      await timeGet(wsDataOn(b, "range=last_28d&compare=previous"), cookie);
      await timeGet(doc(b), cookie);
    }
    // the budget's figure: the cached server alone (each request right after an uncached one would
    // inherit that process's leftover work, a tail the benchmark itself makes)
    const wsWarm: number[] = [];
    for (let i = 0; i < 300; i++) wsWarm.push(await timeGet(wsDataOn(base, "range=last_28d&compare=previous"), cookie));
    const wsWarmPaired: number[] = [];
    const wsWarmUncached: number[] = [];
    for (let i = 0; i < 300; i++) {
      wsWarmPaired.push(await timeGet(wsDataOn(base, "range=last_28d&compare=previous"), cookie));
      wsWarmUncached.push(await timeGet(wsDataOn(uncached.base, "range=last_28d&compare=previous"), cookie));
    }
    // the whole HTML document of the workspace page (all loaders + SSR, a fresh CSP nonce each), warm
    const wsDoc: number[] = [];
    const wsDocUncached: number[] = [];
    for (let i = 0; i < 100; i++) {
      wsDoc.push(await timeGet(doc(base), cookie));
      wsDocUncached.push(await timeGet(doc(uncached.base), cookie));
    }
    // a 90-day cold range for scale
    const wsCold90: number[] = [];
    for (let i = 0; i < 20; i++) {
      const until = addDays(TODAY, -1 - i * 5);
      wsCold90.push(await timeGet(wsData(`since=${addDays(until, -89)}&until=${until}&compare=previous`), cookie));
    }

    // overview with 300 clients: cold (a new range each time) and warm
    const ovCold: number[] = [];
    for (let i = 0; i < 40; i++) {
      const until = addDays(TODAY, -1 - i * 2);
      ovCold.push(await timeGet(overviewData(`since=${addDays(until, -27)}&until=${until}&compare=previous`), cookie));
    }
    await timeGet(overviewData("range=last_28d"), cookie);
    const ovWarm: number[] = [];
    for (let i = 0; i < 100; i++) ovWarm.push(await timeGet(overviewData("range=last_28d"), cookie));

    const h2 = await healthz(300);
    const h = summary([...h1, ...h2]);
    const withRatio = (xs: number[]) => {
      const s = summary(xs);
      return { ...s, p50_vs_healthz: +(s.p50 / h.p50).toFixed(1), p99_vs_healthz: +(s.p99 / h.p99).toFixed(1) };
    };
    const results = {
      when: new Date().toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, loadavg: os.loadavg().map((x) => +x.toFixed(2)), node: process.version },
      database: `PostgreSQL (127.0.0.1:5432), fresh database ${DB}`,
      seed: { seconds: +(seedMs / 1000).toFixed(1), workspaceFactRows: bigRows, overviewClients: 300, overviewFactRows: manyRows },
      healthz: h,
      workspaceLoader: {
        cold28d: withRatio(wsCold),
        warm28d: withRatio(wsWarm),
        cold90d: withRatio(wsCold90),
        warmDocument: withRatio(wsDoc),
      },
      overview300: { cold: withRatio(ovCold), warm: withRatio(ovWarm) },
      // the same warm requests, interleaved, on a server with WARM_CACHE=0 (before ADR 0150)
      withoutWarmCache: {
        cold28d: withRatio(wsColdUncached),
        cold28dP99Ratio: +(summary(wsCold).p99 / summary(wsColdUncached).p99).toFixed(2),
        warm28d: withRatio(wsWarmUncached),
        warmDocument: withRatio(wsDocUncached),
        // with and without the cache, interleaved request by request (the same machine load for both)
        warm28dPaired: withRatio(wsWarmPaired),
        warm28dP50Ratio: +(summary(wsWarmPaired).p50 / summary(wsWarmUncached).p50).toFixed(2),
        warm28dP99Ratio: +(summary(wsWarmPaired).p99 / summary(wsWarmUncached).p99).toFixed(2),
        warmDocumentP50Ratio: +(summary(wsDoc).p50 / summary(wsDocUncached).p50).toFixed(2),
        warmDocumentP99Ratio: +(summary(wsDoc).p99 / summary(wsDocUncached).p99).toFixed(2),
      },
      budget: {
        warmWorkspaceP99Under20ms: summary(wsWarm).p99 < 20,
        warmDocumentP99Under50ms: summary(wsDoc).p99 < 50,
        coldWorkspaceP99Under150ms: summary(wsCold).p99 < 150,
        coldOverviewP99Under150ms: summary(ovCold).p99 < 150,
      },
      totalSeconds: +((Date.now() - t0) / 1000).toFixed(1),
    };
    fs.mkdirSync(path.join(root, "bench/results"), { recursive: true });
    fs.writeFileSync(path.join(root, "bench/results/dashboard.json"), JSON.stringify(results, null, 2) + "\n");
    process.stdout.write(JSON.stringify(results, null, 2) + "\n");
  } finally {
    server.kill("SIGTERM");
    uncached.server.kill("SIGTERM");
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
