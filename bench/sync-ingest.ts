/**
 * Sync ingest throughput: rows per second written by the sync's write path (replaceFacts: delete the
 * day range + one unnest() multi-row upsert per chunk, each chunk its own transaction, as the runner
 * does) against a plain COPY of the same rows into the same table, in the same database and run.
 *
 *   npx tsx bench/sync-ingest.ts            # PostgreSQL (BENCH_DATABASE_URL or the local test server) and PGlite
 * Writes bench/results/sync-ingest.json. Not a test: figures vary with machine load.
 */
import fs from "node:fs";
import os from "node:os";
import postgres from "postgres";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { migrate } from "../app/.server/db/migrate";
import { startEmbedded } from "../app/.server/db/embedded";
import { replaceFacts, type FactRow } from "../app/.server/sync/upsert";
import { addDays } from "../app/.server/sync/planner";

const CHUNK_DAYS = 30;
const CAMPAIGNS = 50;
const PLATFORMS = ["facebook", "instagram", "audience_network", "messenger"];

function makeRows(days: number): FactRow[] {
  const rows: FactRow[] = [];
  for (let d = 0; d < days; d++) {
    const date = addDays("2025-10-01", d);
    for (let c = 0; c < CAMPAIGNS; c++)
      for (const p of PLATFORMS) {
        const n = d * 1000 + c * 10 + p.length;
        const purchases = String(n % 7);
        rows.push({
          campaignId: String(120200000000 + c),
          campaignName: `Campaign ${c}`,
          date,
          platform: p,
          spend: `${(n % 9000) + 1}.${String(n % 100).padStart(2, "0")}`,
          impressions: String(1000 + (n % 50000)),
          clicks: String(10 + (n % 900)),
          linkClicks: String(5 + (n % 400)),
          conversions: purchases,
          conversionValue: `${(n % 700) * 3}.50`,
          actions: [
            { action_type: "link_click", value: String(5 + (n % 400)) },
            { action_type: "omni_purchase", value: purchases },
          ],
          actionValues: [{ action_type: "omni_purchase", value: `${(n % 700) * 3}.50` }],
          attribution: "7d_click,1d_view",
        });
      }
  }
  return rows;
}

async function tenant(sql: postgres.Sql, tag: string) {
  return sql.begin(async (tx) => {
    const [ag] = await tx`insert into public.agencies (name, slug) values ('Bench', ${`bench-${tag}-${Date.now() % 1e9}`}) returning id`;
    const [ws] = await tx`insert into public.workspaces (agency_id, name, slug) values (${ag!.id}, 'Client', 'client') returning id`;
    const mk = async (n: number) =>
      (
        await tx`insert into public.ad_accounts (agency_id, workspace_id, meta_account_id, name, currency, timezone_name)
        values (${ag!.id}, ${ws!.id}, ${`act_9${n}${Date.now() % 1e6}`}, 'Bench', 'USD', 'UTC') returning id`
      )[0]!.id as string;
    return { workspaceId: ws!.id as string, upsertAccount: await mk(1), copyAccount: await mk(2) };
  });
}

const tsvEscape = (s: string) => s.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n");

async function measure(engine: string, url: string, days: number, withCopy = true) {
  const sql = postgres(url, { max: 2, onnotice: () => {} });
  try {
    await migrate(sql);
    const t = await tenant(sql, engine);
    const rows = makeRows(days);
    // Write path: chunk by chunk as the runner does (delete range + multi-row upsert, one transaction each).
    const t0 = performance.now();
    for (let d = 0; d < days; d += CHUNK_DAYS) {
      const range = { since: addDays("2025-10-01", d), until: addDays("2025-10-01", Math.min(days, d + CHUNK_DAYS) - 1) };
      const chunk = rows.filter((r) => r.date >= range.since && r.date <= range.until);
      await sql.begin((tx) => replaceFacts(tx, { adAccountId: t.upsertAccount, workspaceId: t.workspaceId, range, rows: chunk }));
    }
    const upsertMs = performance.now() - t0;
    console.error(`${engine}: write path done (${rows.length} rows, ${Math.round(upsertMs)} ms)`);
    if (!withCopy) {
      // COPY FROM STDIN does not get through pglite-socket 0.2.17 (the socket closes: EPIPE).
      return {
        engine,
        rows: rows.length,
        chunkDays: CHUNK_DAYS,
        upsertMs: Math.round(upsertMs),
        upsertRowsPerSec: Math.round(rows.length / (upsertMs / 1000)),
        copy: "not supported through pglite-socket",
      };
    }
    // COPY of the same rows (one stream, no conflict handling, no delete).
    const t1 = performance.now();
    const writable = await sql`copy public.insights_daily (ad_account_id, workspace_id, meta_campaign_id, date, publisher_platform, spend,
      impressions, clicks, link_clicks, conversions, conversion_value, actions, action_values) from stdin`.writable();
    const lines = function* () {
      for (const r of rows) {
        yield (
          [
            t.copyAccount,
            t.workspaceId,
            r.campaignId,
            r.date,
            r.platform,
            r.spend,
            r.impressions,
            r.clicks,
            r.linkClicks,
            r.conversions,
            r.conversionValue,
            tsvEscape(JSON.stringify(r.actions)),
            tsvEscape(JSON.stringify(r.actionValues)),
          ].join("\t") + "\n"
        );
      }
    };
    await pipeline(Readable.from(lines()), writable as unknown as Writable);
    const copyMs = performance.now() - t1;
    const [check] =
      await sql`select count(*) filter (where ad_account_id = ${t.upsertAccount})::int as a, count(*) filter (where ad_account_id = ${t.copyAccount})::int as b
      from public.insights_daily where ad_account_id in (${t.upsertAccount}, ${t.copyAccount})`;
    if (check!.a !== rows.length || check!.b !== rows.length) throw new Error(`row counts differ: ${JSON.stringify(check)} vs ${rows.length}`);
    const upsertRps = Math.round(rows.length / (upsertMs / 1000));
    const copyRps = Math.round(rows.length / (copyMs / 1000));
    return {
      engine,
      rows: rows.length,
      chunkDays: CHUNK_DAYS,
      upsertMs: Math.round(upsertMs),
      copyMs: Math.round(copyMs),
      upsertRowsPerSec: upsertRps,
      copyRowsPerSec: copyRps,
      ratioToCopy: Number((upsertRps / copyRps).toFixed(3)),
    };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

const results = [];
const base = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
{
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  const name = `spendlane_bench_${Date.now()}`;
  await admin.unsafe(`create database ${name}`);
  const u = new URL(base);
  u.pathname = `/${name}`;
  try {
    // The machine is shared (load average ~10): three rounds, medians reported with every round.
    const rounds = [];
    for (let i = 0; i < 3; i++) rounds.push(await measure("postgres", u.toString(), 390));
    const med = (xs: number[]) => xs.sort((a, b) => a - b)[1]!;
    const up = med(rounds.map((r) => r.upsertRowsPerSec));
    const cp = med(rounds.map((r) => r.copyRowsPerSec!));
    results.push({
      engine: "postgres",
      rows: rounds[0]!.rows,
      medianUpsertRowsPerSec: up,
      medianCopyRowsPerSec: cp,
      ratioToCopy: Number((up / cp).toFixed(3)),
      rounds,
    });
  } finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}
{
  const emb = await startEmbedded({ dataDir: "memory://" });
  try {
    results.push(await measure("pglite", emb.url, 90, false));
  } finally {
    await emb.stop();
  }
}
const out = {
  measuredAt: new Date().toISOString(),
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, loadavg: os.loadavg().map((x) => Number(x.toFixed(2))), node: process.version },
  results,
};
fs.mkdirSync("bench/results", { recursive: true });
fs.writeFileSync("bench/results/sync-ingest.json", JSON.stringify(out, null, 2) + "\n");
console.log(JSON.stringify(out, null, 2));
