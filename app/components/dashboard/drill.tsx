import { Link, useSearchParams } from "@remix-run/react";
import { Badge, cx } from "~/components/ui";
import { formatMetric, METRIC_BY_NAME } from "~/utils/format";
import { TABLE_METRICS, type RowMetrics } from "./campaign-table";
import { useCarriedQuery } from "./carried-query";

export interface DrillRow {
  id: string;
  name: string;
  info: Record<string, string | null>;
  metrics: RowMetrics;
}

export { useCarriedQuery };

const statusTone = (s: string | null) => (s === "ACTIVE" ? "green" : s && /PAUSED/.test(s) ? "neutral" : s ? "amber" : "neutral");
export function StatusBadge({ status }: { status: string | null }) {
  return <Badge tone={statusTone(status)}>{status ? status.toLowerCase().replace(/_/g, " ") : "unknown"}</Badge>;
}

/** Ad sets of a campaign: name links to the ad set page with the same range, compare and account. */
export function AdSetTable({ rows, totals, currency, base }: { rows: DrillRow[]; totals: RowMetrics; currency: string; base: string }) {
  const query = useCarriedQuery();
  return (
    <div className="relative overflow-x-auto rounded-xl border border-zinc-800">
      <table className="min-w-full text-sm" data-testid="adset-table">
        <thead className="border-b border-zinc-800 bg-zinc-900 text-xs text-zinc-400">
          <tr>
            <th scope="col" className="sticky left-0 z-10 bg-zinc-900 px-3 py-2 text-left font-medium">
              Ad set
            </th>
            <th scope="col" className="px-3 py-2 text-left font-medium">
              Status
            </th>
            <th scope="col" className="px-3 py-2 text-left font-medium">
              Goal · budget
            </th>
            {TABLE_METRICS.map((m) => (
              <th key={m} scope="col" className="whitespace-nowrap px-3 py-2 text-right font-medium">
                {METRIC_BY_NAME[m].label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-zinc-800/70">
          {rows.length === 0 ? (
            <tr>
              <td colSpan={TABLE_METRICS.length + 3} className="px-3 py-6 text-center text-zinc-500">
                No ad sets synced for this campaign yet.
              </td>
            </tr>
          ) : (
            rows.map((r) => (
              <tr key={r.id} className="hover:bg-zinc-900/60" data-adset={r.id}>
                <th scope="row" className="sticky left-0 max-w-[16rem] truncate bg-zinc-950 px-3 py-2 text-left font-normal" title={r.name}>
                  <Link to={`${base}/adsets/${r.id}${query}`} className="text-blue-300 hover:underline">
                    {r.name}
                  </Link>
                </th>
                <td className="whitespace-nowrap px-3 py-2">
                  <StatusBadge status={r.info.status ?? null} />
                </td>
                <td className="whitespace-nowrap px-3 py-2 text-xs text-zinc-400">
                  {(r.info.optimization_goal ?? "—").toLowerCase().replace(/_/g, " ")}
                  {r.info.daily_budget
                    ? ` · ${formatMetric("spend", Number(r.info.daily_budget), currency)}/day`
                    : r.info.lifetime_budget
                      ? ` · ${formatMetric("spend", Number(r.info.lifetime_budget), currency)} lifetime`
                      : ""}
                </td>
                {TABLE_METRICS.map((m) => (
                  <td key={m} className="whitespace-nowrap px-3 py-2 text-right tabular-nums text-zinc-300" data-value={r.metrics[m] ?? ""}>
                    {formatMetric(m, r.metrics[m], currency)}
                  </td>
                ))}
              </tr>
            ))
          )}
        </tbody>
        <tfoot className="border-t border-zinc-700 bg-zinc-900 font-medium text-zinc-100">
          <tr>
            <th scope="row" className="sticky left-0 bg-zinc-900 px-3 py-2 text-left">
              Total
            </th>
            <td className="px-3 py-2 text-xs text-zinc-500" colSpan={2}>
              {rows.length} ad sets
            </td>
            {TABLE_METRICS.map((m) => (
              <td key={m} className="whitespace-nowrap px-3 py-2 text-right tabular-nums" data-total={m} data-value={totals[m] ?? ""}>
                {formatMetric(m, totals[m], currency)}
              </td>
            ))}
          </tr>
        </tfoot>
      </table>
    </div>
  );
}

export const CARD_SORTS = ["spend", "ctr", "cpa", "roas"] as const;
type CardSort = (typeof CARD_SORTS)[number];

/** Sorted as the URL says (?sort=spend|ctr|cpa|roas); CPA ascending (cheaper first), the rest descending. */
export function sortAds(rows: DrillRow[], sort: string | null): DrillRow[] {
  const key: CardSort = (CARD_SORTS as readonly string[]).includes(sort ?? "") ? (sort as CardSort) : "spend";
  const sign = key === "cpa" ? 1 : -1;
  return rows.slice().sort((a, b) => {
    const va = a.metrics[key];
    const vb = b.metrics[key];
    if (va == null || vb == null) return va == null ? (vb == null ? a.name.localeCompare(b.name) : 1) : -1;
    return sign * (va - vb) || a.name.localeCompare(b.name);
  });
}

/** Ads as cards: the creative (served from our origin), name, status and the key numbers. */
export function AdCards({ rows, currency, base }: { rows: DrillRow[]; currency: string; base: string }) {
  const [params] = useSearchParams();
  const sort = params.get("sort");
  const active = (CARD_SORTS as readonly string[]).includes(sort ?? "") ? sort : "spend";
  const shown = sortAds(rows, sort);
  const hrefFor = (k: string) => {
    const p = new URLSearchParams(params);
    p.set("sort", k);
    return `?${p.toString()}`;
  };
  return (
    <div>
      <nav aria-label="Sort ads" className="mb-3 flex flex-wrap items-center gap-1 text-xs">
        <span className="mr-1 text-zinc-500">Sort by</span>
        {CARD_SORTS.map((k) => (
          <Link
            key={k}
            to={hrefFor(k)}
            preventScrollReset
            replace
            aria-current={active === k ? "true" : undefined}
            data-sort={k}
            className={cx("rounded-md px-2 py-1", active === k ? "bg-zinc-800 text-zinc-50" : "text-zinc-400 hover:bg-zinc-900")}
          >
            {METRIC_BY_NAME[k].label}
          </Link>
        ))}
      </nav>
      {shown.length === 0 ? <p className="text-sm text-zinc-500">No ads synced for this ad set yet.</p> : null}
      <ul className="grid gap-4 sm:grid-cols-2 xl:grid-cols-3">
        {shown.map((r) => (
          <li key={r.id} className="min-w-0 overflow-hidden rounded-xl border border-zinc-800 bg-zinc-900/60" data-ad={r.id}>
            {r.info.image ? (
              <img
                src={`${base}/creatives/${r.info.image}`}
                alt={r.info.title ? `Creative: ${r.info.title}` : `Creative of ${r.name}`}
                loading="lazy"
                width={600}
                height={314}
                className="aspect-[1.91/1] w-full bg-zinc-800 object-cover"
                data-creative={r.info.creative_id ?? ""}
              />
            ) : (
              <div className="flex aspect-[1.91/1] w-full items-center justify-center bg-zinc-800 text-xs text-zinc-500">Image not fetched yet</div>
            )}
            <div className="space-y-2 p-4">
              <div className="flex items-start justify-between gap-2">
                <h4 className="min-w-0 break-words text-sm font-medium text-zinc-100">{r.name}</h4>
                <StatusBadge status={r.info.status ?? null} />
              </div>
              {r.info.title || r.info.body ? (
                <p className="line-clamp-2 break-words text-xs text-zinc-400">
                  {r.info.title ? <span className="text-zinc-300">{r.info.title}. </span> : null}
                  {r.info.body}
                </p>
              ) : null}
              <dl className="grid grid-cols-3 gap-2 text-xs">
                {(["spend", "ctr", "cpa", "roas", "conversions", "impressions"] as const).map((m) => (
                  <div key={m} className="min-w-0">
                    <dt className="text-zinc-500">{METRIC_BY_NAME[m].label}</dt>
                    <dd className="truncate tabular-nums text-zinc-200" data-metric={m} data-value={r.metrics[m] ?? ""}>
                      {formatMetric(m, r.metrics[m], currency, { compact: m === "impressions" })}
                    </dd>
                  </div>
                ))}
              </dl>
              {r.info.call_to_action ? <p className="text-xs text-zinc-500">Call to action: {r.info.call_to_action.toLowerCase().replace(/_/g, " ")}</p> : null}
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}
