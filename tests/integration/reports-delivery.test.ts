/**
 * Acceptance (exactly once): a worker killed while its SMTP send is in flight, then two workers running
 * the same (schedule, period) at once, still yield exactly one email per recipient, each delivery
 * marked sent once. Also: SMTP failures are retried with backoff, then shown as failed in the log;
 * the minute tick fires a schedule once per firing; a test send is not deduplicated with the real one.
 * Real processes, a real SMTP server (smtp-server), the test database (PGlite or PostgreSQL).
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { asService, asUser, sql } from "../../app/.server/db/connection";
import { resetEnvForTests } from "../../app/.server/env";
import { MAX_ATTEMPTS, planRun, runSchedule, sendDeliveries } from "../../app/.server/reports/delivery";
import { reportTick } from "../../app/.server/reports/jobs";
import { deliveryLog, saveSchedule, saveTemplate, standardTemplate } from "../../app/.server/reports/schedules";
import { createAgencyFixture, uniq } from "../helpers/factories";
import { startTestSmtp, type TestSmtp } from "../helpers/smtp";

const PERIOD = { since: "2026-10-01", until: "2026-10-31" };
let smtp: TestSmtp;

async function tenantWithSchedule(externals = 2) {
  const f = await createAgencyFixture({ workspaces: 1 });
  const ws = f.workspaces[0]!.id;
  const templateId = await saveTemplate(f.owner.id, ws, standardTemplate());
  const externalEmails = Array.from({ length: externals }, () => `${uniq("rcpt")}@example.test`);
  const scheduleId = await saveSchedule(f.member.id, ws, {
    templateId,
    name: "Monthly",
    frequency: "monthly",
    dayOfMonth: 1,
    hour: 8,
    viewerIds: [f.viewer.id],
    externalEmails,
  });
  return { f, ws, scheduleId, recipients: [f.viewer.email.toLowerCase(), ...externalEmails].sort() };
}

function startWorker(scheduleId: string): { child: ChildProcess; done: Promise<string> } {
  const child = spawn(process.execPath, ["--import", "tsx", "tests/helpers/reports-worker-child.ts", scheduleId, PERIOD.since, PERIOD.until], {
    env: { ...process.env, DATABASE_URL: inject("databaseUrl"), SMTP_URL: smtp.url, LOG_LEVEL: "silent" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  const done = new Promise<string>((resolve, reject) =>
    child.on("exit", (code, signal) =>
      code === 0 ? resolve(out) : signal === "SIGKILL" ? resolve("killed") : reject(new Error(`worker exited ${code}: ${err}`)),
    ),
  );
  return { child, done };
}

beforeAll(async () => {
  smtp = await startTestSmtp();
});
afterAll(async () => {
  await smtp?.close();
});
afterEach(() => {
  smtp.mode = "accept";
  delete process.env.SMTP_URL;
  resetEnvForTests();
});

describe("report delivery", () => {
  it("a killed worker and two concurrent workers still send one email per recipient per period", async () => {
    const { scheduleId, recipients } = await tenantWithSchedule(2);
    // worker A gets as far as the SMTP DATA of its first message, which the server never answers
    smtp.mode = "hold";
    const arrived = smtp.nextData();
    const a = startWorker(scheduleId);
    await arrived;
    // kill first: on the embedded engine transactions are serialised, so while A holds its row lock
    // no other statement (not even this test's) runs
    a.child.kill("SIGKILL");
    expect(await a.done).toBe("killed");
    const [held] = await sql()<{ n: number }[]>`select count(*)::int as n from public.report_deliveries where schedule_id = ${scheduleId}`;
    expect(held!.n).toBe(3);
    // the database rolls back A's transaction when its connection drops: the row is free and pending
    await expect
      .poll(
        async () => {
          try {
            return await sql().begin(
              async (tx) =>
                (await tx`select id from public.report_deliveries where schedule_id = ${scheduleId} and status = 'pending' for update nowait`).length,
            );
          } catch {
            return -1;
          }
        },
        { timeout: 60_000 },
      )
      .toBe(3);
    expect(smtp.accepted.filter((m) => recipients.includes(m.to[0]!))).toEqual([]);

    smtp.mode = "accept";
    const b = startWorker(scheduleId);
    const c = startWorker(scheduleId);
    await Promise.all([b.done, c.done]);
    const mine = smtp.accepted.filter((m) => recipients.includes(m.to[0]!));
    expect(mine.map((m) => m.to[0]).sort()).toEqual(recipients);
    expect(new Set(mine.map((m) => m.messageId)).size).toBe(3);
    const rows = await sql()<
      { status: string; attempts: number; pdf_bytes: number }[]
    >`select status, attempts, pdf_bytes from public.report_deliveries where schedule_id = ${scheduleId}`;
    expect(rows.map((r) => r.status)).toEqual(["sent", "sent", "sent"]);
    expect(rows.every((r) => r.attempts === 1 && r.pdf_bytes > 1000)).toBe(true);

    // and once more, later: nothing is sent again for that period
    const again = startWorker(scheduleId);
    await again.done;
    expect(smtp.accepted.filter((m) => recipients.includes(m.to[0]!)).length).toBe(3);
  });

  it("SMTP failures are retried with backoff, then shown as failed in the delivery log", async () => {
    const { f, ws, scheduleId } = await tenantWithSchedule(0);
    process.env.SMTP_URL = smtp.url;
    resetEnvForTests();
    smtp.mode = "tempfail";
    const plan = await planRun(scheduleId, { kind: "scheduled", period: PERIOD });
    const [id] = plan.deliveryIds;
    const waits: number[] = [];
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const out = await sendDeliveries([id!]);
      expect(out[id!]).toBe(attempt < MAX_ATTEMPTS ? "retrying" : "failed");
      const [row] = await sql()<{ wait: number; attempts: number }[]>`
        select round(extract(epoch from next_attempt_at - now()) / 60)::int as wait, attempts from public.report_deliveries where id = ${id!}`;
      expect(row!.attempts).toBe(attempt);
      waits.push(row!.wait);
      // not due yet: a second call does nothing
      expect((await sendDeliveries([id!]))[id!]).toBe("skipped");
      await sql()`update public.report_deliveries set next_attempt_at = now() where id = ${id!}`;
    }
    expect(waits.slice(0, 3)).toEqual([1, 5, 25]);
    const log = await asUser(f.member.id, (tx) => deliveryLog(tx, ws));
    expect(log[0]).toMatchObject({ status: "failed", attempts: MAX_ATTEMPTS, recipient: f.viewer.email.toLowerCase() });
    expect(log[0]!.lastError).toMatch(/could not be sent/);
    // the error names no SMTP detail (it may carry credentials)
    expect(log[0]!.lastError).not.toContain("127.0.0.1");
  });

  it("the minute tick fires a due schedule once, for the period as of its firing time", async () => {
    const { scheduleId } = await tenantWithSchedule(1);
    // a firing in the future of the real clock, so no real tick elsewhere claims it first
    await sql()`update public.report_schedules set next_run_at = '2027-02-01T08:00:00Z' where id = ${scheduleId}`;
    const queued: { scheduleId: string; period: { since: string; until: string } }[] = [];
    const now = new Date("2027-02-01T08:00:30Z");
    const q = async (job: (typeof queued)[number]) => void queued.push(job);
    await Promise.all([reportTick(now, q), reportTick(now, q)]);
    const fired = queued.filter((j) => j.scheduleId === scheduleId);
    expect(fired).toHaveLength(1);
    // a workspace without ad accounts reports in UTC: last month on Feb 1 is January
    expect(fired[0]!.period).toEqual({ since: "2027-01-01", until: "2027-01-31" });
    const [s] = await sql()<{ next_run_at: Date }[]>`select next_run_at from public.report_schedules where id = ${scheduleId}`;
    expect(s!.next_run_at.toISOString()).toBe("2027-03-01T08:00:00.000Z");
  });

  it("a test send reaches only the tester and never counts as the period's delivery", async () => {
    const { f, scheduleId, recipients } = await tenantWithSchedule(1);
    const tester = f.member.email.toLowerCase();
    const t1 = await runSchedule(scheduleId, { kind: "test", period: PERIOD, testRecipient: tester });
    const t2 = await runSchedule(scheduleId, { kind: "test", period: PERIOD, testRecipient: tester });
    expect(t1.plan.recipients).toEqual([tester]);
    expect(Object.values({ ...t1.outcomes, ...t2.outcomes })).toEqual(["sent", "sent"]);
    const real = await runSchedule(scheduleId, { kind: "manual", period: PERIOD });
    expect(real.plan.recipients).toEqual(recipients);
    expect(Object.values(real.outcomes)).toEqual(["sent", "sent"]);
    // the same share link for every email of the period
    expect(new Set([t1.plan.shareLinkId, t2.plan.shareLinkId, real.plan.shareLinkId]).size).toBe(1);
    const counts = await asService(
      (tx) => tx<{ kind: string; n: number }[]>`
      select kind, count(*)::int as n from public.report_deliveries where schedule_id = ${scheduleId} group by kind order by kind`,
    );
    expect(counts).toEqual([
      { kind: "manual", n: 2 },
      { kind: "test", n: 2 },
    ]);
  });
});
