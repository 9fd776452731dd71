import type { LoaderFunctionArgs } from "@remix-run/node";
import type { ShouldRevalidateFunction } from "@remix-run/react";
import { Await, Link, useFetcher, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import { lazy, Suspense, useEffect, useState } from "react";
import { requireWorkspace } from "~/.server/auth";
import { workspaceDashboard } from "~/.server/reporting/dashboard";
import { workspacePacing } from "~/.server/alerts/views";
import { PacingCard } from "~/components/alerts/pacing";
import { CampaignTable } from "~/components/dashboard/campaign-table";
import { KpiCard, KpiSkeleton } from "~/components/dashboard/kpi";
import { PlatformBreakdown } from "~/components/dashboard/platforms";
import { RangePicker } from "~/components/dashboard/range-picker";
import { Skeleton } from "~/components/dashboard/skeleton";
import { ProgressBar } from "~/components/dashboard/status";
import { Alert, RouteErrorAlert, Button, ButtonLink, Card, CardTitle, cx, EmptyState } from "~/components/ui";
import { formatDateRange, formatMetric, formatRelativeTime, METRIC_BY_NAME, type MetricKey } from "~/utils/format";
import { LiveDot, LiveSyncProgress, UpdatedAgo } from "~/components/live/live";
import { useLiveUpdates } from "~/hooks/useLiveUpdates";
import { realtimeConfig } from "~/.server/realtime/supabase-token";

// The chart library loads after first paint; KPIs and tables are plain server-rendered HTML.
const DailyChart = lazy(() => import("~/components/dashboard/daily-chart"));

/** This page holds its own live stream (the agency layout then opens none for the bell). */
export const handle = { liveStream: true };

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, agency, role, workspace, canManage } = await requireWorkspace(request, params.agency, params.workspace);
  const [view, pacing] = await Promise.all([
    workspaceDashboard({ userId: user.id, workspaceId: workspace.id, url: new URL(request.url), isStaff: role !== "viewer" }),
    workspacePacing(user.id, agency.id, workspace.id),
  ]);
  return {
    ...view,
    pacing,
    now: Date.now(),
    workspaceId: workspace.id,
    agencySlug: agency.slug,
    workspaceSlug: workspace.slug,
    isStaff: role !== "viewer",
    canManage,
    realtime: realtimeConfig(),
  };
}

// Sorting and searching the campaign table happen on data the page already has.
const LOCAL_PARAMS = ["sort", "dir", "q", "metric"];
export const shouldRevalidate: ShouldRevalidateFunction = ({ currentUrl, nextUrl, formMethod, defaultShouldRevalidate }) => {
  if (formMethod && formMethod !== "GET") return defaultShouldRevalidate;
  // Same URL: an explicit revalidation (live updates after new data), which must reload the numbers.
  if (currentUrl.href === nextUrl.href) return defaultShouldRevalidate;
  if (currentUrl.pathname !== nextUrl.pathname) return defaultShouldRevalidate;
  const strip = (u: URL) => {
    const p = new URLSearchParams(u.search);
    for (const k of LOCAL_PARAMS) p.delete(k);
    p.sort();
    return p.toString();
  };
  return strip(currentUrl) !== strip(nextUrl);
};

const KPIS: MetricKey[] = ["spend", "impressions", "clicks", "ctr", "cpc", "cpm", "conversions", "cpa", "conversion_value", "roas"];
const CHART_METRICS: MetricKey[] = ["spend", "impressions", "clicks", "ctr", "cpc", "cpm", "conversions", "cpa", "conversion_value", "roas"];

type Data = ReturnType<typeof useLoaderData<typeof loader>>;

export default function WorkspaceDashboard() {
  const d = useLoaderData<typeof loader>();
  const navigation = useNavigation();
  // New numbers and sync progress arrive over GET /events; data events reload this page's loaders.
  const live = useLiveUpdates({ workspaceIds: [d.workspaceId], realtime: d.realtime });
  const loading = navigation.state === "loading" && navigation.location?.pathname === `/a/${d.agencySlug}/w/${d.workspaceSlug}`;
  const base = `/a/${d.agencySlug}/w/${d.workspaceSlug}`;
  const exportQuery = new URLSearchParams({
    range: d.range.preset,
    compare: d.range.compare,
    ...(d.range.preset === "custom" ? { since: d.range.since, until: d.range.until } : {}),
    ...(d.accountId ? { account: d.accountId } : {}),
  }).toString();

  return (
    <div className={cx("space-y-6 transition-opacity", loading && "opacity-60")} aria-busy={loading || undefined}>
      <div className="flex flex-col gap-4 lg:flex-row lg:items-end lg:justify-between">
        <RangePicker
          range={d.range.preset}
          compare={d.range.compare}
          since={d.range.since}
          until={d.range.until}
          account={d.accountId}
          accounts={d.accounts.map((a) => ({ id: a.id, label: `${a.name} (${a.currency})` }))}
        />
        <div className="flex flex-wrap items-center gap-3 text-xs text-zinc-400">
          <span>
            {formatDateRange(d.range.since, d.range.until)}
            {d.range.previous ? ` vs ${formatDateRange(d.range.previous.since, d.range.previous.until)}` : ""}
          </span>
          <span title="Dates are days in the ad account's time zone">TZ {d.timezones.length > 1 ? d.timezones.join(", ") : d.range.timezone}</span>
          <span title={formatRelativeTime(d.lastSynced, d.now)}>
            <UpdatedAgo at={d.lastSynced} serverNow={d.now} prefix="Synced" syncing={d.syncing || d.state.kind === "backfill"} />
          </span>
          <LiveDot connected={live.connected} />
          {d.isStaff && d.accounts.length > 0 ? <RefreshButton action={`${base}/refresh`} syncing={d.syncing} /> : null}
        </div>
      </div>

      {d.notices.map((n) => (
        <Alert key={n} tone="warning">
          {n}
        </Alert>
      ))}
      <StateBanner state={d.state} isStaff={d.isStaff} canManage={d.canManage} base={base} />
      {d.state.kind === "backfill" ? null : <LiveSyncProgress progress={live.progress} accounts={d.accounts} />}

      {d.groups.length === 0
        ? null
        : d.groups.map((g) => (
            <section key={g.currency} aria-labelledby={`cur-${g.currency}`} className="space-y-6" data-currency-group={g.currency}>
              <div className="flex flex-wrap items-baseline justify-between gap-2">
                <div>
                  <h2 id={`cur-${g.currency}`} className="text-sm font-medium text-zinc-300">
                    {g.currency} · {g.accounts.map((a) => a.name).join(", ")}
                  </h2>
                  <AttributionNote attribution={g.attribution} />
                </div>
                {d.isStaff ? (
                  <div className="flex gap-2 text-sm">
                    <a
                      href={`${base}/export/campaigns?${exportQuery}`}
                      download
                      className="rounded-md px-2 py-1 text-blue-400 hover:bg-zinc-900"
                      data-export="campaigns"
                    >
                      Export campaigns CSV
                    </a>
                    <a
                      href={`${base}/export/daily?${exportQuery}`}
                      download
                      className="rounded-md px-2 py-1 text-blue-400 hover:bg-zinc-900"
                      data-export="daily"
                    >
                      Export daily CSV
                    </a>
                  </div>
                ) : (
                  <a href={`${base}/export/campaigns?${exportQuery}`} download className="text-sm text-blue-400 hover:underline" data-export="campaigns">
                    Export CSV
                  </a>
                )}
              </div>
              <div className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-4 xl:grid-cols-6">
                {KPIS.map((m) => (
                  <KpiCard
                    key={m}
                    metric={m}
                    value={g.totals[m as keyof typeof g.totals]}
                    previous={g.previous?.[m as keyof typeof g.totals] ?? null}
                    delta={g.deltas[m as keyof typeof g.deltas]}
                    currency={g.currency}
                    compareLabel={d.range.compareLabel}
                  />
                ))}
                <ReachCards reach={d.reach} currency={g.currency} />
              </div>
              {d.pacing
                .filter((p) => p.currency === g.currency)
                .map(({ series, ...line }) => (
                  <PacingCard key={line.currency} line={line} series={series} />
                ))}
              <div className="grid gap-6 lg:grid-cols-3">
                <Card className="lg:col-span-2">
                  <ChartPanel daily={g.daily} currency={g.currency} />
                </Card>
                <Card>
                  <CardTitle>Platforms</CardTitle>
                  <PlatformBreakdown rows={g.platforms} currency={g.currency} />
                </Card>
              </div>
              <div>
                <h3 className="mb-3 text-base font-semibold text-zinc-100">Campaigns</h3>
                <CampaignTable rows={g.campaigns} totals={g.totals} currency={g.currency} />
              </div>
            </section>
          ))}
    </div>
  );
}

function StateBanner({ state, isStaff, canManage, base }: { state: Data["state"]; isStaff: boolean; canManage: boolean; base: string }) {
  switch (state.kind) {
    case "not_connected":
      return (
        <EmptyState title="No Meta ad account connected yet" action={canManage ? <ButtonLink to={`${base}/connections`}>Connect Meta</ButtonLink> : undefined}>
          {canManage
            ? "Connect the client's Meta ad accounts to see spend and results here."
            : isStaff
              ? "An owner or admin of your agency can connect this client's Meta ad accounts."
              : "Your agency has not connected ad accounts yet. Numbers appear here once they do."}
        </EmptyState>
      );
    case "needs_reauth":
      return (
        <Alert tone="warning" title="Meta access expired">
          {canManage ? (
            <>
              The Meta connection needs to be authorised again before new data can be synced.{" "}
              <Link to={`${base}/connections`} className="font-medium underline">
                Reconnect Meta
              </Link>
            </>
          ) : isStaff ? (
            "The Meta connection needs to be authorised again by an owner or admin. The numbers below may be out of date."
          ) : (
            "Your agency needs to reconnect Meta. The numbers below may be out of date."
          )}
        </Alert>
      );
    case "backfill":
      return (
        <Card>
          <ProgressBar value={state.progress} label="Importing history from Meta" />
          <p className="mt-2 text-xs text-zinc-500">Numbers fill in as each chunk arrives; recent days come first.</p>
        </Card>
      );
    case "error":
      return (
        <Alert tone="error" title="The last sync failed">
          {state.message ?? "The latest numbers could not be fetched. Your agency has been notified."}
        </Alert>
      );
    case "ok":
      return null;
  }
}

function RefreshButton({ action, syncing }: { action: string; syncing: boolean }) {
  const fetcher = useFetcher<{ ok?: boolean; error?: string; message?: string }>();
  const busy = fetcher.state !== "idle";
  return (
    <fetcher.Form method="post" action={action} className="flex items-center gap-2">
      <Button type="submit" size="sm" variant="secondary" busy={busy} busyLabel="Queuing…" disabled={syncing} title={syncing ? "A sync is running" : undefined}>
        {syncing ? "Syncing…" : "Refresh"}
      </Button>
      {fetcher.data?.error ? (
        <span role="alert" className="text-xs text-amber-300">
          {fetcher.data.error}
        </span>
      ) : null}
      {fetcher.data?.ok ? (
        <span role="status" className="text-xs text-emerald-300">
          {fetcher.data.message ?? "Refresh queued"}
        </span>
      ) : null}
    </fetcher.Form>
  );
}

function ReachCards({ reach, currency }: { reach: Data["reach"]; currency: string }) {
  return (
    <Suspense
      fallback={
        <>
          <KpiSkeleton label="Reach" />
          <KpiSkeleton label="Frequency" />
        </>
      }
    >
      <Await resolve={reach} errorElement={<ReachUnavailable reason="Reach could not be loaded" />}>
        {(r) => {
          const x = r[currency];
          if (!x || x.status !== "ok") return <ReachUnavailable reason={x?.status === "unavailable" ? x.reason : "Reach is not available"} />;
          return (
            <>
              <KpiCard metric="reach" value={x.reach} currency={currency} note="From Meta for this range" />
              <KpiCard metric="frequency" value={x.frequency} currency={currency} />
            </>
          );
        }}
      </Await>
    </Suspense>
  );
}

function ReachUnavailable({ reason }: { reason: string }) {
  return (
    <div className="col-span-2 rounded-xl border border-dashed border-zinc-800 p-4" data-metric="reach" data-value="">
      <p className="text-xs font-medium uppercase tracking-wide text-zinc-500">Reach · Frequency</p>
      <p className="mt-2 text-sm text-zinc-400">{reason}</p>
    </div>
  );
}

function ChartPanel({ daily, currency }: { daily: Data["groups"][number]["daily"]; currency: string }) {
  // the chart's metric lives in the URL (?metric=roas), so a link or a reload shows the same chart;
  // changing it is local (LOCAL_PARAMS: no reload of the numbers)
  const [params, setParams] = useSearchParams();
  const asked = params.get("metric") as MetricKey | null;
  const metric: MetricKey = asked && CHART_METRICS.includes(asked) ? asked : "spend";
  const setMetric = (m: MetricKey) =>
    setParams(
      (p) => {
        if (m === "spend") p.delete("metric");
        else p.set("metric", m);
        return p;
      },
      { replace: true, preventScrollReset: true },
    );
  // the chart is a browser-only island: SVG measured against the real layout, loaded after first paint
  const [mounted, setMounted] = useState(false);
  useEffect(() => setMounted(true), []);
  const data = daily.map((day) => ({ date: day.date, value: day.metrics[metric as keyof typeof day.metrics] as number | null }));
  const label = METRIC_BY_NAME[metric].label;
  return (
    <div>
      <div className="mb-3 flex flex-wrap items-center justify-between gap-2">
        <h3 className="text-base font-semibold text-zinc-100" data-chart-title>
          {chartTitle(label)}
        </h3>
        <label className="text-xs text-zinc-400">
          <span className="sr-only">Chart metric</span>
          <select
            value={metric}
            onChange={(e) => setMetric(e.target.value as MetricKey)}
            className="rounded-lg border border-zinc-700 bg-zinc-900 px-2 py-1 text-sm text-zinc-100"
            data-testid="chart-metric"
          >
            {CHART_METRICS.map((m) => (
              <option key={m} value={m}>
                {METRIC_BY_NAME[m].label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {mounted ? (
        <Suspense fallback={<Skeleton className="h-64" label="chart" />}>
          <DailyChart data={data} metric={metric} label={label} currency={currency} />
        </Suspense>
      ) : (
        <Skeleton className="h-64" label="chart" />
      )}
      <p className="sr-only">
        {label} from {daily[0]?.date} to {daily[daily.length - 1]?.date}: total shown in the cards; peak{" "}
        {formatMetric(metric, Math.max(...data.map((x) => x.value ?? 0)), currency)}.
      </p>
    </div>
  );
}

/** "Daily spend", "Daily CTR": acronyms keep their capitals. */
function chartTitle(label: string) {
  return `Daily ${label === label.toUpperCase() ? label : label.toLowerCase()}`;
}

export function ErrorBoundary() {
  return <RouteErrorAlert notFound="This client does not exist, or you do not have access to it." failed="The dashboard could not be loaded" />;
}

/** Which attribution windows the conversions use, or why they are not added up (ADR 0071). */
function AttributionNote({ attribution }: { attribution: { label: string | null; mixed: boolean } }) {
  if (attribution.mixed) {
    return (
      <p className="mt-1 text-xs text-amber-400" data-attribution="mixed">
        Conversions n/a: these ad accounts' conversions use different attribution windows (or are being re-read after a change), and different windows are never
        added up.
      </p>
    );
  }
  if (!attribution.label) return null;
  return (
    <p className="mt-1 text-xs text-zinc-500" data-attribution={attribution.label}>
      Conversions: {attribution.label} attribution
    </p>
  );
}
