/**
 * Drill-down page data at an agency's big client (issue #14): on real PostgreSQL (a fresh database
 * `spendlane_bench_drill`), 13 months of 200 campaigns, 1,000 ad sets and 3,000 ads of which ~300
 * deliver on a day, on 4 platforms (~480,000 ad x day x platform rows), plus daily ad set breakdowns
 * (age x gender, country, device, placement), inside an agency with 300 ordinary clients. Then p50/p99
 * of the page data of a campaign (its ad sets + 4 audience panels) and of an ad set (its ads + 4
 * panels), computed in-process as the loader does (drill-pages.ts under asUser): cold (cache cleared,
 * a range not asked before) and warm (the same view again).
 *
 *   npx tsx bench/drilldown.ts [--scale 0.1]   -> bench/results/drilldown.json
 *
 * --scale shrinks the number of campaigns (and so everything under them) for a quick check.
 * Budgets (issue #14): cold p99 < 150 ms, warm p99 < 20 ms. Not a test: figures depend on the machine.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import { BENCH_PG, SESSION_SECRET, VAULT_KEY, dbUrl, pct, root, startServer, stopProcess, timeGet } from "./lib";

const DB = process.env.BENCH_DB ?? "spendlane_bench_drill";
/** BENCH_REUSE=1: keep a database this script seeded before (profiling rounds); the seed is skipped. */
const REUSE = process.env.BENCH_REUSE === "1";
const TODAY = new Date().toISOString().slice(0, 10);
const scaleArg = process.argv.indexOf("--scale");
const SCALE = scaleArg > 0 ? Number(process.argv[scaleArg + 1]) : 1;
const CAMPAIGNS = Math.max(4, Math.round(200 * SCALE));
const summary = (xs: number[]) => ({ n: xs.length, p50: +pct(xs, 50).toFixed(2), p99: +pct(xs, 99).toFixed(2) });

async function main() {
  const admin = postgres(BENCH_PG, { max: 1, onnotice: () => {} });
  const exists = (await admin`select 1 from pg_database where datname = ${DB}`).length > 0;
  const reuse = REUSE && exists;
  if (!reuse) {
    await admin.unsafe(`drop database if exists ${DB} with (force)`);
    await admin.unsafe(`create database ${DB}`);
  }
  await admin.end();
  Object.assign(process.env, { DATABASE_URL: dbUrl(DB), SESSION_SECRET, VAULT_KEY, LOG_LEVEL: "silent" });
  const { bootDatabase } = await import("../app/.server/db/boot");
  const { asService, asUser, sql } = await import("../app/.server/db/connection");
  const { insertUser, insertAgencyWithOwner, insertWorkspace } = await import("../app/.server/tenancy");
  const { drillPage } = await import("../app/.server/reporting/drill-pages");
  const { clearReportCache } = await import("../app/.server/reporting/cache");
  const db = await bootDatabase({ databaseUrl: process.env.DATABASE_URL, dataDir: ".data" });

  const seedStart = Date.now();
  const seedSteps: Record<string, number> = {};
  let lapAt = Date.now();
  const lap = (name: string) => {
    seedSteps[name] = +((Date.now() - lapAt) / 1000).toFixed(1);
    lapAt = Date.now();
  };
  const ids = reuse
    ? (
        await sql()<{ owner: string; agency: string; ws: string; acct: string }[]>`
          select u.id as owner, a.agency_id as agency, a.workspace_id as ws, a.id as acct
          from public.ad_accounts a join public.users u on u.email = 'bench-drill@example.test' where a.meta_account_id = 'act_910000001'`
      )[0]!
    : await seed();
  async function seed() {
    const ids = await asService(async (tx) => {
      const owner = await insertUser(tx, { email: "bench-drill@example.test", name: "Bench", password: "bench-password-1" });
      const agency = await insertAgencyWithOwner(tx, { name: "Bench Drill", slug: "bench-drill" }, owner.id);
      await tx`update public.agencies set plan_id = 'scale', subscription_status = 'active' where id = ${agency.id}`;
      const ws = await insertWorkspace(tx, agency.id, { name: "Big Client", slug: "big-client" });
      const [acct] = await tx<{ id: string }[]>`
      insert into public.ad_accounts (agency_id, workspace_id, meta_account_id, name, currency, timezone_name, sync_status, sync_progress, last_synced_at)
      values (${agency.id}, ${ws.id}, 'act_910000001', 'Big USD', 'USD', 'America/Los_Angeles', 'ok', 100, now()) returning id`;
      return { owner: owner.id, agency: agency.id, ws: ws.id, acct: acct!.id };
    });
    // Bulk load: the fact tables' secondary indexes are dropped and built again after the inserts
    // (a sort per index instead of ~4 M random index inserts each); the primary keys stay, and rows
    // arrive in primary key order so those inserts append.
    const indexes = await sql()<{ name: string; def: string }[]>`
      select indexname as name, indexdef as def from pg_indexes
      where schemaname = 'public' and tablename in ('insights_ad_daily', 'insights_breakdown_daily') and indexname not like '%_pkey'`;
    for (const i of indexes) await sql().unsafe(`drop index public.${i.name}`);
    // likewise the attribution-window triggers (migration 0160): rebuilt below with the migration's own
    // backfill statement, once, instead of aggregating 3.4 M transition rows per insert
    for (const t of ["insights_ad_daily", "insights_breakdown_daily"]) await sql().unsafe(`alter table public.${t} disable trigger user`);
    await asService(async (tx) => {
      await tx`insert into public.campaigns (ad_account_id, meta_campaign_id, workspace_id, name, effective_status)
      select ${ids.acct}, (1000 + c)::text, ${ids.ws}, 'Campaign ' || c, 'ACTIVE' from generate_series(1, ${CAMPAIGNS}) c`;
      await tx`insert into public.ad_sets (ad_account_id, meta_adset_id, workspace_id, meta_campaign_id, name, effective_status, daily_budget)
      select ${ids.acct}, (1000 + c)::text || s, ${ids.ws}, (1000 + c)::text, 'Ad set ' || c || '.' || s, 'ACTIVE', 50
      from generate_series(1, ${CAMPAIGNS}) c, generate_series(1, 5) s`;
      await tx`insert into public.ads (ad_account_id, meta_ad_id, workspace_id, meta_adset_id, meta_campaign_id, name, effective_status, creative_id, title)
      select ${ids.acct}, (1000 + c)::text || s || a, ${ids.ws}, (1000 + c)::text || s, (1000 + c)::text, 'Ad ' || c || '.' || s || '.' || a, 'ACTIVE', '7' || (1000 + c)::text || s || a, 'Title'
      from generate_series(1, ${CAMPAIGNS}) c, generate_series(1, 5) s, generate_series(1, 3) a`;
      // ~10 % of the ads deliver on a given day (rotating), on 4 platforms
      await tx`insert into public.insights_ad_daily (ad_account_id, date, meta_ad_id, publisher_platform, attribution_window, workspace_id, meta_adset_id, meta_campaign_id,
        spend, impressions, clicks, link_clicks, conversions, conversion_value)
      select ${ids.acct}, d::date, (1000 + c)::text || s || a, p, 'default', ${ids.ws}, (1000 + c)::text || s, (1000 + c)::text,
        round(((c * 7 + s * 3 + a + extract(doy from d)::int * 13 + pi * 5) % 3000) / 100.0 + 1, 2),
        500 + (c * 31 + s * 7 + a + extract(doy from d)::int * 17 + pi * 11) % 4000, 5 + (c + s + a + extract(doy from d)::int) % 60,
        3 + (c + s + extract(doy from d)::int) % 40, (c + a + extract(doy from d)::int + pi) % 3, round((((c + a + extract(doy from d)::int + pi) % 3) * 41.5)::numeric, 2)
      from generate_series(1, ${CAMPAIGNS}) c, generate_series(1, 5) s, generate_series(1, 3) a,
        generate_series(${TODAY}::date - interval '13 months', ${TODAY}::date, interval '1 day') d,
        unnest(array['facebook','instagram','audience_network','messenger']) with ordinality as pl(p, pi)
      where (c * 15 + s * 3 + a + extract(doy from d)::int) % 10 = 0
      order by 2, 3, 4`;
      // breakdowns of the ad sets that deliver that day
      await tx`insert into public.insights_breakdown_daily (ad_account_id, breakdown, date, meta_adset_id, key1, key2, attribution_window, workspace_id, meta_campaign_id, spend, impressions, clicks, link_clicks, conversions, conversion_value)
      with f as (
        select date, meta_adset_id, meta_campaign_id, sum(spend) as spend, sum(impressions) as impressions, sum(clicks) as clicks,
               sum(link_clicks) as link_clicks, sum(conversions) as conversions, sum(conversion_value) as conversion_value
        from public.insights_ad_daily where ad_account_id = ${ids.acct} group by 1, 2, 3
      )
      select ${ids.acct}, b.fam, f.date, f.meta_adset_id, b.k1, b.k2, 'default', ${ids.ws}, f.meta_campaign_id,
        round(f.spend * b.w, 2), round(f.impressions * b.w), round(f.clicks * b.w), round(f.link_clicks * b.w), round(f.conversions * b.w), round(f.conversion_value * b.w, 2)
      from f,
        (values ('age_gender','18-24','female',0.07),('age_gender','18-24','male',0.06),('age_gender','25-34','female',0.16),('age_gender','25-34','male',0.14),
                ('age_gender','35-44','female',0.12),('age_gender','35-44','male',0.11),('age_gender','45-54','female',0.08),('age_gender','45-54','male',0.07),
                ('age_gender','55-64','female',0.05),('age_gender','55-64','male',0.05),('age_gender','65+','female',0.03),('age_gender','65+','male',0.02),
                ('age_gender','Unknown','unknown',0.01),('country','US','',0.78),('country','CA','',0.1),('country','GB','',0.05),('country','AU','',0.04),('country','MX','',0.03),
                ('device','mobile_app','',0.8),('device','mobile_web','',0.07),('device','desktop','',0.13),
                ('placement','facebook','feed',0.4),('placement','facebook','facebook_reels',0.1),('placement','facebook','story',0.08),('placement','instagram','stream',0.2),
                ('placement','instagram','story',0.1),('placement','instagram','reels',0.07),('placement','audience_network','classic',0.03),('placement','messenger','messenger_inbox',0.02))
          as b(fam, k1, k2, w)
      order by b.fam, f.date, f.meta_adset_id, b.k1, b.k2`;
      await tx`update public.data_versions set version = version + 1 where workspace_id = ${ids.ws}`;
    });
    lap("bigClientSeconds");
    // 300 ordinary clients in the same agency, one small account each (so RLS sees 301 workspaces)
    await asService(async (tx) => {
      await tx`insert into public.workspaces (agency_id, name, slug) select ${ids.agency}, 'Client ' || i, 'client-' || i from generate_series(1, 300) i`;
      await tx`insert into public.ad_accounts (agency_id, workspace_id, meta_account_id, name, currency, timezone_name, sync_status)
      select ${ids.agency}, w.id, 'act_' || (820000000 + row_number() over (order by w.slug)), w.name, 'EUR', 'Europe/Berlin', 'ok'
      from public.workspaces w where w.agency_id = ${ids.agency} and w.slug like 'client-%'`;
      await tx`insert into public.insights_ad_daily (ad_account_id, date, meta_ad_id, publisher_platform, attribution_window, workspace_id, meta_adset_id, meta_campaign_id, spend, impressions, clicks)
      select a.id, d::date, a.meta_account_id || '-' || x, 'facebook', 'default', a.workspace_id, '1', '1', 10, 1000, 10
      from public.ad_accounts a, generate_series(1, 6) x, generate_series(${TODAY}::date - interval '13 months', ${TODAY}::date, interval '1 day') d
      where a.agency_id = ${ids.agency} and a.meta_account_id <> 'act_910000001'`;
    });
    lap("otherClientsSeconds");
    await asService(async (tx) => {
      await tx`set local maintenance_work_mem = '256MB'`;
      for (const i of indexes) await tx.unsafe(i.def);
      for (const t of ["insights_ad_daily", "insights_breakdown_daily"]) await tx.unsafe(`alter table public.${t} enable trigger user`);
      await tx`insert into public.insights_fact_windows (ad_account_id, source, date, attribution_window, workspace_id, fact_rows, fetched_at)
        select ad_account_id, 'ad', date, attribution_window, min(workspace_id::text)::uuid, count(*), max(fetched_at)
        from public.insights_ad_daily group by ad_account_id, date, attribution_window`;
      await tx`insert into public.insights_fact_windows (ad_account_id, source, date, attribution_window, workspace_id, fact_rows, fetched_at)
        select ad_account_id, breakdown, date, attribution_window, min(workspace_id::text)::uuid, count(*), max(fetched_at)
        from public.insights_breakdown_daily group by ad_account_id, breakdown, date, attribution_window`;
    });
    lap("indexesAndWindowsSeconds");
    await sql()`analyze`;
    lap("analyzeSeconds");
    return ids;
  }
  const rows = Number((await sql()`select count(*) from public.insights_ad_daily where workspace_id = ${ids.ws}`)[0]!.count);
  const bRows = Number((await sql()`select count(*) from public.insights_breakdown_daily where workspace_id = ${ids.ws}`)[0]!.count);
  const seedMs = Date.now() - seedStart;

  const view = (kind: "campaign" | "adset", id: string, q: string) =>
    drillPage({ userId: ids.owner, workspaceId: ids.ws, kind, id, url: new URL(`http://x/?${q}`) });
  const measure = async (kind: "campaign" | "adset", idOf: (i: number) => string) => {
    const cold: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < 60; i++) {
      clearReportCache();
      const q = `range=custom&since=${new Date(Date.parse(TODAY) - (28 + (i % 30)) * 86400e3).toISOString().slice(0, 10)}&until=${new Date(Date.parse(TODAY) - (i % 30) * 86400e3).toISOString().slice(0, 10)}&compare=previous`;
      let t = performance.now();
      await view(kind, idOf(i), q);
      cold.push(performance.now() - t);
      t = performance.now();
      await view(kind, idOf(i), q);
      warm.push(performance.now() - t);
    }
    return { cold: summary(cold), warm: summary(warm) };
  };
  // The floor a warm view stands on: one asUser transaction with one trivial statement (begin,
  // set_config, select, commit), measured in the same run.
  const floor: number[] = [];
  for (let i = 0; i < 60; i++) {
    const t = performance.now();
    await asUser(ids.owner, (tx) => tx`select 1`);
    floor.push(performance.now() - t);
  }
  const campaign = await measure("campaign", (i) => String(1001 + (i % CAMPAIGNS)));
  const adset = await measure("adset", (i) => `${1001 + (i % CAMPAIGNS)}${1 + (i % 5)}`);
  const http = fs.existsSync(path.join(root, "build/server/index.js")) ? await overHttp(ids.owner) : null;
  const out = {
    measuredAt: new Date().toISOString(),
    machine: `${os.cpus().length} vCPU ${os.cpus()[0]?.model ?? ""}, load ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join("/")}`,
    setup: {
      campaigns: CAMPAIGNS,
      adSets: CAMPAIGNS * 5,
      ads: CAMPAIGNS * 15,
      adDayPlatformRows: rows,
      breakdownRows: bRows,
      otherClients: 300,
      seedSeconds: +(seedMs / 1000).toFixed(1),
      ...(reuse ? { reused: true } : { seedSteps }),
    },
    budgets: { coldP99Ms: 150, warmP99Ms: 20 },
    asUserSelect1: summary(floor),
    campaignPage: campaign,
    adsetPage: adset,
    ...(http ? { http } : {}),
  };
  fs.mkdirSync("bench/results", { recursive: true });
  fs.writeFileSync("bench/results/drilldown.json", JSON.stringify(out, null, 2) + "\n");
  console.log(JSON.stringify(out, null, 2));
  await db.close();
}

/**
 * The drill-down pages as a browser asks for them on navigation: single-fetch data requests to the
 * built server (its warm body cache on, ADR 0150), 100 warm views of one campaign and one ad set after
 * a first request, beside `/healthz` in the same run.
 */
async function overHttp(ownerId: string) {
  const { createUserSession } = await import("../app/.server/auth/session");
  const cookie = (await createUserSession(new Request("http://localhost/login"), ownerId)).split(";")[0];
  const { base, server } = await startServer({ DATABASE_URL: dbUrl(DB), RUN_WORKER: "0" });
  try {
    const page = (kind: "campaigns" | "adsets", id: string) =>
      `${base}/a/bench-drill/w/big-client/${kind}/${id}.data?_routes=${encodeURIComponent(`routes/a.$agency.w.$workspace.${kind}.$${kind.slice(0, -1)}`)}&range=last_28d&compare=previous`;
    const warm = async (url: string, cookieHeader?: string) => {
      await timeGet(url, cookieHeader);
      const xs: number[] = [];
      for (let i = 0; i < 100; i++) xs.push(await timeGet(url, cookieHeader));
      return summary(xs);
    };
    return {
      healthz: await warm(`${base}/healthz`),
      warmCampaignPage: await warm(page("campaigns", "1001"), cookie),
      warmAdsetPage: await warm(page("adsets", "10011"), cookie),
    };
  } finally {
    await stopProcess(server);
  }
}

await main();
