import type { ReactNode } from "react";
import { cx } from "~/components/ui";
import { deltaTone, formatDelta, formatMetric, METRIC_BY_NAME, type MetricKey } from "~/utils/format";

const toneClass = { good: "text-emerald-400", bad: "text-rose-400", flat: "text-zinc-400" } as const;

/** A coloured relative change; for cost metrics a rise is shown as bad. */
export function Delta({ value, inverted, className }: { value: number | null; inverted: boolean; className?: string }) {
  const tone = deltaTone(value, inverted);
  const arrow = value == null || tone === "flat" ? "" : value > 0 ? "▲ " : "▼ ";
  return (
    <span className={cx("tabular-nums", toneClass[tone], className)}>
      {arrow}
      {formatDelta(value)}
      {value != null && tone !== "flat" ? <span className="sr-only">{tone === "good" ? " (better)" : " (worse)"}</span> : null}
    </span>
  );
}

/**
 * One KPI card. data-metric / data-value carry the raw number so browser tests read exact values,
 * whatever the formatting.
 */
export function KpiCard({
  metric,
  value,
  previous,
  delta,
  currency,
  compareLabel,
  note,
}: {
  metric: MetricKey;
  value: number | null;
  previous?: number | null;
  delta?: number | null;
  currency: string;
  compareLabel?: string | null;
  note?: ReactNode;
}) {
  const def = METRIC_BY_NAME[metric];
  return (
    <div
      className="rounded-xl border border-zinc-800 bg-zinc-900/60 p-4"
      data-metric={metric}
      data-currency={currency}
      data-value={value == null ? "" : String(value)}
    >
      <p className="text-xs font-medium uppercase tracking-wide text-zinc-400">{def.label}</p>
      {/* never truncated: the longest 13-month JPY/USD totals wrap at any width rather than hide digits */}
      <p className="mt-1 text-lg font-semibold leading-tight tabular-nums text-zinc-50 [overflow-wrap:anywhere] sm:text-xl 2xl:text-2xl" data-kpi-value>
        {formatMetric(metric, value, currency)}
      </p>
      {compareLabel ? (
        <p className="mt-1 flex flex-wrap items-baseline gap-x-2 text-xs text-zinc-400">
          <Delta value={delta ?? null} inverted={def.inverted} className="font-medium" />
          {/* the previous value at the metric's own precision: "vs $1" beside a CPC of $0.72 reads as wrong */}
          <span className="[overflow-wrap:anywhere]" data-previous={previous == null ? "" : String(previous)}>
            vs {formatMetric(metric, previous ?? null, currency)} {compareLabel}
          </span>
        </p>
      ) : null}
      {note ? <p className="mt-1 text-xs text-zinc-400">{note}</p> : null}
    </div>
  );
}

export function KpiSkeleton({ label }: { label: string }) {
  return (
    <div className="rounded-xl border border-zinc-800 bg-zinc-900/60 p-4" aria-busy="true">
      <p className="text-xs font-medium uppercase tracking-wide text-zinc-500">{label}</p>
      <div className="mt-2 h-7 w-24 animate-pulse rounded bg-zinc-800" />
      <div className="mt-2 h-3 w-32 animate-pulse rounded bg-zinc-800/70" />
      <span className="sr-only">Loading {label}</span>
    </div>
  );
}
