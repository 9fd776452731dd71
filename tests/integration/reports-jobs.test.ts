/**
 * The report queues on the shared pg-boss worker (this engine: PGlite through the socket, or
 * PostgreSQL): a `report-run` job sent to the queue is drained by the sync worker's process through
 * the worker hook and delivers one email per recipient; a duplicate job sends nothing more.
 * (The tick's claiming is tested with a fixed clock in reports-delivery.test.ts; running the real
 * tick here would fire other test files' schedules in the shared database.)
 */
import { afterAll, describe, expect, it } from "vitest";
import { sql } from "../../app/.server/db/connection";
import { listOutbox } from "../../app/.server/mail";
import { queueReportRun, registerReportWorker } from "../../app/.server/reports/jobs";
import { saveSchedule, saveTemplate, standardTemplate } from "../../app/.server/reports/schedules";
import { startWorker, stopWorker } from "../../app/.server/sync/scheduler";
import { createAgencyFixture, uniq } from "../helpers/factories";

afterAll(async () => {
  await stopWorker();
});

describe("report jobs (pg-boss)", () => {
  it("a queued report run is delivered by the worker, once", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    const ws = f.workspaces[0]!.id;
    const templateId = await saveTemplate(f.owner.id, ws, standardTemplate());
    const external = `${uniq("cron")}@example.test`;
    const scheduleId = await saveSchedule(f.owner.id, ws, {
      templateId,
      name: "Weekly",
      frequency: "weekly",
      weekday: 1,
      hour: 6,
      viewerIds: [f.viewer.id],
      externalEmails: [external],
    });
    const period = { since: "2026-11-23", until: "2026-11-29" };

    registerReportWorker({ cron: false });
    await startWorker({ pollingIntervalSeconds: 0.5, cron: false, concurrency: 1 });
    expect(await queueReportRun({ scheduleId, period, plan: true })).toBeTruthy();

    await expect
      .poll(
        async () =>
          (
            await sql()<{ n: number }[]>`
      select count(*)::int as n from public.report_deliveries where schedule_id = ${scheduleId} and status = 'sent'`
          )[0]!.n,
        { timeout: 150_000, interval: 500 },
      )
      .toBe(2);
    const mails = await listOutbox({ to: external });
    expect(mails).toHaveLength(1);
    expect(mails[0]!.attachments[0]).toMatchObject({ contentType: "application/pdf" });
    // the same run again (a retry, a second tick): nothing more is sent
    await queueReportRun({ scheduleId, period, plan: true });
    await expect
      .poll(
        async () =>
          (
            await sql()<{ n: number }[]>`
      select count(*)::int as n from pgboss.job where name = 'report-run' and data->>'scheduleId' = ${scheduleId} and state = 'completed'`
          )[0]!.n,
        { timeout: 150_000, interval: 500 },
      )
      .toBe(2);
    expect(await listOutbox({ to: external })).toHaveLength(1);
  });
});
