/**
 * The alerts' scheduled work on the job queue (pg-boss, registered by the sync worker): once an
 * hour, re-evaluate every workspace (the time-based rules: a token expiring, syncs failing for more
 * than an hour, a day with no delivery, a new month's pacing) and send the digests due that hour.
 * Evaluation after each sync happens in the sync worker itself (sync/service.ts).
 */
import type PgBoss from "pg-boss";
import { logger } from "../logger";
import { sendDueDigests } from "./delivery";
import { evaluateAll } from "./evaluate";

export const ALERTS_QUEUE = "alerts-hourly";
const log = logger.child({ module: "alerts.jobs" });

/** One pass: evaluate everything, then the digests of this hour. */
export async function hourlyPass(now = new Date()) {
  const results = await evaluateAll({ now });
  const digests = await sendDueDigests({ now });
  const opened = results.reduce((n, r) => n + r.opened.length, 0);
  const resolved = results.reduce((n, r) => n + r.resolved.length, 0);
  log.info({ workspaces: results.length, opened, resolved, digests: digests.sent }, "hourly alert pass");
  return { workspaces: results.length, opened, resolved, digests };
}

export async function startAlertJobs(boss: PgBoss, opts: { cron?: boolean } = {}): Promise<void> {
  if (!(await boss.getQueue(ALERTS_QUEUE))) {
    // "short": at most one queued pass; a pass that overruns the hour does not pile up behind itself
    await boss.createQueue(ALERTS_QUEUE, { name: ALERTS_QUEUE, policy: "short", retryLimit: 1, expireInSeconds: 50 * 60 });
  }
  await boss.work(ALERTS_QUEUE, { batchSize: 1, pollingIntervalSeconds: 30 }, async () => {
    await hourlyPass();
  });
  if (opts.cron !== false) await boss.schedule(ALERTS_QUEUE, "2 * * * *");
}
