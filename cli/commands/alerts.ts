import type { Command } from "commander";
import { asService } from "../../app/.server/db/connection";
import { InputError } from "../../app/.server/errors";
import { findAgencyBySlug } from "../../app/.server/tenancy";
import { evaluateAll } from "../../app/.server/alerts/evaluate";
import { sendDueDigests } from "../../app/.server/alerts/delivery";
import { withDatabase } from "../context";
import { printJson } from "../output";

async function agencyId(slug: string): Promise<string> {
  const agency = await asService((tx) => findAgencyBySlug(tx, slug));
  if (!agency) throw new InputError(`No agency with slug "${slug}"`, { agency: "not found" });
  return agency.id;
}

export function registerAlertCommands(program: Command) {
  const alerts = program.command("alerts").description("goals, pacing and alerts");
  alerts
    .command("list")
    .description("open alerts of an agency: [{id, rule, workspace, subject, openedAt, message}]")
    .requiredOption("--agency <slug>", "agency slug")
    .option("--json", "JSON output (the default; every command prints JSON)")
    .option("--all", "resolved alerts too (with resolvedAt)")
    .action((o: { agency: string; all?: boolean }) =>
      withDatabase(async () => {
        const id = await agencyId(o.agency);
        const rows = await asService(
          (tx) => tx<{ id: string; rule: string; workspace: string; subject: string; openedAt: Date; resolvedAt: Date | null; message: string }[]>`
          select x.id, x.rule, w.slug as workspace, x.subject, x.opened_at as "openedAt", x.resolved_at as "resolvedAt", x.message
          from public.alerts x join public.workspaces w on w.id = x.workspace_id
          where x.agency_id = ${id} and (${!!o.all} or x.resolved_at is null)
          order by x.opened_at desc, x.id`,
        );
        printJson(
          rows.map((r) => ({
            id: r.id,
            rule: r.rule,
            workspace: r.workspace,
            subject: r.subject,
            openedAt: r.openedAt.toISOString(),
            message: r.message,
            ...(o.all ? { resolvedAt: r.resolvedAt?.toISOString() ?? null } : {}),
          })),
        );
      }),
    );
  alerts
    .command("evaluate")
    .description("evaluate every workspace's alert rules now (the hourly pass), and email what opened")
    .option("--agency <slug>", "only this agency")
    .action((o: { agency?: string }) =>
      withDatabase(async () => {
        const results = await evaluateAll({ agencyId: o.agency ? await agencyId(o.agency) : undefined });
        printJson({ workspaces: results.length, opened: results.flatMap((r) => r.opened), resolved: results.flatMap((r) => r.resolved) });
      }),
    );
  alerts
    .command("digest")
    .description("send the daily alert digests due this hour (--force: regardless of each person's hour)")
    .option("--agency <slug>", "only this agency")
    .option("--force", "send now, whatever the digest hour")
    .action((o: { agency?: string; force?: boolean }) =>
      withDatabase(async () => printJson(await sendDueDigests({ agencyId: o.agency ? await agencyId(o.agency) : undefined, force: !!o.force }))),
    );
}
