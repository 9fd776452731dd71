import { Link, useNavigation } from "@remix-run/react";
import { Alert, cx } from "~/components/ui";
import { formatDateRange, type MetricKey } from "~/utils/format";
import { BreakdownPanels, type BreakdownGroup } from "./breakdowns";
import type { RowMetrics } from "./campaign-table";
import { AdCards, AdSetTable, StatusBadge, useCarriedQuery, type DrillRow } from "./drill";
import { KpiCard } from "./kpi";
import { RangePicker } from "./range-picker";

export interface DrillPageData {
  object: {
    kind: "campaign" | "adset";
    id: string;
    name: string;
    status: string | null;
    parentId: string | null;
    parentName: string | null;
    account: { id: string; name: string; currency: string };
  };
  range: {
    preset: string;
    compare: string;
    since: string;
    until: string;
    previous: { since: string; until: string } | null;
    timezone: string;
    compareLabel: string | null;
  };
  accountId: string | null;
  accounts: { id: string; name: string; currency: string }[];
  notices: string[];
  attributionWindow: string;
  groups: { currency: string; totals: RowMetrics; previous: RowMetrics | null; deltas: Record<string, number | null>; rows: DrillRow[] }[];
  breakdowns: Record<string, BreakdownGroup[]>;
  agencySlug: string;
  workspaceSlug: string;
}

const KPIS: MetricKey[] = ["spend", "impressions", "clicks", "ctr", "cpc", "cpm", "conversions", "cpa", "conversion_value", "roas"];

/** The campaign page (its ad sets) and the ad set page (its ads), with the audience panels of the same scope. */
export function DrillPage({ d }: { d: DrillPageData }) {
  const navigation = useNavigation();
  const query = useCarriedQuery();
  const base = `/a/${d.agencySlug}/w/${d.workspaceSlug}`;
  const o = d.object;
  const loading = navigation.state === "loading";
  const exportQuery = new URLSearchParams({
    range: d.range.preset,
    compare: d.range.compare,
    ...(d.range.preset === "custom" ? { since: d.range.since, until: d.range.until } : {}),
    ...(d.accountId ? { account: d.accountId } : {}),
    ...(o.kind === "campaign" ? { campaign: o.id } : { adset: o.id }),
  }).toString();
  const csv = (kind: string) => `${base}/export/level/${kind}?${exportQuery}`;
  const g = d.groups[0];
  return (
    <div className={cx("min-w-0 space-y-6 transition-opacity", loading && "opacity-60")} aria-busy={loading || undefined}>
      <nav aria-label="Breadcrumb" className="flex min-w-0 flex-wrap items-center gap-x-2 gap-y-1 text-sm text-zinc-400">
        <Link to={`${base}${query}`} className="hover:text-zinc-200">
          Dashboard
        </Link>
        <span aria-hidden="true">›</span>
        {o.kind === "adset" && o.parentId ? (
          <>
            <Link to={`${base}/campaigns/${o.parentId}${query}`} className="min-w-0 truncate hover:text-zinc-200" data-crumb="campaign">
              {o.parentName ?? o.parentId}
            </Link>
            <span aria-hidden="true">›</span>
          </>
        ) : null}
        <span className="min-w-0 truncate text-zinc-200" aria-current="page">
          {o.name}
        </span>
      </nav>
      <div className="flex flex-col gap-4 lg:flex-row lg:items-end lg:justify-between">
        <div className="min-w-0">
          <p className="text-xs uppercase tracking-wide text-zinc-500">
            {o.kind === "campaign" ? "Campaign" : "Ad set"} · {o.account.name} ({o.account.currency})
          </p>
          <h2 className="mt-1 flex flex-wrap items-center gap-2 break-words text-xl font-semibold text-zinc-50" data-testid="drill-title">
            {o.name} <StatusBadge status={o.status} />
          </h2>
        </div>
        <RangePicker
          range={d.range.preset}
          compare={d.range.compare}
          since={d.range.since}
          until={d.range.until}
          account={d.accountId}
          accounts={d.accounts.map((a) => ({ id: a.id, label: `${a.name} (${a.currency})` }))}
        />
      </div>
      <p className="text-xs text-zinc-400">
        {formatDateRange(d.range.since, d.range.until)}
        {d.range.previous ? ` vs ${formatDateRange(d.range.previous.since, d.range.previous.until)}` : ""} · TZ {d.range.timezone} · conversions as attributed
        by Meta ({d.attributionWindow === "default" ? "ad set attribution setting" : d.attributionWindow}) · reach is shown per campaign on the dashboard (it
        cannot be added up)
      </p>
      {d.notices.map((n) => (
        <Alert key={n} tone="warning">
          {n}
        </Alert>
      ))}
      {g ? (
        <>
          <div className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-5">
            {KPIS.map((m) => (
              <KpiCard
                key={m}
                metric={m}
                value={g.totals[m as keyof RowMetrics]}
                previous={g.previous?.[m as keyof RowMetrics] ?? null}
                delta={g.deltas[m] ?? null}
                currency={g.currency}
                compareLabel={d.range.compareLabel}
              />
            ))}
          </div>
          <section aria-labelledby="children" className="min-w-0">
            <div className="mb-3 flex items-baseline justify-between gap-2">
              <h3 id="children" className="text-base font-semibold text-zinc-100">
                {o.kind === "campaign" ? "Ad sets" : "Ads"}
              </h3>
              <a
                href={csv(o.kind === "campaign" ? "adsets" : "ads")}
                download
                className="text-sm text-blue-400 hover:underline"
                data-export={o.kind === "campaign" ? "adsets" : "ads"}
              >
                Export CSV
              </a>
            </div>
            {o.kind === "campaign" ? (
              <AdSetTable rows={g.rows} totals={g.totals} currency={g.currency} base={base} />
            ) : (
              <AdCards rows={g.rows} currency={g.currency} base={base} />
            )}
          </section>
          <BreakdownPanels data={d.breakdowns} scopeTotal={g.totals} csvHref={csv} />
        </>
      ) : null}
    </div>
  );
}
