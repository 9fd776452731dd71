/**
 * `spendlane report --workspace W --since D --until D [--compare previous|year] [--level L] [--breakdown B] [--json]`:
 * the numbers on the workspace page (or, with --level/--breakdown, on the drill-down pages), computed by
 * the same reporting modules (as service: the CLI is an admin tool).
 * W is a workspace id or agencySlug/workspaceSlug.
 */
import type { Command } from "commander";
import { z } from "zod";
import { asService } from "../../app/.server/db/connection";
import type { Tx } from "../../app/.server/db/connection";
import { InputError } from "../../app/.server/errors";
import {
  completeReachLive,
  getRangeReach,
  liveRangeReach,
  loadWorkspaceReport,
  parseRangeParams,
  withReach,
  type Metrics,
  type Report,
} from "../../app/.server/reporting";
import { loadLevelReport, parseBreakdown, parseLevel, type LevelReport } from "../../app/.server/reporting/drilldown";
import { withDatabase } from "../context";
import { printJson } from "../output";

const uuid = z.uuid();

export async function findWorkspace(tx: Tx, ref: string): Promise<{ id: string; slug: string }> {
  if (uuid.safeParse(ref).success) {
    const [row] = await tx<{ id: string; slug: string }[]>`select id, slug from public.workspaces where id = ${ref}`;
    if (row) return row;
  } else if (/^[a-z0-9-]+\/[a-z0-9-]+$/.test(ref)) {
    const [agency, ws] = ref.split("/");
    const [row] = await tx<{ id: string; slug: string }[]>`
      select w.id, w.slug from public.workspaces w join public.agencies a on a.id = w.agency_id
      where a.slug = ${agency} and w.slug = ${ws}`;
    if (row) return row;
  } else {
    throw new InputError("Give the workspace as its id or as agencySlug/workspaceSlug", { workspace: "malformed" });
  }
  throw new InputError(`No workspace ${ref}`, { workspace: "not found" });
}

/**
 * The JSON shape: metric names as on the cards, money as numbers converted from exact sums at the end.
 * `attribution` (top level) says which windows the conversions use: the workspace's choice, the
 * windows of the numbers when every currency group shares them, and each group's own.
 */
export function reportJson(report: Report, attributionChoice: string[] | null = null) {
  const r = report.range;
  const byCurrency: Record<string, unknown> = {};
  for (const [currency, g] of Object.entries(report.byCurrency)) {
    const rowMetrics = (m: Metrics) => {
      // reach is not additive, so rows (days, campaigns, platforms) have none
      const { reach: _r, frequency: _f, ...rest } = m;
      return rest;
    };
    byCurrency[currency] = {
      accounts: g.accounts.map((a) => a.meta_account_id),
      totals: g.totals,
      ...(g.previous ? { previous: g.previous } : {}),
      campaigns: g.campaigns.map((c) => ({ id: c.meta_campaign_id, name: c.name, status: c.status, ...rowMetrics(c.metrics) })),
      platforms: g.platforms.map((p) => ({ platform: p.platform, ...rowMetrics(p.metrics) })),
      daily: g.daily.map((d) => ({ date: d.date, ...rowMetrics(d.metrics) })),
    };
  }
  const groups = Object.values(report.byCurrency);
  const keys = new Set(groups.map((g) => g.attribution.key));
  const shared = groups.length > 0 && keys.size === 1 && !groups.some((g) => g.attribution.mixed) ? groups[0]!.attribution : null;
  return {
    range: { since: r.since, until: r.until, ...(r.previous ? { compare: { kind: r.compare, since: r.previous.since, until: r.previous.until } } : {}) },
    attribution: {
      choice: attributionChoice ?? "account_default",
      windows: shared?.windows ?? null,
      byCurrency: Object.fromEntries(
        groups.map((g) => [g.currency, { windows: g.attribution.windows, label: g.attribution.label, mixed: g.attribution.mixed }]),
      ),
    },
    byCurrency,
  };
}

/**
 * The JSON of `--level` / `--breakdown`: rows per account, campaign, ad set or ad (with parentId), or
 * per audience bucket (with key), under each currency; metric names as in reportJson. Rows carry no
 * reach (it is not additive); the window the conversions were fetched with is stated.
 */
export function levelJson(report: LevelReport) {
  const r = report.range;
  const byCurrency: Record<string, unknown> = {};
  for (const [currency, g] of Object.entries(report.byCurrency)) {
    byCurrency[currency] = {
      totals: g.totals,
      ...(g.previous ? { previous: g.previous } : {}),
      rows: g.rows.map((row) => {
        const { reach: _r, frequency: _f, ...metrics } = row.metrics;
        return { id: row.id, name: row.name, ...(row.parentId ? { parentId: row.parentId } : {}), ...(row.key ? { key: row.key } : {}), ...metrics };
      }),
    };
  }
  return {
    range: { since: r.since, until: r.until, ...(r.previous ? { compare: { kind: r.compare, since: r.previous.since, until: r.previous.until } } : {}) },
    level: report.level,
    ...(report.breakdown ? { breakdown: report.breakdown } : {}),
    attribution: { window: report.attributionWindow },
    byCurrency,
  };
}

function printText(report: Report) {
  const out: string[] = [
    `${report.range.since} .. ${report.range.until}${report.range.previous ? ` vs ${report.range.previous.since} .. ${report.range.previous.until}` : ""}`,
  ];
  for (const g of Object.values(report.byCurrency)) {
    out.push(`\n${g.currency} (${g.accounts.map((a) => a.meta_account_id).join(", ")})`);
    for (const [k, v] of Object.entries(g.totals)) {
      const prev = g.previous?.[k as keyof Metrics];
      out.push(`  ${k.padEnd(17)} ${v == null ? "—" : String(v)}${g.previous ? `   (prev ${prev == null ? "—" : prev})` : ""}`);
    }
  }
  process.stdout.write(out.join("\n") + "\n");
}

export function registerReportCommands(program: Command) {
  program
    .command("report")
    .description("print a workspace's report for a date range (the numbers on its dashboard)")
    .requiredOption("--workspace <ref>", "workspace id or agencySlug/workspaceSlug")
    .requiredOption("--since <date>", "first day, YYYY-MM-DD (ad account time zone)")
    .requiredOption("--until <date>", "last day, YYYY-MM-DD")
    .option("--compare <kind>", "previous | year (default: none)")
    .option("--level <level>", "account | campaign | adset | ad: one row per object (JSON)")
    .option("--breakdown <family>", "age_gender | country | device | placement: one row per audience bucket (JSON)")
    .option("--json", "machine-readable output")
    .action((o: { workspace: string; since: string; until: string; compare?: string; level?: string; breakdown?: string; json?: boolean }) =>
      withDatabase(async () => {
        const params = parseRangeParams({ range: "custom", since: o.since, until: o.until, compare: o.compare ?? "none" });
        if (o.level || o.breakdown) {
          const breakdown = parseBreakdown(o.breakdown);
          const level = o.level ? parseLevel(o.level) : "adset";
          const { report } = await asService(async (tx) => loadLevelReport(tx, (await findWorkspace(tx, o.workspace)).id, params, { level, breakdown }));
          printJson(levelJson(report));
          return;
        }
        const loaded = await asService(async (tx) => {
          const ws = await findWorkspace(tx, o.workspace);
          const { context, report } = await loadWorkspaceReport(tx, ws.id, params);
          return { context, report, stored: await getRangeReach(tx, context, report) };
        });
        // the live reach call opens its own transaction: outside the one above
        const report = withReach(loaded.report, await completeReachLive(loaded.context, loaded.report, loaded.stored, liveRangeReach));
        if (o.json) printJson(reportJson(report, loaded.context.attributionWindows));
        else printText(report);
      }),
    );
}
