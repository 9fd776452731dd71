/**
 * The daily chart (Tremor AreaChart on recharts). Loaded lazily from the page (React.lazy), so its
 * weight never holds up first paint; the page shows a skeleton until it arrives.
 */
import { AreaChart, type CustomTooltipProps } from "@tremor/react";
import { formatDate, formatDay, formatMetric, type MetricKey } from "~/utils/format";

export default function DailyChart({
  data,
  metric,
  label,
  currency,
}: {
  data: { date: string; value: number | null }[];
  metric: MetricKey;
  label: string;
  currency: string;
}) {
  // The axis stays compact ("$2.3K", "Nov 15") to fit; the tooltip gives the exact value and the weekday.
  const Tooltip = ({ payload, active }: CustomTooltipProps) => {
    const row = active ? (payload?.[0]?.payload as { day?: string; [k: string]: unknown } | undefined) : undefined;
    if (!row?.day) return null;
    const v = row[label];
    return (
      <div className="rounded-md border border-zinc-700 bg-zinc-900 px-3 py-2 text-xs text-zinc-100 shadow-lg" data-chart-tooltip>
        <p className="font-medium">{formatDay(row.day)}</p>
        <p className="tabular-nums">
          {label}: {formatMetric(metric, typeof v === "number" ? v : null, currency)}
        </p>
      </div>
    );
  };
  return (
    <AreaChart
      className="h-64"
      data={data.map((d) => ({ date: formatDate(d.date, { short: true }), day: d.date, [label]: d.value }))}
      index="date"
      categories={[label]}
      colors={["blue"]}
      valueFormatter={(v: number) => formatMetric(metric, v, currency, { compact: true })}
      customTooltip={Tooltip}
      showLegend={false}
      connectNulls
      yAxisWidth={64}
    />
  );
}
