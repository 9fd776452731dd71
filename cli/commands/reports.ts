/**
 * `spendlane reports run --schedule ID [--period YYYY-MM-DD..YYYY-MM-DD]`: renders and delivers one
 * (schedule, period) now, through the same delivery engine as the cron job (so a period already
 * delivered is not sent twice), and prints {deliveryId, period, recipients, pdfBytes, shareUrl}.
 * `spendlane reports render --workspace W --since D --until D --out file.pdf`: writes the PDF only.
 */
import fs from "node:fs";
import type { Command } from "commander";
import { z } from "zod";
import { asService } from "../../app/.server/db/connection";
import { InputError } from "../../app/.server/errors";
import { parseRangeParams } from "../../app/.server/reporting";
import { loadReportDocument } from "../../app/.server/reports/document";
import { runSchedule } from "../../app/.server/reports/delivery";
import { renderReportPdf } from "../../app/.server/reports/pdf";
import { DEFAULT_SECTIONS } from "../../app/.server/reports/sections";
import { shareUrl } from "../../app/.server/reports/share";
import { appBaseUrl } from "../../app/.server/mail";
import { withDatabase } from "../context";
import { printJson } from "../output";
import { findWorkspace } from "./report";

function parsePeriod(text: string | undefined) {
  if (!text) return undefined;
  const m = text.match(/^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/);
  if (!m) throw new InputError("Give the period as YYYY-MM-DD..YYYY-MM-DD", { period: "malformed" });
  // the same validation as every range (real dates, order, 37 months)
  const r = parseRangeParams({ range: "custom", since: m[1], until: m[2] });
  return { since: r.since!, until: r.until! };
}

export function registerReportsCommands(program: Command) {
  const reports = program.command("reports").description("client reports: deliver a schedule now, or render a PDF");
  reports
    .command("run")
    .description("render and deliver a report schedule now (once per period and recipient)")
    .requiredOption("--schedule <id>", "report schedule id")
    .option("--period <since..until>", "the period, YYYY-MM-DD..YYYY-MM-DD (default: the schedule's current period)")
    .action((o: { schedule: string; period?: string }) =>
      withDatabase(async () => {
        if (!z.uuid().safeParse(o.schedule).success) throw new InputError("Give the schedule's id", { schedule: "not an id" });
        const period = parsePeriod(o.period);
        const exists = await asService((tx) => tx`select 1 from public.report_schedules where id = ${o.schedule}`);
        if (!exists.length) throw new InputError(`No report schedule ${o.schedule}`, { schedule: "not found" });
        const { plan, outcomes } = await runSchedule(o.schedule, { kind: "manual", period });
        const rows = await asService(
          (tx) => tx<{ id: string; recipient_email: string; status: string; pdf_bytes: number | null; last_error: string | null }[]>`
          select id, recipient_email, status, pdf_bytes, last_error from public.report_deliveries where id = any(${plan.deliveryIds}::uuid[]) order by recipient_email`,
        );
        printJson({
          deliveryId: rows[0]?.id ?? null,
          period: `${plan.period.since}..${plan.period.until}`,
          recipients: rows.map((r) => ({
            email: r.recipient_email,
            deliveryId: r.id,
            status: r.status,
            thisRun: outcomes[r.id] ?? "skipped",
            ...(r.last_error ? { error: r.last_error } : {}),
          })),
          pdfBytes: rows.find((r) => r.pdf_bytes)?.pdf_bytes ?? null,
          shareUrl: shareUrl(appBaseUrl(), plan.shareLinkId),
        });
      }),
    );
  reports
    .command("render")
    .description("write a workspace's report for a date range as a PDF (nothing is sent)")
    .requiredOption("--workspace <ref>", "workspace id or agencySlug/workspaceSlug")
    .requiredOption("--since <date>", "first day, YYYY-MM-DD (ad account time zone)")
    .requiredOption("--until <date>", "last day, YYYY-MM-DD")
    .requiredOption("--out <file>", "where to write the PDF")
    .option("--compare <kind>", "previous | year | none (default: previous)")
    .action((o: { workspace: string; since: string; until: string; out: string; compare?: string }) =>
      withDatabase(async () => {
        const r = parseRangeParams({ range: "custom", since: o.since, until: o.until, compare: o.compare ?? "previous" });
        const doc = await asService(async (tx) => {
          const ws = await findWorkspace(tx, o.workspace);
          return loadReportDocument(tx, {
            workspaceId: ws.id,
            period: { since: r.since!, until: r.until! },
            compare: r.compare,
            sections: DEFAULT_SECTIONS,
            commentary: "",
            title: "Performance report",
          });
        });
        const pdf = await renderReportPdf(doc);
        fs.writeFileSync(o.out, pdf);
        printJson({
          out: o.out,
          pdfBytes: pdf.length,
          period: `${doc.report.range.since}..${doc.report.range.until}`,
          currencies: Object.keys(doc.report.byCurrency),
        });
      }),
    );
}
