/**
 * The delivery engine: one email (with the PDF and the share link) per recipient per (schedule, period).
 *
 * Exactly once, even with several workers, a worker killed mid-send, and retries (ADR 0090):
 * - planning inserts one row per recipient with an idempotency key (schedule, period, recipient);
 *   a second plan of the same period, by any process, inserts nothing (unique key, on conflict);
 * - sending happens inside a transaction that holds the delivery row locked (for update skip locked)
 *   and marks it sent before committing. A second worker skips the locked row and later finds it
 *   sent. A killed worker's transaction is rolled back by the database when its connection drops, so
 *   the row is pending again and the next run sends it. With the development outbox the email is a
 *   row written in that same transaction: strictly once. With SMTP the only window left is between
 *   the server accepting the message and our commit; the Message-ID derived from the delivery id lets
 *   mail systems recognise a repeat inside it.
 * - an SMTP failure is recorded on the row with the attempt count and the next attempt time
 *   (1, 5, 25 minutes), then the delivery is marked failed and shown so in the delivery log.
 *
 * This is a privileged path (asService) like sync: route actions check the caller's rights first.
 */
import { randomUUID } from "node:crypto";
import { asService, sql, type Tx } from "../db/connection";
import { appBaseUrl, sendMail } from "../mail";
import { logger } from "../logger";
import type { DateRange } from "../reporting/dates";
import { reportTimezone } from "../reporting/workspace";
import { loadReportDocument, type ReportDocument } from "./document";
import { reportMail } from "./email";
import { renderReportPdf } from "./pdf";
import { periodAt, type ReportPreset } from "./periods";
import { readSections } from "./sections";
import { ensureShareLink, shareToken, shareUrl, type ShareSnapshot } from "./share";

const log = logger.child({ module: "reports" });
export const MAX_ATTEMPTS = 4;
export type DeliveryKind = "scheduled" | "manual" | "test";

/** Minutes to wait after the n-th failed attempt: 1, 5, 25. */
export function retryDelayMinutes(attempts: number): number {
  return 5 ** Math.max(0, attempts - 1);
}

export interface ScheduleRow {
  id: string;
  agency_id: string;
  workspace_id: string;
  name: string;
  viewer_ids: string[];
  external_emails: string[];
  range_preset: ReportPreset;
  compare: "previous" | "year" | "none";
  sections: unknown;
  commentary: string;
}

export async function loadSchedule(tx: Tx, scheduleId: string): Promise<ScheduleRow | undefined> {
  const [row] = await tx<ScheduleRow[]>`
    select s.id, s.agency_id, s.workspace_id, s.name, s.viewer_ids::text[] as viewer_ids, s.external_emails,
           t.range_preset, t.compare, t.sections, t.commentary
    from public.report_schedules s join public.report_templates t on t.id = s.template_id
    where s.id = ${scheduleId}`;
  return row;
}

/** Recipients now: the schedule's viewers who still view this workspace, and its external addresses. */
async function recipientsOf(tx: Tx, s: ScheduleRow): Promise<string[]> {
  const viewers = await tx<{ email: string }[]>`
    select u.email from public.workspace_viewers v join public.users u on u.id = v.user_id
    where v.workspace_id = ${s.workspace_id} and v.user_id = any(${s.viewer_ids}::uuid[])`;
  return [...new Set([...viewers.map((v) => v.email.toLowerCase()), ...s.external_emails.map((e) => e.toLowerCase())])].sort();
}

/** The period a schedule reports on at `now`: its template's preset in the ad account's time zone. */
export async function schedulePeriod(tx: Tx, s: ScheduleRow, now: Date): Promise<DateRange> {
  const accounts = await tx<{ timezone_name: string }[]>`
    select timezone_name from public.ad_accounts where workspace_id = ${s.workspace_id} order by created_at, meta_account_id`;
  return periodAt(s.range_preset, reportTimezone(accounts as never), now);
}

export interface PlannedRun {
  scheduleId: string;
  period: DateRange;
  shareLinkId: string;
  deliveryIds: string[];
  recipients: string[];
}

/**
 * Plans the deliveries of one (schedule, period): the share link and one row per recipient. Safe to
 * call any number of times from any number of processes. A test send goes to `testRecipient` only,
 * with a fresh key each time (a test is never deduplicated against the real send).
 */
export async function planRun(scheduleId: string, opts: { kind: DeliveryKind; period?: DateRange; now?: Date; testRecipient?: string }): Promise<PlannedRun> {
  return asService(async (tx) => {
    const s = await loadSchedule(tx, scheduleId);
    if (!s) throw new Error("Report schedule not found");
    const period = opts.period ?? (await schedulePeriod(tx, s, opts.now ?? new Date()));
    const snapshot: ShareSnapshot = { title: s.name, sections: readSections(s.sections), compare: s.compare, commentary: s.commentary };
    const link = await ensureShareLink(tx, { agencyId: s.agency_id, workspaceId: s.workspace_id, scheduleId, period, snapshot });
    const recipients = opts.kind === "test" ? [opts.testRecipient!.toLowerCase()] : await recipientsOf(tx, s);
    const keys = recipients.map((r) =>
      opts.kind === "test" ? `test:${scheduleId}:${period.since}..${period.until}:${r}:${randomUUID()}` : `${scheduleId}:${period.since}..${period.until}:${r}`,
    );
    for (const [i, r] of recipients.entries()) {
      await tx`
        insert into public.report_deliveries (agency_id, workspace_id, schedule_id, share_link_id, kind, period_since, period_until, recipient_email, idempotency_key)
        values (${s.agency_id}, ${s.workspace_id}, ${scheduleId}, ${link.id}, ${opts.kind}, ${period.since}, ${period.until}, ${r}, ${keys[i]!})
        on conflict (idempotency_key) do nothing`;
    }
    const rows = keys.length ? await tx<{ id: string }[]>`select id from public.report_deliveries where idempotency_key = any(${keys}::text[])` : [];
    await tx`update public.report_schedules set last_run_at = now() where id = ${scheduleId}`;
    return { scheduleId, period, shareLinkId: link.id, deliveryIds: rows.map((r) => r.id), recipients };
  });
}

interface Rendered {
  doc: ReportDocument;
  pdf: Buffer;
  fileName: string;
}

/** Renders the report of a share link's schedule and period (one render per run, shared by recipients). */
export async function renderForLink(linkId: string): Promise<Rendered & { url: string; logoUrl: string | null; expiresAt: Date }> {
  const link = await asService(async (tx) => {
    const [l] = await tx<{ workspace_id: string; since: string; until: string; snapshot: ShareSnapshot; expires_at: Date }[]>`
      select workspace_id, period_since::text as since, period_until::text as until, snapshot, expires_at
      from public.report_share_links where id = ${linkId}`;
    if (!l) throw new Error("Share link not found");
    const doc = await loadReportDocument(tx, {
      workspaceId: l.workspace_id,
      period: { since: l.since, until: l.until },
      compare: l.snapshot.compare,
      sections: readSections(l.snapshot.sections),
      commentary: l.snapshot.commentary,
      title: l.snapshot.title,
    });
    return { doc, expiresAt: l.expires_at };
  });
  const pdf = await renderReportPdf(link.doc);
  const base = appBaseUrl();
  const url = shareUrl(base, linkId);
  return {
    doc: link.doc,
    pdf,
    fileName: reportFileName(link.doc),
    url,
    logoUrl: link.doc.branding.logo ? `${base}/r/${shareToken(linkId)}/logo` : null,
    expiresAt: link.expiresAt,
  };
}

export function reportFileName(doc: ReportDocument): string {
  const slug =
    doc.workspace.name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "")
      .slice(0, 40) || "report";
  return `${slug}-${doc.report.range.since}-${doc.report.range.until}.pdf`;
}

export type DeliveryOutcome = "sent" | "retrying" | "failed" | "skipped";

/**
 * Sends the due deliveries among `ids` (pending or retrying whose time has come), one locked row at a
 * time. Rows another worker holds or has sent are skipped. Returns each id's outcome.
 */
export async function sendDeliveries(ids: string[], opts: { render?: typeof renderForLink } = {}): Promise<Record<string, DeliveryOutcome>> {
  const outcomes: Record<string, DeliveryOutcome> = {};
  const renders = new Map<string, Promise<Awaited<ReturnType<typeof renderForLink>>>>();
  const render = opts.render ?? renderForLink;
  for (const id of ids) {
    const [d] = await sql()<{ share_link_id: string | null; kind: DeliveryKind }[]>`
      select share_link_id, kind from public.report_deliveries where id = ${id} and status in ('pending', 'retrying') and next_attempt_at <= now()`;
    if (!d?.share_link_id) {
      outcomes[id] = "skipped";
      continue;
    }
    if (!renders.has(d.share_link_id)) renders.set(d.share_link_id, render(d.share_link_id));
    const r = await renders.get(d.share_link_id)!;
    outcomes[id] = await sql().begin(async (tx) => {
      const [row] = await tx<{ id: string; recipient_email: string; attempts: number; kind: DeliveryKind }[]>`
        select id, recipient_email, attempts, kind from public.report_deliveries
        where id = ${id} and status in ('pending', 'retrying') and next_attempt_at <= now()
        for update skip locked`;
      if (!row) return "skipped" as const;
      const mail = reportMail(r.doc, { shareUrl: r.url, logoUrl: r.logoUrl, expiresAt: r.expiresAt }, { test: row.kind === "test" });
      const attempts = row.attempts + 1;
      try {
        await sendMail(row.recipient_email, mail, {
          tx,
          attachments: [{ filename: r.fileName, content: r.pdf, contentType: "application/pdf" }],
          replyTo: r.doc.branding.replyTo,
          fromName: r.doc.branding.displayName,
          messageId: `<report-${row.id}@spendlane>`,
        });
      } catch (err) {
        const failed = attempts >= MAX_ATTEMPTS;
        const message = (err as Error).message.slice(0, 500);
        await tx`
          update public.report_deliveries set attempts = ${attempts}, last_error = ${message},
            status = ${failed ? "failed" : "retrying"},
            next_attempt_at = now() + ${`${retryDelayMinutes(attempts)} minutes`}::interval
          where id = ${id}`;
        log.warn({ deliveryId: id, attempts, failed }, "report delivery failed");
        return failed ? ("failed" as const) : ("retrying" as const);
      }
      await tx`
        update public.report_deliveries set status = 'sent', attempts = ${attempts}, sent_at = now(), last_error = null, pdf_bytes = ${r.pdf.length}
        where id = ${id}`;
      return "sent" as const;
    });
  }
  return outcomes;
}

/** Plans and sends one (schedule, period) now: what the cron job, "Send now", a test and the CLI run. */
export async function runSchedule(scheduleId: string, opts: { kind: DeliveryKind; period?: DateRange; now?: Date; testRecipient?: string }) {
  const plan = await planRun(scheduleId, opts);
  const outcomes = await sendDeliveries(plan.deliveryIds);
  return { plan, outcomes };
}

/** Deliveries due for another attempt (the minute tick picks these up), oldest first. */
export async function dueDeliveryIds(limit = 200): Promise<string[]> {
  const rows = await sql()<{ id: string }[]>`
    select id from public.report_deliveries
    where status in ('pending', 'retrying') and next_attempt_at <= now()
    order by next_attempt_at limit ${limit}`;
  return rows.map((r) => r.id);
}
