/**
 * A report document: everything one client report shows, computed by the dashboards' reporting module
 * (loadWorkspaceContext + getReport), so a report can never disagree with the page. The PDF, the email,
 * the share page and the CLI's JSON are all renderings of this one object.
 */
import type { Tx } from "../db/connection";
import { getReport, loadWorkspaceContext, reportTimezone, type Report } from "../reporting/workspace";
import type { Compare, DateRange } from "../reporting/dates";
import { getBranding, type Branding } from "./branding";
import { periodRange } from "./periods";
import { readSections, type SectionKind } from "./sections";

export interface ReportSpec {
  workspaceId: string;
  period: DateRange;
  compare: Compare;
  sections: SectionKind[];
  commentary: string;
  /** the report's title, e.g. the schedule's name */
  title: string;
}

export interface ReportDocument {
  title: string;
  workspace: { id: string; name: string; agencyId: string };
  branding: Branding;
  sections: SectionKind[];
  commentary: string;
  report: Report;
  /** the oldest "last synced" among the accounts: the report is complete up to then; null = never synced */
  dataAsOf: string | null;
  /** accounts whose sync is not healthy right now (named in the report) */
  staleAccounts: string[];
  generatedAt: Date;
}

/** Loads the document. `tx` is asService (deliveries, share page, CLI) or asUser (a staff preview). */
export async function loadReportDocument(tx: Tx, spec: ReportSpec, now = new Date()): Promise<ReportDocument> {
  const [ws] = await tx<{ id: string; name: string; agency_id: string }[]>`
    select id, name, agency_id from public.workspaces where id = ${spec.workspaceId}`;
  if (!ws) throw new Error("Report workspace not found");
  const context = await loadWorkspaceContext(tx, ws.id);
  const range = periodRange(spec.period, spec.compare, reportTimezone(context.accounts));
  const report = await getReport(tx, context, range);
  const synced = context.accounts.map((a) => a.last_synced_at);
  const dataAsOf = synced.length && synced.every(Boolean) ? synced.sort()[0]! : null;
  return {
    title: spec.title,
    workspace: { id: ws.id, name: ws.name, agencyId: ws.agency_id },
    branding: await getBranding(tx, ws.agency_id),
    sections: readSections(spec.sections),
    commentary: spec.commentary,
    report,
    dataAsOf,
    staleAccounts: context.accounts.filter((a) => a.sync_status !== "ok").map((a) => a.name),
    generatedAt: now,
  };
}

/** Currency groups in a stable order (most spend first), so every output lists them alike. */
export function currencyGroups(doc: ReportDocument) {
  return Object.values(doc.report.byCurrency).sort((a, b) => b.totals.spend - a.totals.spend || a.currency.localeCompare(b.currency));
}

/** Removes control characters (other than newlines) from user and Meta text before it reaches any output. */
export function cleanText(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/g, "");
}
