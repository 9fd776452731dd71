/**
 * The job queue: pg-boss 10 in the app's own database (schema `pgboss`), so any number of worker
 * processes on any number of machines share one queue and nothing needs Redis.
 *
 * - Queue `sync-account`, policy "stately" keyed by ad account: at most one queued and one active
 *   job per account, so repeated requests (a user hammering Refresh, the tick) collapse into one.
 *   The runner's lease adds the hard guarantee (one sync per account even outside the queue).
 * - Queue `sync-tick`, scheduled every minute: finds accounts that are due (backfill not finished,
 *   incremental older than REFRESH_ACTIVE_SECONDS, restatement older than a day) and queues them.
 * pg-boss runs unchanged on the embedded PGlite engine through the socket (ADR 0017).
 */
import PgBoss from "pg-boss";
import { databaseUrl, sql } from "../db/connection";
import { logger } from "../logger";
import { env } from "../env";
import { syncRuns } from "../ops/metrics";
import { runSync, type SyncDeps } from "./runner";
import { nodeSyncDeps } from "./service";
import type { SyncKind } from "./planner";
import { findDueAccounts, type DueAccount } from "./due";
import { billingEnabled } from "../billing/limits";
import { GRACE_DAYS } from "../billing/plans";
import { startAlertJobs } from "../alerts/jobs";

export const SYNC_QUEUE = "sync-account";
export const TICK_QUEUE = "sync-tick";
const log = logger.child({ module: "scheduler" });

export interface SyncJobData {
  adAccountId: string;
  kind: SyncKind;
  since?: string;
}

interface BossState {
  boss?: PgBoss;
  starting?: Promise<PgBoss>;
  worker?: boolean;
  /** When this process's worker last reached the queue (readiness and metrics). */
  heartbeatAt?: number;
  heartbeat?: NodeJS.Timeout;
}
const state: BossState = ((globalThis as Record<string, unknown>).__spendlaneBoss ??= {}) as BossState;

/** Queues of other concerns (reports) that every worker also drains; registered at start-up. */
type WorkerHook = (b: PgBoss) => Promise<void>;
const workerHooks: WorkerHook[] = ((globalThis as Record<string, unknown>).__spendlaneWorkerHooks ??= []) as WorkerHook[];
export function addWorkerHook(hook: WorkerHook) {
  if (!workerHooks.includes(hook)) workerHooks.push(hook);
}

/** The shared pg-boss instance (started on first use), for concerns that send their own jobs. */
export function jobQueue(): Promise<PgBoss> {
  return boss();
}

async function boss(): Promise<PgBoss> {
  if (state.boss) return state.boss;
  state.starting ??= (async () => {
    const url = databaseUrl();
    if (!url) throw new Error("Database not configured: the job queue needs the database URL");
    const b = new PgBoss({
      connectionString: url,
      schema: "pgboss",
      // The embedded engine serialises transactions; a small pool is plenty there and on Postgres.
      max: 3,
      application_name: "spendlane-queue",
      // Only a worker supervises and runs cron; a web process just sends.
      supervise: !!state.worker,
      schedule: !!state.worker,
    });
    b.on("error", (err) => log.error({ err }, "job queue error"));
    await b.start();
    await ensureQueue(b, SYNC_QUEUE, {
      policy: "stately",
      retryLimit: 3,
      retryDelay: 60,
      retryBackoff: true,
      // A backfill of 37 months can take a while; the runner's lease protects against doubles anyway.
      expireInSeconds: 2 * 60 * 60,
    });
    await ensureQueue(b, TICK_QUEUE, { policy: "short", retryLimit: 0, expireInSeconds: 300 });
    state.boss = b;
    return b;
  })();
  try {
    return await state.starting;
  } catch (err) {
    state.starting = undefined;
    throw err;
  }
}

async function ensureQueue(b: PgBoss, name: string, opts: Omit<PgBoss.Queue, "name">) {
  const existing = await b.getQueue(name);
  if (!existing) await b.createQueue(name, { name, ...opts });
}

/**
 * Queues a sync of one ad account. Deduplicated per account: returns null when an equivalent job is
 * already queued. `startAfterSeconds` delays it (used after Meta's rate limit asked us to wait).
 */
export async function requestSync(
  adAccountId: string,
  kind: SyncKind,
  opts: { since?: string; startAfterSeconds?: number; priority?: number } = {},
): Promise<string | null> {
  const b = await boss();
  const data: SyncJobData = { adAccountId, kind, ...(opts.since ? { since: opts.since } : {}) };
  return b.send(SYNC_QUEUE, data, {
    singletonKey: adAccountId,
    startAfter: opts.startAfterSeconds ? Math.ceil(opts.startAfterSeconds) : undefined,
    priority: opts.priority ?? (kind === "manual" ? 10 : kind === "backfill" ? 5 : 0),
  });
}

/** Whether a job for the account is queued or running (for "already syncing" answers). */
export async function pendingSync(adAccountId: string): Promise<{ state: string; startAfter: Date } | null> {
  await boss();
  const [r] = await sql()<{ state: string; start_after: Date }[]>`
    select state::text, start_after from pgboss.job
    where name = ${SYNC_QUEUE} and singleton_key = ${adAccountId} and state in ('created', 'retry', 'active')
    order by start_after limit 1`;
  return r ? { state: r.state, startAfter: r.start_after } : null;
}

/** Accounts due for work (see due.ts), on the shared pool; cadence from each agency's plan. */
export async function dueAccounts(refreshSeconds: number | null = null): Promise<DueAccount[]> {
  return sql().begin((tx) => findDueAccounts(tx, refreshSeconds, 1000, { billingEnabled: billingEnabled(), graceDays: GRACE_DAYS }));
}

/**
 * Hands the jobs of dead workers back to the queue. A worker killed mid-sync (SIGKILL, lost machine)
 * leaves its pg-boss job "active" until the queue's expiry (hours), and the stately policy lets no
 * other job of that account run meanwhile. A job is abandoned when it started more than two lease
 * lengths ago and its account's lease is free or expired (a live run renews its lease every third of
 * its length): it is cancelled and a fresh job queued at once, which resumes from the run's
 * checkpoint. Runs at every worker start and every tick.
 */
export async function reapAbandonedJobs(): Promise<number> {
  const b = await boss();
  const leaseSeconds = env().SYNC_LEASE_SECONDS;
  const dead = await sql()<{ id: string; data: SyncJobData }[]>`
    select j.id, j.data from pgboss.job j
    join public.ad_accounts a on a.id::text = j.singleton_key
    where j.name = ${SYNC_QUEUE} and j.state = 'active'
      and j.started_on < now() - ${2 * leaseSeconds} * interval '1 second'
      and (a.sync_lease_owner is null or a.sync_lease_until < now())`;
  for (const job of dead) {
    await b.cancel(SYNC_QUEUE, job.id);
    await requestSync(job.data.adAccountId, job.data.kind, job.data.since ? { since: job.data.since } : {});
    log.warn({ jobId: job.id, adAccountId: job.data.adAccountId }, "requeued the sync of a worker that is gone");
  }
  return dead.length;
}

/** One scheduler pass: requeues abandoned jobs, then queues every due account. Returns how many jobs were queued. */
export async function tick(): Promise<number> {
  let queued = await reapAbandonedJobs();
  // Watched workspaces refresh faster (REFRESH_ACTIVE_SECONDS, realtime watchers); the rest follow the plan.
  for (const d of await dueAccounts()) if (await requestSync(d.adAccountId, d.kind)) queued++;
  return queued;
}

/**
 * Runs a worker in this process: drains `sync-account` jobs (a few at a time, one per account) and
 * runs the minute tick. `deps` lets tests point the core at the emulator.
 */
export async function startWorker(
  opts: { concurrency?: number; pollingIntervalSeconds?: number; deps?: Partial<SyncDeps>; cron?: boolean } = {},
): Promise<void> {
  if (state.worker && state.boss) return;
  if (state.boss && !state.worker) await stopWorker();
  state.worker = true;
  const b = await boss();
  const deps = () => nodeSyncDeps(opts.deps);
  const handler = async ([job]: PgBoss.Job<SyncJobData>[]) => {
    if (!job) return;
    const result = await runSync(deps(), job.data);
    syncRuns.inc({ outcome: result.status });
    if (result.status === "paused") {
      // Meta asked us to wait: the run keeps its checkpoint and continues when allowed.
      await requestSync(job.data.adAccountId, job.data.kind, { since: job.data.since, startAfterSeconds: (result.retryAfterMs ?? 60_000) / 1000 });
    }
    return { status: result.status, rows: result.rows, apiCalls: result.apiCalls };
  };
  // Several pollers give parallelism across accounts; the queue still hands out one job per account.
  // A sync waits on Meta most of its time, so a process runs several (SYNC_WORKER_CONCURRENCY, ADR 0170),
  // and a poller that just finished a job fetches the next at once instead of sleeping out its polling
  // interval (pg-boss waits the interval after every fetch otherwise): idle pollers still poll slowly.
  // (The embedded engine runs one transaction at a time: more syncs there would only queue.)
  const concurrency = opts.concurrency ?? env().SYNC_WORKER_CONCURRENCY ?? (env().DATABASE_URL ? 8 : 2);
  for (let i = 0; i < concurrency; i++) {
    let id = "";
    id = await b.work<SyncJobData>(SYNC_QUEUE, { batchSize: 1, pollingIntervalSeconds: opts.pollingIntervalSeconds ?? 2 }, async (jobs) => {
      try {
        return await handler(jobs);
      } finally {
        if (jobs.length && id) b.notifyWorker(id);
      }
    });
  }
  await b.work(TICK_QUEUE, { batchSize: 1, pollingIntervalSeconds: 5 }, async () => {
    const n = await tick();
    if (n) log.info({ queued: n }, "scheduler queued due syncs");
  });
  if (opts.cron !== false) await b.schedule(TICK_QUEUE, "* * * * *");
  for (const hook of workerHooks) await hook(b);
  // the hourly alert pass and digests ride on the same worker (ADR 0100)
  await startAlertJobs(b, { cron: opts.cron });
  await reapAbandonedJobs().catch((err) => log.warn({ err }, "could not check for abandoned sync jobs"));
  state.heartbeatAt = Date.now();
  clearInterval(state.heartbeat);
  state.heartbeat = setInterval(() => {
    b.getQueueSize(SYNC_QUEUE).then(
      () => void (state.heartbeatAt = Date.now()),
      (err) => log.warn({ err }, "worker heartbeat: queue unreachable"),
    );
  }, WORKER_HEARTBEAT_MS);
  state.heartbeat.unref();
  log.info("sync worker started");
}

const WORKER_HEARTBEAT_MS = 10_000;

/** Whether this process runs a worker, and how long ago it last reached the queue. */
export function workerHeartbeat(): { running: false } | { running: true; ageSeconds: number; staleAfterSeconds: number } {
  if (!state.worker || state.heartbeatAt === undefined) return { running: false };
  return { running: true, ageSeconds: (Date.now() - state.heartbeatAt) / 1000, staleAfterSeconds: (3 * WORKER_HEARTBEAT_MS) / 1000 };
}

/**
 * Stops the queue: running jobs get up to `timeoutMs` to finish; pg-boss then marks the ones still
 * running as failed (they retry, and the runner resumes from the checkpoint of the last committed
 * chunk).
 */
export async function stopWorker(timeoutMs = 10_000): Promise<void> {
  const b = state.boss;
  state.boss = undefined;
  state.starting = undefined;
  state.worker = false;
  clearInterval(state.heartbeat);
  state.heartbeatAt = undefined;
  if (b) await b.stop({ graceful: true, wait: true, timeout: timeoutMs });
}
