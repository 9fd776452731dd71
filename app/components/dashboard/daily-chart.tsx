/**
 * The daily chart (Tremor AreaChart on recharts). Loaded lazily from the page (React.lazy), so its
 * weight never holds up first paint; the page shows a skeleton until it arrives.
 */
import { AreaChart } from "@tremor/react";
import { formatMetric, type MetricKey } from "~/utils/format";

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
  return (
    <AreaChart
      className="h-64"
      data={data.map((d) => ({ date: d.date.slice(5), [label]: d.value }))}
      index="date"
      categories={[label]}
      colors={["blue"]}
      valueFormatter={(v: number) => formatMetric(metric, v, currency, { compact: true })}
      showLegend={false}
      connectNulls
      yAxisWidth={64}
    />
  );
}
