/**
 * Report jobs on the shared pg-boss queue (app/.server/sync/scheduler.ts), drained by every worker:
 *
 * - `report-tick`, cron every minute: claims each schedule whose next run has come (a conditional
 *   update moves next_run_at forward, so two ticks cannot both claim one firing), computes the period
 *   at that instant and queues a `report-run` for (schedule, period); gives schedules without a next
 *   run (new, or the agency's time zone changed) one; and queues runs for deliveries due a retry.
 * - `report-run`: plans and sends one (schedule, period). Its singleton key is the schedule and
 *   period; the idempotency keys and row locks in delivery.ts make a duplicate run harmless anyway.
 *
 * pg-boss 10 keeps one cron entry per queue name, so "a cron job per schedule" is this one minute
 * tick over the schedules table, each schedule firing at its own hour in the agency's zone (ADR 0090).
 */
import type PgBoss from "pg-boss";
import { asService, sql } from "../db/connection";
import { logger } from "../logger";
import { addWorkerHook, jobQueue } from "../sync/scheduler";
import type { DateRange } from "../reporting/dates";
import { dueDeliveryIds, loadSchedule, planRun, schedulePeriod, sendDeliveries } from "./delivery";
import { nextRunAfter } from "./periods";

export const REPORT_TICK_QUEUE = "report-tick";
export const REPORT_RUN_QUEUE = "report-run";
const log = logger.child({ module: "reports" });

export interface ReportRunJob {
  scheduleId: string;
  period: DateRange;
  /** false: only send what is already planned (a retry), do not add recipients */
  plan: boolean;
}

async function ensureQueue(b: PgBoss, name: string, opts: Omit<PgBoss.Queue, "name">) {
  if (!(await b.getQueue(name))) await b.createQueue(name, { name, ...opts });
}

async function ensureQueues(b: PgBoss) {
  await ensureQueue(b, REPORT_TICK_QUEUE, { policy: "short", retryLimit: 0, expireInSeconds: 300 });
  await ensureQueue(b, REPORT_RUN_QUEUE, { policy: "stately", retryLimit: 3, retryDelay: 60, retryBackoff: true, expireInSeconds: 15 * 60 });
}

export async function queueReportRun(job: ReportRunJob): Promise<string | null> {
  const b = await jobQueue();
  await ensureQueues(b);
  return b.send(REPORT_RUN_QUEUE, job, { singletonKey: `${job.scheduleId}:${job.period.since}..${job.period.until}:${job.plan ? "plan" : "retry"}` });
}

/** One pass of the minute tick. Returns the runs it queued. */
export async function reportTick(now = new Date(), queue: (job: ReportRunJob) => Promise<unknown> = queueReportRun): Promise<ReportRunJob[]> {
  const queued: ReportRunJob[] = [];
  // schedules without a next run get one (nothing fires for them in this pass)
  const unset = await sql()<
    { id: string; frequency: "weekly" | "monthly"; weekday: number | null; day_of_month: number | null; hour: number; timezone: string | null }[]
  >`
    select s.id, s.frequency, s.weekday, s.day_of_month, s.hour, b.timezone
    from public.report_schedules s left join public.agency_branding b on b.agency_id = s.agency_id
    where s.enabled and s.next_run_at is null limit 500`;
  for (const s of unset) {
    const next = nextRunAfter({ frequency: s.frequency, weekday: s.weekday, dayOfMonth: s.day_of_month, hour: s.hour }, s.timezone ?? "UTC", now);
    await sql()`update public.report_schedules set next_run_at = ${next} where id = ${s.id} and next_run_at is null`;
  }
  const due = await sql()<
    {
      id: string;
      next_run_at: Date;
      frequency: "weekly" | "monthly";
      weekday: number | null;
      day_of_month: number | null;
      hour: number;
      timezone: string | null;
    }[]
  >`
    select s.id, s.next_run_at, s.frequency, s.weekday, s.day_of_month, s.hour, b.timezone
    from public.report_schedules s left join public.agency_branding b on b.agency_id = s.agency_id
    where s.enabled and s.next_run_at <= ${now} order by s.next_run_at limit 200`;
  for (const s of due) {
    const next = nextRunAfter({ frequency: s.frequency, weekday: s.weekday, dayOfMonth: s.day_of_month, hour: s.hour }, s.timezone ?? "UTC", now);
    const claimed = await sql()`update public.report_schedules set next_run_at = ${next} where id = ${s.id} and next_run_at = ${s.next_run_at} returning 1`;
    if (!claimed.length) continue;
    // the period as of the firing instant, not of whenever the tick got to it
    const period = await asService(async (tx) => {
      const row = await loadSchedule(tx, s.id);
      return row ? schedulePeriod(tx, row, s.next_run_at) : null;
    });
    if (!period) continue;
    const job = { scheduleId: s.id, period, plan: true };
    await queue(job);
    queued.push(job);
  }
  // deliveries waiting for a retry: one run per (schedule, period)
  const retry = await sql()<{ schedule_id: string; since: string; until: string }[]>`
    select distinct schedule_id, period_since::text as since, period_until::text as until
    from public.report_deliveries where status in ('pending', 'retrying') and next_attempt_at <= ${now} limit 200`;
  for (const r of retry) {
    const job = { scheduleId: r.schedule_id, period: { since: r.since, until: r.until }, plan: false };
    await queue(job);
    queued.push(job);
  }
  return queued;
}

/** Handles one `report-run` job. */
export async function handleReportRun(job: ReportRunJob) {
  if (job.plan) {
    const plan = await planRun(job.scheduleId, { kind: "scheduled", period: job.period });
    return sendDeliveries(plan.deliveryIds);
  }
  const ids = await sql()<{ id: string }[]>`
    select id from public.report_deliveries
    where schedule_id = ${job.scheduleId} and period_since = ${job.period.since} and period_until = ${job.period.until}
      and status in ('pending', 'retrying')`;
  return sendDeliveries(ids.map((r) => r.id));
}

let registered = false;

/** Registers the report queues with every worker process (called from the runtime at start-up; once). */
export function registerReportWorker(opts: { cron?: boolean } = {}) {
  if (registered) return;
  registered = true;
  addWorkerHook(async (b) => {
    await ensureQueues(b);
    await b.work<ReportRunJob>(REPORT_RUN_QUEUE, { batchSize: 1, pollingIntervalSeconds: 2 }, async ([job]) => {
      if (!job) return;
      const outcomes = await handleReportRun(job.data);
      log.info({ scheduleId: job.data.scheduleId, outcomes: Object.values(outcomes ?? {}) }, "report run finished");
    });
    await b.work(REPORT_TICK_QUEUE, { batchSize: 1, pollingIntervalSeconds: 5 }, async () => {
      const runs = await reportTick();
      if (runs.length) log.info({ queued: runs.length }, "report tick queued runs");
    });
    if (opts.cron !== false) await b.schedule(REPORT_TICK_QUEUE, "* * * * *");
  });
}

/** For `spendlane reports run` and tests: the due retries now, without the queue. */
export async function sendDueRetries() {
  return sendDeliveries(await dueDeliveryIds());
}
