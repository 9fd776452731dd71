import { formatMetric, formatPercent } from "~/utils/format";
import { platformLabel } from "~/utils/platforms";
import type { RowMetrics } from "./campaign-table";

/** Spend share and key numbers per publisher platform (plain HTML bars: no chart library needed). */
export function PlatformBreakdown({ rows, currency }: { rows: { platform: string; metrics: RowMetrics }[]; currency: string }) {
  const total = rows.reduce((s, r) => s + (r.metrics.spend ?? 0), 0);
  if (rows.length === 0) return <p className="text-sm text-zinc-500">No delivery in this range.</p>;
  return (
    <ul className="space-y-3" aria-label="Spend by platform">
      {rows.map((r) => {
        const share = total > 0 ? ((r.metrics.spend ?? 0) / total) * 100 : 0;
        return (
          <li key={r.platform} data-platform={r.platform} data-value={r.metrics.spend ?? ""}>
            <div className="flex items-baseline justify-between gap-2 text-sm">
              <span className="text-zinc-200">{platformLabel(r.platform)}</span>
              <span className="tabular-nums text-zinc-300">
                {formatMetric("spend", r.metrics.spend, currency)} <span className="text-xs text-zinc-500">({formatPercent(share)})</span>
              </span>
            </div>
            <div className="mt-1 h-1.5 overflow-hidden rounded-full bg-zinc-800">
              <div className="h-full rounded-full bg-blue-500" style={{ width: `${share}%` }} />
            </div>
            <p className="mt-1 text-xs text-zinc-500">
              {formatMetric("impressions", r.metrics.impressions, currency, { compact: true })} impr. · CTR {formatMetric("ctr", r.metrics.ctr, currency)} · CPA{" "}
              {formatMetric("cpa", r.metrics.cpa, currency)} · ROAS {formatMetric("roas", r.metrics.roas, currency)}
            </p>
          </li>
        );
      })}
    </ul>
  );
}
