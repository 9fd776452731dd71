/**
 * Load test (issue 9) and throughput ratio (issue 10): autocannon against the real built server on
 * the database that bench/dashboard.ts seeded (13 months x 200 campaigns x 4 platforms):
 *  - GET /healthz (a bare Remix route) and the workspace dashboard's loader data, 10 s each, for the
 *    throughput ratio in the same run;
 *  - the whole workspace page (HTML: all loaders + SSR), 100 connections for 30 s: errors and p99.
 *
 *   npx tsx bench/dashboard.ts && npx tsx bench/load-workspace.ts  -> bench/results/load-workspace.json
 *
 * The warm data run is repeated on a second server with WARM_CACHE=0 (ADR 0150's caches off), so the
 * cache's effect is a ratio within the same run.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import postgres from "postgres";
import { BENCH_PG, SESSION_SECRET, VAULT_KEY, dbUrl, requireBuild, root, startServer } from "./lib";

// BENCH_DB: another database name (the same one bench/dashboard.ts was given)
const DB = process.env.BENCH_DB || "spendlane_bench";

function cannon(opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

function figures(r: autocannon.Result) {
  return {
    requests: r.requests.total,
    requestsPerSecond: +r.requests.average.toFixed(1),
    latencyP50Ms: r.latency.p50,
    latencyP99Ms: r.latency.p99,
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
  };
}

async function main() {
  requireBuild();
  const admin = postgres(BENCH_PG, { max: 1, onnotice: () => {} });
  const [exists] = await admin`select 1 as ok from pg_database where datname = ${DB}`;
  await admin.end();
  if (!exists) throw new Error(`database ${DB} is missing: run bench/dashboard.ts first (npm run bench runs it before this)`);

  process.env.DATABASE_URL = dbUrl(DB);
  process.env.SESSION_SECRET = SESSION_SECRET;
  process.env.VAULT_KEY = VAULT_KEY;
  process.env.LOG_LEVEL = "silent";
  const { bootDatabase } = await import("../app/.server/db/boot");
  const { sql } = await import("../app/.server/db/connection");
  const { createUserSession } = await import("../app/.server/auth/session");
  const db = await bootDatabase({ databaseUrl: process.env.DATABASE_URL, dataDir: ".data" });
  const [owner] = await sql()<{ id: string }[]>`select id from public.users where email = 'bench-owner@example.test'`;
  if (!owner) throw new Error("bench owner missing: run bench/dashboard.ts first");
  const cookie = (await createUserSession(new Request("http://localhost/login"), owner.id)).split(";")[0];
  await db.close();

  const { base, server } = await startServer({ DATABASE_URL: dbUrl(DB), RUN_WORKER: "0" });
  const uncached = await startServer({ DATABASE_URL: dbUrl(DB), RUN_WORKER: "0", WARM_CACHE: "0" });
  try {
    const headers = { cookie };
    const page = `${base}/a/bench-big/w/big-client?range=last_28d&compare=previous`;
    const data = `${base}/a/bench-big/w/big-client.data?_routes=${encodeURIComponent("routes/a.$agency.w.$workspace._index")}&range=last_28d&compare=previous`;
    // warm the report cache and the process
    const uncachedData = data.replace(base, uncached.base);
    for (const url of [page, data, uncachedData]) {
      const res = await fetch(url, { headers });
      if (res.status !== 200) throw new Error(`GET ${url} -> ${res.status}`);
      await res.arrayBuffer();
    }
    const healthz = await cannon({ url: `${base}/healthz`, connections: 10, duration: 10 });
    const warmData = await cannon({ url: data, connections: 10, duration: 10, headers });
    const warmDataUncached = await cannon({ url: uncachedData, connections: 10, duration: 10, headers });
    const load = await cannon({ url: page, connections: 100, duration: 30, headers, timeout: 10 });
    const result = {
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, loadavg: os.loadavg().map((x) => +x.toFixed(2)), node: process.version },
      database: `PostgreSQL, ${DB}`,
      healthz10conn: figures(healthz),
      workspaceData10conn: figures(warmData),
      warmThroughputVsHealthz: +(warmData.requests.average / healthz.requests.average).toFixed(3),
      // the same 10 s on the server with WARM_CACHE=0, after the run above
      workspaceDataWithoutWarmCache10conn: figures(warmDataUncached),
      warmThroughputVsHealthzWithoutWarmCache: +(warmDataUncached.requests.average / healthz.requests.average).toFixed(3),
      warmCacheThroughputGain: +(warmData.requests.average / warmDataUncached.requests.average).toFixed(2),
      workspacePage100conn30s: figures(load),
      budget: {
        warmThroughputAtLeast30pctOfBare: warmData.requests.average / healthz.requests.average >= 0.3,
        zeroErrors: load.errors + load.timeouts + load.non2xx === 0,
      },
    };
    fs.mkdirSync(path.join(root, "bench/results"), { recursive: true });
    fs.writeFileSync(path.join(root, "bench/results/load-workspace.json"), JSON.stringify(result, null, 2) + "\n");
    process.stdout.write(JSON.stringify(result, null, 2) + "\n");
  } finally {
    server.kill("SIGTERM");
    uncached.server.kill("SIGTERM");
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
