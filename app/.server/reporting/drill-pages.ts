/**
 * View models of the drill-down pages (campaign -> ad sets -> ads), their CSV exports and the
 * creative images: parse the URL, read under asUser (RLS decides; another tenant's ids are 404),
 * shape numbers for the browser. Range, comparison and account come from the same URL parameters
 * as the workspace dashboard, so they carry over as one drills down.
 */
import { stringify } from "csv-stringify/sync";
import { z } from "zod";
import { asUser } from "../db/connection";
import { InputError, NotFoundError } from "../errors";
import { cached } from "./cache";
import { PRESET_LABELS, type RangeParams, parseRangeParams, resolveRange } from "./dates";
import { delta, trimDecimal, type Metrics, type Sums } from "./metrics";
import { rangeFromUrl } from "./dashboard";
import {
  BREAKDOWNS,
  findDrillObject,
  getLevelReport,
  type DrillScope,
  loadLevelReport,
  parseBreakdown,
  type Breakdown,
  type LevelGroup,
  type LevelReport,
} from "./drilldown";
import { getPanels } from "./drill-panels";
import { loadWorkspaceContext, reportTimezone, selectAccounts } from "./workspace";

/** Routes answer an unknown (or another tenant's) id with a plain 404. */
function notFoundResponse(err: unknown): never {
  if (err instanceof NotFoundError) throw new Response("Not found", { status: 404 });
  throw err;
}

type RowMetrics = Omit<Metrics, "reach" | "frequency">;
function rowMetrics(m: Metrics): RowMetrics {
  const { reach: _r, frequency: _f, ...rest } = m;
  return rest;
}

const accountParam = z.uuid();
function accountFromUrl(url: URL): { accountIds: string[]; error: string | null } {
  const raw = url.searchParams.get("account");
  if (!raw) return { accountIds: [], error: null };
  return accountParam.safeParse(raw).success ? { accountIds: [raw], error: null } : { accountIds: [], error: "Unknown ad account: showing all accounts." };
}

function groupView(g: LevelGroup) {
  const totals = rowMetrics(g.totals);
  return {
    currency: g.currency,
    totals,
    previous: g.previous ? rowMetrics(g.previous) : null,
    deltas: Object.fromEntries((Object.keys(totals) as (keyof RowMetrics)[]).map((k) => [k, g.previous ? delta(g.totals[k], g.previous[k]) : null])) as Record<
      keyof RowMetrics,
      number | null
    >,
    rows: g.rows.map((r) => ({ id: r.id, name: r.name, parentId: r.parentId ?? null, key: r.key ?? null, info: r.info, metrics: rowMetrics(r.metrics) })),
  };
}

function breakdownView(r: LevelReport) {
  return Object.values(r.byCurrency).map((g) => ({
    currency: g.currency,
    totals: rowMetrics(g.totals),
    rows: g.rows.map((x) => ({ key: x.key!, metrics: rowMetrics(x.metrics) })),
  }));
}

export type DrillKind = "campaign" | "adset";

/**
 * One drill-down page: the campaign (its ad sets) or the ad set (its ads), with totals and deltas,
 * and the four audience breakdowns of the same scope.
 */
export async function drillPage(opts: { userId: string; workspaceId: string; kind: DrillKind; id: string; url: URL; now?: Date }) {
  const { params, error: rangeError } = rangeFromUrl(opts.url);
  const acc = accountFromUrl(opts.url);
  return asUser(opts.userId, async (tx) => {
    // The one statement a warm view runs: the access check (RLS: no row, no workspace) and the data
    // version every cache key below carries. The object and the numbers then come from the cache.
    const context = await loadWorkspaceContext(tx, opts.workspaceId).catch(notFoundResponse);
    const obj = await cached(`drill-object:${opts.workspaceId}:v${context.version}:${opts.kind}:${opts.id}`, () =>
      findDrillObject(tx, opts.workspaceId, opts.kind, opts.id),
    ).catch(notFoundResponse);
    const scope: DrillScope = { accountIds: [obj.ad_account_id], ...(opts.kind === "campaign" ? { campaignId: obj.id } : { adsetId: obj.id }) };
    const child = opts.kind === "campaign" ? "adset" : "ad";
    const range = resolveRange(params, reportTimezone(selectAccounts(context, scope)), opts.now ?? new Date());
    // pipelined on the connection (see computeLevelReport); both are cache hits on a warm view
    const [report, panels] = await Promise.all([getLevelReport(tx, context, range, { level: child, scope }), getPanels(tx, context, range, scope)]);
    const breakdowns = Object.fromEntries(BREAKDOWNS.map((b) => [b, breakdownView(panels[b])])) as Record<Breakdown, ReturnType<typeof breakdownView>>;
    const account = context.accounts.find((a) => a.id === obj.ad_account_id)!;
    return {
      object: {
        kind: opts.kind,
        id: obj.id,
        name: obj.name,
        status: obj.status,
        parentId: obj.parent_id,
        parentName: obj.parent_name,
        account: { id: account.id, name: account.name, currency: account.currency },
      },
      range: {
        preset: range.preset,
        presetLabel: PRESET_LABELS[range.preset],
        compare: range.compare,
        since: range.since,
        until: range.until,
        previous: range.previous,
        timezone: range.timezone,
        compareLabel: range.previous ? (range.compare === "year" ? "last year" : "previous period") : null,
      },
      accountId: acc.accountIds[0] ?? null,
      accounts: context.accounts.map((a) => ({ id: a.id, name: a.name, currency: a.currency })),
      notices: [rangeError, acc.error, account.sync_status === "syncing" ? "A sync is running: numbers fill in as it goes." : null].filter(
        (x): x is string => !!x,
      ),
      attributionWindow: report.attributionWindow,
      groups: Object.values(report.byCurrency)
        .filter((g) => g.currency === account.currency)
        .map(groupView),
      breakdowns,
    };
  });
}

const exportKinds = z.enum(["campaigns", "adsets", "ads", ...BREAKDOWNS]);
export type LevelExportKind = z.infer<typeof exportKinds>;
const metaId = z.string().regex(/^\d{1,32}$/);

/** CSV of one level or breakdown for the range, account and scope (?campaign=, ?adset=) in the URL. */
export async function levelExport(opts: { userId: string; workspaceId: string; workspaceSlug: string; kind: string; url: URL }) {
  const kind = exportKinds.safeParse(opts.kind);
  if (!kind.success) throw new Response("Not found", { status: 404 });
  let params: RangeParams;
  try {
    params = parseRangeParams(opts.url.searchParams);
  } catch (err) {
    if (err instanceof InputError) throw new Response(`${err.message}: ${Object.values(err.fields).join("; ")}`, { status: 400 });
    throw err;
  }
  const sp = opts.url.searchParams;
  const parsed = z.object({ account: z.uuid().optional(), campaign: metaId.optional(), adset: metaId.optional() }).safeParse({
    account: sp.get("account") || undefined,
    campaign: sp.get("campaign") || undefined,
    adset: sp.get("adset") || undefined,
  });
  if (!parsed.success) throw new Response("Bad account, campaign or ad set id", { status: 400 });
  const scope = { accountIds: parsed.data.account ? [parsed.data.account] : [], campaignId: parsed.data.campaign, adsetId: parsed.data.adset };
  const breakdown: Breakdown | null = parseBreakdown((BREAKDOWNS as readonly string[]).includes(kind.data) ? kind.data : null);
  const level = kind.data === "campaigns" ? "campaign" : kind.data === "ads" ? "ad" : "adset";
  const report = await asUser(opts.userId, async (tx) => {
    try {
      return (await loadLevelReport(tx, opts.workspaceId, params, { level, breakdown, scope })).report;
    } catch (err) {
      if (err instanceof InputError) throw new Response(err.message, { status: 400 });
      throw err;
    }
  });
  const scopeName = parsed.data.adset ? `_adset-${parsed.data.adset}` : parsed.data.campaign ? `_campaign-${parsed.data.campaign}` : "";
  return { csv: levelCsv(report), fileName: `${opts.workspaceSlug}_${report.range.since}_${report.range.until}_${kind.data}${scopeName}.csv` };
}

const RATIO = 4;
const r4 = (v: number | null) => (v == null ? "" : v.toFixed(RATIO));
function facts(s: Sums, m: Metrics) {
  return [
    trimDecimal(s.spend),
    s.impressions,
    s.clicks,
    s.link_clicks,
    r4(m.ctr),
    r4(m.cpc),
    r4(m.cpm),
    trimDecimal(s.conversions),
    r4(m.cpa),
    trimDecimal(s.conversion_value),
    r4(m.roas),
  ];
}
const FACT_HEADER = ["spend", "impressions", "clicks", "link_clicks", "ctr", "cpc", "cpm", "conversions", "cpa", "conversion_value", "roas"];

/** Rows per currency with a total row; exact decimal sums; csv-stringify quotes Meta's strings. */
export function levelCsv(report: LevelReport): string {
  const keyNames = report.breakdown ? Object.keys(Object.values(report.byCurrency).flatMap((g) => g.rows)[0]?.key ?? {}) : [];
  const head = report.breakdown ? keyNames : ["id", "name", "parent_id", "status"];
  const rows: string[][] = [["currency", ...head, ...FACT_HEADER, "attribution_window"]];
  for (const g of Object.values(report.byCurrency)) {
    for (const r of g.rows) {
      const lead = report.breakdown ? keyNames.map((k) => r.key?.[k] ?? "") : [r.id, r.name, r.parentId ?? "", r.info.status ?? ""];
      rows.push([g.currency, ...lead, ...facts(r.sums, r.metrics).map(String), report.attributionWindow]);
    }
    rows.push([
      g.currency,
      ...head.map((_, i) => (i === (report.breakdown ? 0 : 1) ? "Total" : "")),
      ...facts(g.totalsSums, g.totals).map(String),
      report.attributionWindow,
    ]);
  }
  // a leading = + - @ in a name must not become a formula in a spreadsheet
  return stringify(rows.map((row) => row.map((c) => (/^[=+\-@\t\r]/.test(c) && !/^-?\d/.test(c) ? `'${c}` : c))));
}

/** A creative image from our database (RLS: only readers of the workspace), or 404. */
export async function creativeImage(opts: { userId: string; workspaceId: string; creativeId: string }) {
  if (!/^\d{1,32}$/.test(opts.creativeId)) throw new Response("Not found", { status: 404 });
  const [row] = await asUser(
    opts.userId,
    (tx) => tx<{ content_type: string; bytes: Uint8Array; sha256: string | null }[]>`
    select content_type, bytes, sha256 from public.creative_images
    where workspace_id = ${opts.workspaceId} and creative_id = ${opts.creativeId} and bytes is not null limit 1`,
  );
  if (!row) throw new Response("Not found", { status: 404 });
  return row;
}
