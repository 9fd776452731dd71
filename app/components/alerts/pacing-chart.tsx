/**
 * The pacing card's month chart (Tremor LineChart, loaded lazily like the daily chart): cumulative
 * spend so far, the budget spread evenly over the month, and the projection from today to month end.
 */
import { LineChart } from "@tremor/react";
import { formatMoney } from "~/utils/format";

export default function PacingChart({
  series,
  currency,
}: {
  series: { date: string; actual: number | null; budget: number; projected: number | null }[];
  currency: string;
}) {
  return (
    <LineChart
      className="h-48"
      data={series.map((d) => ({ date: d.date.slice(5), Spent: d.actual, Budget: d.budget, Projected: d.projected }))}
      index="date"
      categories={["Spent", "Budget", "Projected"]}
      colors={["blue", "zinc", "amber"]}
      valueFormatter={(v: number) => formatMoney(v, currency, { compact: true })}
      connectNulls={false}
      yAxisWidth={64}
    />
  );
}
