/**
 * Fleet capacity: how many ad accounts one sync worker process keeps fresh, and how that scales with
 * 2 and 3 worker processes on one PostgreSQL database.
 *
 * N ad accounts (20 campaigns each; the sync reads ad x day x platform rows) live in the Meta emulator,
 * run in processes of its own (one per worker, same world) with 200 ms added to every Graph call
 * (`latencyMs`) and its default rate limits. Each account is its own client workspace with its own connection, already backfilled and
 * restated, so the work is the incremental pass (today + yesterday) that runs every 15 minutes.
 * For 1, 2 and 3 workers in turn, the production worker (`spendlane worker`: runtime, pg-boss, the
 * sync runner, alerts after each run) drains the queue while this process plays the scheduler's tick
 * at a short cadence (dueAccounts(5 s) + requestSync every second, the same functions the minute tick
 * uses): every account is queued again as soon as it is done, so the workers are always saturated and
 * the accounts go round in the queue's order. Measured per phase, after a warm-up:
 * - rate: incremental syncs finished per second (sync_runs, database clock);
 * - CPU and RSS of each worker process (/proc), CPU of the database backends of this database, Graph
 *   calls per sync (the emulator's counter);
 * - staleness: how old an account's numbers got before its next sync, i.e. the gaps between two
 *   successive incremental syncs of one account within a phase (a saturated, fair fleet's gap is its
 *   cycle time N / rate; a starved account would show as a long tail);
 * - no overlap: from sync_runs and from pg-boss's job records, no two runs of one account overlap.
 * Capacity at a 15-minute cadence = rate x 900.
 *
 *   npx tsx bench/fleet.ts [--accounts 120] [--seconds 30] [--workers 1,2,3,3,2,1] [--latency 200]
 *   -> bench/results/fleet.json
 * Uses its own database spendlane_bench_fleet on BENCH_DATABASE_URL's server.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { appProcessEnv, freshDatabase, pct, root, startEmulatorProcess, startWorkers, stopProcess } from "./lib";

const DB = "spendlane_bench_fleet";
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};

const N = Number(arg("accounts", "120"));
const PHASE_SECONDS = Number(arg("seconds", "30"));
// 1, 2, 3, 3, 2, 1 workers: the load of this shared machine drifts, and a mirrored order cancels a steady drift in the ratios
const WORKERS = arg("workers", "1,2,3,3,2,1").split(",").map(Number);
const LATENCY = Number(arg("latency", "200"));
const CAMPAIGNS = 20;
const WARMUP_SECONDS = 8;
/** The bench tick's cadence: an account is due again this long after its last incremental sync. */
const CYCLE_FLOOR_SECONDS = 5;
const CLK_TCK = 100;

/** utime + stime of a process in seconds, or null when it is gone or unreadable. */
function cpuSeconds(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return null;
  }
}
function rssMB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

async function main() {
  const started = Date.now();
  await freshDatabase(DB);

  const { DEFAULT_APP_ID, DEFAULT_APP_SECRET, appsecretProof } = await import("../emulator/meta-graph/index");
  // Meta is not the bottleneck of a real fleet, but one single-threaded emulator process would be here:
  // each worker talks to an emulator process of its own (same seed and world, so the same numbers, and
  // one valid token for all). Rate-limit counters are per emulator process.
  const token = `EAA${randomBytes(30).toString("hex")}`;
  const emus = await Promise.all(
    Array.from({ length: Math.max(...WORKERS) }, () =>
      startEmulatorProcess({ seed: "fleet", world: { accounts: N, campaignsPerAccount: CAMPAIGNS }, latencyMs: LATENCY }, token),
    ),
  );
  const emuUrl = emus[0]!.url;
  const ctlAt = async (url: string, method: string, p: string, body?: unknown) => {
    const r = await fetch(`${url}/__emulator${p}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!r.ok) throw new Error(`emulator ${method} ${p}: ${r.status}`);
    return r.json();
  };
  const ctl = (method: string, p: string, body?: unknown) => ctlAt(emuUrl, method, p, body);

  const appEnv = appProcessEnv(DB, emuUrl, DEFAULT_APP_ID, DEFAULT_APP_SECRET);
  Object.assign(process.env, appEnv, { LOG_LEVEL: "silent" });
  const { bootDatabase } = await import("../app/.server/db/boot");
  const { asService, sql } = await import("../app/.server/db/connection");
  const { insertUser, insertAgencyWithOwner } = await import("../app/.server/tenancy");
  const { storeSecret } = await import("../app/.server/meta/vault");
  const { dueAccounts, requestSync, stopWorker, SYNC_QUEUE } = await import("../app/.server/sync/scheduler");
  const db = await bootDatabase({ databaseUrl: appEnv.DATABASE_URL, dataDir: ".data" });

  // ---- seed: N client workspaces (100 per agency, Scale plan), each with its connection and account ----
  const seedStart = Date.now();
  const world = (await ctl("GET", "/world")) as { accounts: { id: string; name: string; currency: string; timezone_name: string; account_status: number }[] };
  const users = (await ctl("GET", "/users")) as { users: { system_user_id: string }[] };
  const tok = { access_token: token, user_id: users.users[0]!.system_user_id };
  const metaAccounts = world.accounts.filter((a) => a.account_status === 1).slice(0, N);
  if (metaAccounts.length < N) throw new Error(`the emulator has ${metaAccounts.length} active accounts, ${N} asked`);
  await asService(async (tx) => {
    const owner = await insertUser(tx, { email: "fleet-owner@example.test", name: "Fleet Owner", password: "bench-password-1" });
    for (let a = 0; a * 100 < N; a++) {
      const agency = await insertAgencyWithOwner(tx, { name: `Fleet ${a + 1}`, slug: `fleet-${a + 1}` }, owner.id);
      await tx`update public.agencies set plan_id = 'scale', subscription_status = 'active' where id = ${agency.id}`;
      for (const [i, m] of metaAccounts.slice(a * 100, a * 100 + 100).entries()) {
        const [ws] = await tx<{ id: string }[]>`
          insert into public.workspaces (agency_id, name, slug) values (${agency.id}, ${m.name}, ${`client-${i + 1}`}) returning id`;
        const secretId = await storeSecret(tx, tok.access_token);
        const [conn] = await tx<{ id: string }[]>`
          insert into public.meta_connections (agency_id, workspace_id, kind, facebook_user_id, token_secret_id, scopes)
          values (${agency.id}, ${ws!.id}, 'system_user', ${tok.user_id}, ${secretId}, '{ads_read}') returning id`;
        // backfilled and restated: what is due is the incremental pass of a fleet in steady state
        await tx`
          insert into public.ad_accounts (agency_id, workspace_id, connection_id, meta_account_id, name, currency, timezone_name, account_status,
                                          backfill_months, backfilled_since, last_restated_at, sync_status, sync_progress)
          values (${agency.id}, ${ws!.id}, ${conn!.id}, ${m.id}, ${m.name}, ${m.currency}, ${m.timezone_name}, 1,
                  13, (current_date - interval '14 months')::date, now(), 'ok', 100)`;
      }
    }
  });
  const seedSeconds = (Date.now() - seedStart) / 1000;
  const accountIds = (await sql()<{ id: string }[]>`select id from public.ad_accounts`).map((r) => r.id);

  type Phase = Record<string, unknown> & { workers: number; syncsPerSecond: number; accountsAt15min: number; p95StalenessSeconds: number | null };
  const phases: Phase[] = [];
  for (const k of WORKERS) {
    // ---- a clean start: no jobs, fresh rate-limit windows, every account due -------------------------
    await requestSync(accountIds[0]!, "incremental"); // starts the queue client (pgboss schema) on first use
    await sql()`delete from pgboss.job where name = ${SYNC_QUEUE}`;
    for (const e of emus) await ctlAt(e.url, "POST", "/limits/reset-counters");
    const logFile = path.join(os.tmpdir(), `spendlane-fleet-${k}w.log`);
    const log = fs.openSync(logFile, "w");
    const workers = await startWorkers(k, (i) => ({ ...appEnv, META_GRAPH_URL: emus[i]!.url, META_WEB_URL: emus[i]!.url }));
    for (const w of workers) w.stderr!.on("data", (d: Buffer) => fs.writeSync(log, d));

    const [{ t0 }] = await sql()<{ t0: Date }[]>`select now() as t0`;
    // The tick at a short cadence: every account is queued again once it is done (saturation).
    let feeding = true;
    const feeder = (async () => {
      while (feeding) {
        for (const d of await dueAccounts(CYCLE_FLOOR_SECONDS)) await requestSync(d.adAccountId, d.kind);
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    await new Promise((r) => setTimeout(r, WARMUP_SECONDS * 1000));

    const backendPids = async () => (await sql()<{ pid: number }[]>`select pid from pg_stat_activity where datname = ${DB}`).map((r) => r.pid);
    const snapshot = async () => {
      const [{ now, done }] = await sql()<{ now: Date; done: number }[]>`
        select now(), count(*)::int as done from public.sync_runs where kind = 'incremental' and status = 'succeeded' and finished_at >= ${t0}`;
      const backends = new Map<number, number>();
      for (const pid of await backendPids()) backends.set(pid, cpuSeconds(pid) ?? 0);
      let calls = 0;
      for (const e of emus) calls += ((await ctlAt(e.url, "GET", "/calls")) as { total: number }).total;
      const emuCpu = emus.slice(0, k).reduce((x, e) => x + (cpuSeconds(e.child.pid!) ?? NaN), 0);
      return { now, done, workerCpu: workers.map((w) => cpuSeconds(w.pid!) ?? NaN), emuCpu, backends, calls };
    };
    const a = await snapshot();
    let rssMax = workers.map(() => 0);
    const phaseEnd = Date.now() + (PHASE_SECONDS - WARMUP_SECONDS) * 1000;
    // Profile: one Graph round trip a second from here (the latency the workers see, with the emulator's
    // own queueing), and what the database backends of this database are doing.
    const probeMs: number[] = [];
    const waits: Record<string, number> = {};
    while (Date.now() < phaseEnd) {
      await new Promise((r) => setTimeout(r, 1000));
      const p0 = performance.now();
      await fetch(`${emuUrl}/v25.0/me?access_token=${tok.access_token}&appsecret_proof=${appsecretProof(tok.access_token, DEFAULT_APP_SECRET)}`).then((r) =>
        r.arrayBuffer(),
      );
      probeMs.push(performance.now() - p0);
      for (const w of await sql()<{ what: string; n: number }[]>`
        select coalesce(wait_event_type || ':' || wait_event, 'CPU') || ' (' || state || ')' as what, count(*)::int as n
        from pg_stat_activity where datname = ${DB} and pid <> pg_backend_pid() and state <> 'idle' group by 1`)
        waits[w.what] = (waits[w.what] ?? 0) + w.n;
      rssMax = workers.map((w, i) => Math.max(rssMax[i]!, rssMB(w.pid!)));
    }
    const b = await snapshot();
    feeding = false;
    await feeder;
    await Promise.all(workers.map(stopProcess));
    fs.closeSync(log);

    const seconds = (b.now.getTime() - a.now.getTime()) / 1000;
    const syncs = b.done - a.done;
    const rate = syncs / seconds;
    let dbCpu = 0;
    for (const [pid, cpu] of b.backends) dbCpu += cpu - (a.backends.get(pid) ?? 0);
    // ---- one run per account at a time: from the run records and from the queue's job records ----------
    const overlapRuns = await sql()<{ n: number }[]>`
      select count(*)::int as n from public.sync_runs r1 join public.sync_runs r2
        on r1.ad_account_id = r2.ad_account_id and r1.id < r2.id
      where r1.started_at >= ${t0} and r2.started_at >= ${t0}
        and tstzrange(r1.started_at, coalesce(r1.finished_at, now())) && tstzrange(r2.started_at, coalesce(r2.finished_at, now()))`;
    const overlapJobs = await sql()<{ n: number }[]>`
      select count(*)::int as n from pgboss.job j1 join pgboss.job j2
        on j1.singleton_key = j2.singleton_key and j1.id < j2.id
      where j1.name = ${SYNC_QUEUE} and j2.name = ${SYNC_QUEUE} and j1.started_on is not null and j2.started_on is not null
        and tstzrange(j1.started_on, coalesce(j1.completed_on, now())) && tstzrange(j2.started_on, coalesce(j2.completed_on, now()))`;
    const [outcomes] = await sql()<{ failed: number; skipped: number; completed: number }[]>`
      select count(*) filter (where state = 'failed')::int as failed,
             count(*) filter (where output->>'status' = 'skipped')::int as skipped,
             count(*) filter (where state = 'completed')::int as completed
      from pgboss.job where name = ${SYNC_QUEUE}`;
    const [durations] = await sql()<{ job: number; run: number }[]>`
      select (select avg(extract(epoch from completed_on - started_on)) * 1000 from pgboss.job
              where name = ${SYNC_QUEUE} and state = 'completed' and completed_on between ${a.now} and ${b.now})::float8 as job,
             (select avg(extract(epoch from finished_at - created_at)) * 1000 from public.sync_runs
              where status = 'succeeded' and finished_at between ${a.now} and ${b.now})::float8 as run`;
    const [runsFailed] = await sql()<
      { n: number }[]
    >`select count(*)::int as n from public.sync_runs where started_at >= ${t0} and status not in ('succeeded', 'running')`;
    const cycleSeconds = N / rate;
    const gaps = (
      await sql()<{ gap: number }[]>`
        select extract(epoch from finished_at - lag(finished_at) over (partition by ad_account_id order by finished_at))::float8 as gap
        from public.sync_runs where kind = 'incremental' and status = 'succeeded' and finished_at >= ${t0}`
    )
      .map((r) => r.gap)
      .filter((g) => g !== null);
    const p95 = gaps.length ? pct(gaps, 95) : NaN;
    const phase = {
      workers: k,
      windowSeconds: +seconds.toFixed(1),
      syncs,
      syncsPerSecond: +rate.toFixed(3),
      accountsAt15min: Math.round(rate * 900),
      workerCpuPct: workers.map((_, i) => +((100 * (b.workerCpu[i]! - a.workerCpu[i]!)) / seconds).toFixed(1)),
      workerCpuMsPerSync: +((1000 * workers.reduce((s, _, i) => s + (b.workerCpu[i]! - a.workerCpu[i]!), 0)) / syncs).toFixed(1),
      workerRssMaxMB: rssMax.map((x) => Math.round(x)),
      emulatorCpuPct: +((100 * (b.emuCpu - a.emuCpu)) / seconds).toFixed(1),
      dbCpuPct: +((100 * dbCpu) / seconds).toFixed(1),
      dbCpuMsPerSync: +((1000 * dbCpu) / syncs).toFixed(1),
      graphCallsPerSync: +((b.calls - a.calls) / syncs).toFixed(2),
      meanJobMs: Math.round(durations!.job),
      meanRunMs: Math.round(durations!.run),
      graphProbeMs: { p50: +pct(probeMs, 50).toFixed(1), p95: +pct(probeMs, 95).toFixed(1) },
      dbBackendStates: waits,
      cycleSeconds: +cycleSeconds.toFixed(1),
      p95StalenessSeconds: Number.isFinite(p95) ? +p95.toFixed(1) : null,
      maxStalenessSeconds: gaps.length ? +Math.max(...gaps).toFixed(1) : null,
      stalenessGaps: gaps.length,
      overlappingRuns: overlapRuns[0]!.n,
      overlappingJobs: overlapJobs[0]!.n,
      jobsCompleted: outcomes!.completed,
      jobsFailed: outcomes!.failed,
      runsSkippedByLease: outcomes!.skipped,
      runsNotSucceeded: runsFailed!.n,
      loadAverage1m: os.loadavg()[0],
      workerLog: logFile,
    };
    process.stderr.write(JSON.stringify(phase) + "\n");
    phases.push(phase);
  }

  // per worker count, the mean rate of its phases (mirrored order), and the staleness gaps of the largest count
  const rateOf = (k: number) => {
    const ps = phases.filter((p) => p.workers === k);
    return ps.length ? ps.reduce((x, p) => x + p.syncsPerSecond, 0) / ps.length : null;
  };
  const one = rateOf(1);
  const ratio = (k: number) => {
    const r = rateOf(k);
    return r !== null && one ? +(r / one).toFixed(2) : null;
  };
  const most = Math.max(...phases.map((p) => p.workers));
  const staleness = phases.filter((p) => p.workers === most && p.p95StalenessSeconds !== null).map((p) => p.p95StalenessSeconds!);
  const out = {
    measuredAt: new Date().toISOString(),
    setup: `${N} ad accounts x ${CAMPAIGNS} campaigns (ad x day x platform reads), one client workspace and connection each; emulator in its own process with ${LATENCY} ms per Graph call and default rate limits; incremental passes (today + yesterday); production worker processes (spendlane worker) on PostgreSQL; ${PHASE_SECONDS} s per phase, ${WARMUP_SECONDS} s warm-up`,
    accountsPerWorkerAt15min: one !== null ? Math.round(one * 900) : null,
    syncsPerSecond: Object.fromEntries([...new Set(WORKERS)].map((k) => [`${k}w`, +(rateOf(k) ?? 0).toFixed(3)])),
    scaling2: ratio(2),
    scaling3: ratio(3),
    /** the phases with the most workers: p95 of the gaps between successive syncs of an account (worst phase) */
    p95StalenessSeconds: staleness.length ? Math.max(...staleness) : null,
    budget: { accountsPerWorkerAt15min: 5000, scaling2: 1.8, scaling3: 2.5 },
    phases,
    seedSeconds: +seedSeconds.toFixed(1),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    loadAverage: os.loadavg(),
  };
  fs.mkdirSync(path.join(root, "bench/results"), { recursive: true });
  fs.writeFileSync(path.join(root, "bench/results/fleet.json"), JSON.stringify(out, null, 2) + "\n");
  console.log(JSON.stringify(out, null, 2));
  await stopWorker().catch(() => {});
  await db.close();
  await Promise.all(emus.map((e) => stopProcess(e.child)));
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
