import { Form, Link, useSearchParams } from "@remix-run/react";
import { cx } from "~/components/ui";
import { formatMetric, METRIC_BY_NAME, type MetricKey } from "~/utils/format";
import { useCarriedQuery } from "./carried-query";

export type RowMetrics = Record<Exclude<MetricKey, "reach" | "frequency">, number | null>;
export interface CampaignView {
  id: string;
  name: string;
  status: string | null;
  metrics: RowMetrics;
}

export const TABLE_METRICS: Exclude<MetricKey, "reach" | "frequency">[] = [
  "spend", "impressions", "clicks", "link_clicks", "ctr", "cpc", "cpm", "conversions", "cpa", "conversion_value", "roas",
];
const SORTABLE = new Set<string>(["name", "status", ...TABLE_METRICS]);

/** Sort and search as the URL says (?sort=&dir=&q=), the same on the server and in the browser. */
export function sortCampaigns(rows: CampaignView[], sort: string | null, dir: string | null, q: string | null): CampaignView[] {
  const key = sort && SORTABLE.has(sort) ? sort : "spend";
  const sign = (dir ?? (key === "name" || key === "status" ? "asc" : "desc")) === "asc" ? 1 : -1;
  const needle = q?.trim().toLowerCase();
  const out = needle ? rows.filter((r) => r.name.toLowerCase().includes(needle) || r.id.includes(needle)) : rows.slice();
  return out.sort((a, b) => {
    if (key === "name" || key === "status") return sign * String(a[key] ?? "").localeCompare(String(b[key] ?? "")) || a.name.localeCompare(b.name);
    const va = a.metrics[key as keyof RowMetrics];
    const vb = b.metrics[key as keyof RowMetrics];
    // rows without a value (ratio with no denominator) go last whichever way
    if (va == null || vb == null) return va == null ? (vb == null ? a.name.localeCompare(b.name) : 1) : -1;
    return sign * (va - vb) || a.name.localeCompare(b.name);
  });
}

const statusTone: Record<string, string> = {
  ACTIVE: "text-emerald-400",
  PAUSED: "text-zinc-400",
  ARCHIVED: "text-zinc-500",
  DELETED: "text-zinc-600",
};

export function CampaignTable({ rows, totals, currency }: { rows: CampaignView[]; totals: RowMetrics; currency: string }) {
  const [params] = useSearchParams();
  const sort = params.get("sort");
  const dir = params.get("dir");
  const q = params.get("q");
  const shown = sortCampaigns(rows, sort, dir, q);
  const activeKey = sort && SORTABLE.has(sort) ? sort : "spend";
  const activeDir = dir ?? (activeKey === "name" || activeKey === "status" ? "asc" : "desc");

  const hrefFor = (key: string) => {
    const next = new URLSearchParams(params);
    const nextDir = activeKey === key ? (activeDir === "asc" ? "desc" : "asc") : key === "name" || key === "status" ? "asc" : "desc";
    next.set("sort", key);
    next.set("dir", nextDir);
    return `?${next.toString()}#campaigns`;
  };
  const header = (key: string, label: string, numeric: boolean) => (
    <th
      key={key}
      scope="col"
      aria-sort={activeKey === key ? (activeDir === "asc" ? "ascending" : "descending") : undefined}
      className={cx("whitespace-nowrap px-3 py-2 font-medium", numeric ? "text-right" : "text-left", key === "name" && "sticky left-0 z-10 bg-zinc-900")}
    >
      <Link to={hrefFor(key)} preventScrollReset replace className="inline-flex items-center gap-1 rounded hover:text-zinc-100" data-sort={key}>
        {label}
        <span aria-hidden="true" className="text-zinc-600">{activeKey === key ? (activeDir === "asc" ? "↑" : "↓") : ""}</span>
      </Link>
    </th>
  );
  const keep = [...params.entries()].filter(([k]) => k !== "q");
  const carried = useCarriedQuery();
  return (
    <div id="campaigns">
      <Form method="get" preventScrollReset replace className="mb-3 flex max-w-sm gap-2" role="search">
        {keep.map(([k, v]) => (
          <input key={k} type="hidden" name={k} value={v} />
        ))}
        <label htmlFor={`campaign-search-${currency}`} className="sr-only">Search campaigns</label>
        <input
          id={`campaign-search-${currency}`}
          type="search"
          name="q"
          defaultValue={q ?? ""}
          placeholder="Search campaigns"
          className="block w-full rounded-lg border border-zinc-700 bg-zinc-900 px-3 py-1.5 text-sm text-zinc-100 placeholder:text-zinc-500"
        />
        <button type="submit" className="rounded-lg border border-zinc-700 px-3 text-sm text-zinc-300 hover:bg-zinc-800">Search</button>
      </Form>
      <div className="relative overflow-x-auto rounded-xl border border-zinc-800">
        <table className="min-w-full text-sm" data-testid={`campaign-table-${currency}`}>
          <thead className="border-b border-zinc-800 bg-zinc-900 text-xs text-zinc-400">
            <tr>
              {header("name", "Campaign", false)}
              {header("status", "Status", false)}
              {TABLE_METRICS.map((m) => header(m, METRIC_BY_NAME[m].label, true))}
            </tr>
          </thead>
          <tbody className="divide-y divide-zinc-800/70">
            {shown.length === 0 ? (
              <tr>
                <td colSpan={TABLE_METRICS.length + 2} className="px-3 py-6 text-center text-zinc-500">
                  {q ? `No campaign matches “${q}”.` : "No campaign delivered in this range."}
                </td>
              </tr>
            ) : (
              shown.map((r) => (
                <tr key={r.id} className="hover:bg-zinc-900/60" data-campaign={r.id}>
                  <th scope="row" className="sticky left-0 max-w-[16rem] truncate bg-zinc-950 px-3 py-2 text-left font-normal text-zinc-100" title={r.name}>
                    {/* drill down to the campaign's ad sets, keeping range, comparison and account */}
                    <Link to={`campaigns/${r.id}${carried}`} className="hover:text-blue-300 hover:underline">{r.name}</Link>
                  </th>
                  <td className={cx("whitespace-nowrap px-3 py-2 text-xs", statusTone[r.status ?? ""] ?? "text-zinc-400")}>{r.status?.toLowerCase() ?? "—"}</td>
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
              <th scope="row" className="sticky left-0 bg-zinc-900 px-3 py-2 text-left">Total</th>
              <td className="px-3 py-2 text-xs text-zinc-500">{rows.length} campaigns</td>
              {TABLE_METRICS.map((m) => (
                <td key={m} className="whitespace-nowrap px-3 py-2 text-right tabular-nums" data-total={m} data-value={totals[m] ?? ""}>
                  {formatMetric(m, totals[m], currency)}
                </td>
              ))}
            </tr>
          </tfoot>
        </table>
      </div>
      {q ? <p className="mt-2 text-xs text-zinc-500">The total row covers every campaign, not only the matches.</p> : null}
    </div>
  );
}
