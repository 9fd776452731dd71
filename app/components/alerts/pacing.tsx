/**
 * Pacing UI: the overview's compact badge and the workspace's pacing card (figures plus a month
 * chart with the cumulative spend, the budget's straight line and the projection to month end).
 */
import { lazy, Suspense, useEffect, useState } from "react";
import { Skeleton } from "~/components/dashboard/skeleton";
import { Badge, Card, CardTitle } from "~/components/ui";
import { formatDate, formatMoney } from "~/utils/format";
import type { PacingSummary } from "~/.server/alerts/views";

/** One currency's pacing as the loaders send it (the server's summary, serialised). */
export type PacingLine = PacingSummary;

const LABEL = { on_track: "On track", under: "Under", over: "Over" } as const;
const TONE = { on_track: "green", under: "amber", over: "red" } as const;

export function PacingBadge({ line }: { line: PacingLine | undefined }) {
  if (!line || !line.status)
    return (
      <span className="text-zinc-600" title="No budget set">
        —
      </span>
    );
  const pct = line.ratio == null ? "" : ` ${Math.round(line.ratio * 100)} %`;
  return (
    <span
      title={`${formatMoney(line.spendToDate, line.currency)} spent of ${formatMoney(line.expectedToDate, line.currency)} expected by now; projected ${formatMoney(line.projected, line.currency)} of ${formatMoney(line.budget, line.currency)}`}
      data-pacing={line.status}
    >
      <Badge tone={TONE[line.status]}>
        {LABEL[line.status]}
        {pct}
      </Badge>
    </span>
  );
}

const PacingChart = lazy(() => import("./pacing-chart"));

export function PacingCard({
  line,
  series,
}: {
  line: PacingLine;
  series: { date: string; actual: number | null; budget: number; projected: number | null }[];
}) {
  const [mounted, setMounted] = useState(false);
  useEffect(() => setMounted(true), []);
  return (
    <Card data-testid="pacing-card" data-currency={line.currency}>
      <CardTitle
        description={`Linear by day in the ad account's time zone · day ${Math.min(line.daysInMonth, Math.floor(line.elapsedDays) + 1)} of ${line.daysInMonth} (${line.today})`}
      >
        Budget pacing{" "}
        {line.status ? (
          <span className="ml-2 align-middle">
            <PacingBadge line={line} />
          </span>
        ) : null}
      </CardTitle>
      <dl className="grid grid-cols-2 gap-3 text-sm sm:grid-cols-4">
        <Figure label="Spent this month" value={formatMoney(line.spendToDate, line.currency)} testid="pacing-spent" />
        <Figure label="Expected by now" value={formatMoney(line.expectedToDate, line.currency)} testid="pacing-expected" />
        <Figure label="Projected month end" value={formatMoney(line.projected, line.currency)} testid="pacing-projected" />
        <Figure
          label={line.budgetFromDaily ? "Budget (daily x days)" : "Monthly budget"}
          value={formatMoney(line.budget, line.currency)}
          testid="pacing-budget"
        />
      </dl>
      <div className="mt-4">
        {mounted ? (
          <Suspense fallback={<Skeleton className="h-48" label="pacing chart" />}>
            <PacingChart series={series} currency={line.currency} />
          </Suspense>
        ) : (
          <Skeleton className="h-48" label="pacing chart" />
        )}
      </div>
      <p className="sr-only">Cumulative spend to {formatDate(line.today)}, the budget line and the projection to the end of the month.</p>
    </Card>
  );
}

function Figure({ label, value, testid }: { label: string; value: string; testid: string }) {
  return (
    <div>
      <dt className="text-xs text-zinc-500">{label}</dt>
      <dd className="mt-0.5 font-semibold tabular-nums text-zinc-100" data-testid={testid}>
        {value}
      </dd>
    </div>
  );
}
