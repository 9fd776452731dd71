import { Form, Link, useSearchParams } from "@remix-run/react";
import { useCallback, useEffect, useRef, useState } from "react";
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
  "spend",
  "impressions",
  "clicks",
  "link_clicks",
  "ctr",
  "cpc",
  "cpm",
  "conversions",
  "cpa",
  "conversion_value",
  "roas",
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
  DELETED: "text-zinc-500",
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
  const header = (key: string, label: string, numeric: boolean, extra?: string) => (
    <th
      key={key}
      scope="col"
      aria-sort={activeKey === key ? (activeDir === "asc" ? "ascending" : "descending") : undefined}
      className={cx("whitespace-nowrap px-3 py-2 font-medium", numeric ? "text-right" : "text-left", extra)}
    >
      <Link to={hrefFor(key)} preventScrollReset replace className="inline-flex items-center gap-1 rounded hover:text-zinc-100" data-sort={key}>
        {label}
        <span aria-hidden="true" className="text-zinc-400">
          {activeKey === key ? (activeDir === "asc" ? "↑" : "↓") : ""}
        </span>
      </Link>
    </th>
  );
  const keep = [...params.entries()].filter(([k]) => k !== "q");
  const carried = useCarriedQuery();
  const shadows = useScrollShadows();
  // name and spend stay in view while the other columns scroll sideways (sticky, with a shadow edge)
  const stickyName = "sticky left-0 z-10 w-[var(--name-col)] min-w-[var(--name-col)] max-w-[var(--name-col)]";
  const stickySpend = "sticky left-[var(--name-col)] z-10 shadow-[6px_0_6px_-6px_rgba(0,0,0,0.9)]";
  return (
    <div id="campaigns">
      <Form method="get" preventScrollReset replace className="mb-3 flex max-w-sm gap-2" role="search">
        {keep.map(([k, v]) => (
          <input key={k} type="hidden" name={k} value={v} />
        ))}
        <label htmlFor={`campaign-search-${currency}`} className="sr-only">
          Search campaigns
        </label>
        <input
          id={`campaign-search-${currency}`}
          type="search"
          name="q"
          defaultValue={q ?? ""}
          placeholder="Search campaigns"
          className="block w-full rounded-lg border border-zinc-700 bg-zinc-900 px-3 py-1.5 text-sm text-zinc-100 placeholder:text-zinc-500"
        />
        <button type="submit" className="rounded-lg border border-zinc-700 px-3 text-sm text-zinc-300 hover:bg-zinc-800">
          Search
        </button>
      </Form>
      <div className="relative rounded-xl border border-zinc-800 [--name-col:8.5rem] sm:[--name-col:14rem]">
        <div ref={shadows.ref} onScroll={shadows.update} className="overflow-x-auto rounded-xl" data-scroll-container>
          <table className="min-w-full text-sm" data-testid={`campaign-table-${currency}`}>
            <thead className="border-b border-zinc-800 bg-zinc-900 text-xs text-zinc-400">
              <tr>
                {header("name", "Campaign", false, cx(stickyName, "bg-zinc-900"))}
                {header("spend", METRIC_BY_NAME.spend.label, true, cx(stickySpend, "bg-zinc-900"))}
                {header("status", "Status", false)}
                {TABLE_METRICS.filter((m) => m !== "spend").map((m) => header(m, METRIC_BY_NAME[m].label, true))}
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-800/70">
              {shown.length === 0 ? (
                <tr>
                  <td colSpan={TABLE_METRICS.length + 2} className="px-3 py-6 text-center text-zinc-400">
                    {q ? `No campaign matches “${q}”.` : "No campaign delivered in this range."}
                  </td>
                </tr>
              ) : (
                shown.map((r) => (
                  <tr key={r.id} className="hover:bg-zinc-900/60" data-campaign={r.id}>
                    <th scope="row" className={cx(stickyName, "truncate bg-zinc-950 px-3 py-2 text-left font-normal text-zinc-100")} title={r.name}>
                      {/* drill down to the campaign's ad sets, keeping range, comparison and account */}
                      <Link to={`campaigns/${r.id}${carried}`} className="hover:text-blue-300 hover:underline">
                        {r.name}
                      </Link>
                    </th>
                    {TABLE_METRICS.map((m) => {
                      const cell = (
                        <td
                          key={m}
                          className={cx("whitespace-nowrap px-3 py-2 text-right tabular-nums text-zinc-300", m === "spend" && cx(stickySpend, "bg-zinc-950"))}
                          data-value={r.metrics[m] ?? ""}
                          data-col={m}
                        >
                          {formatMetric(m, r.metrics[m], currency)}
                        </td>
                      );
                      return m === "spend"
                        ? [
                            cell,
                            <td key="status" className={cx("whitespace-nowrap px-3 py-2 text-xs", statusTone[r.status ?? ""] ?? "text-zinc-400")}>
                              {r.status?.toLowerCase() ?? "—"}
                            </td>,
                          ]
                        : cell;
                    })}
                  </tr>
                ))
              )}
            </tbody>
            <tfoot className="border-t border-zinc-700 bg-zinc-900 font-medium text-zinc-100">
              <tr>
                {/* a search narrows the rows, not the total: say so on the row itself */}
                <th scope="row" className={cx(stickyName, "bg-zinc-900 px-3 py-2 text-left")} data-total-label>
                  {q ? `All ${rows.length} campaigns` : "Total"}
                </th>
                {TABLE_METRICS.map((m) => {
                  const cell = (
                    <td
                      key={m}
                      className={cx("whitespace-nowrap px-3 py-2 text-right tabular-nums", m === "spend" && cx(stickySpend, "bg-zinc-900"))}
                      data-total={m}
                      data-value={totals[m] ?? ""}
                    >
                      {formatMetric(m, totals[m], currency)}
                    </td>
                  );
                  return m === "spend"
                    ? [
                        cell,
                        <td key="count" className="whitespace-nowrap px-3 py-2 text-xs text-zinc-400">
                          {rows.length} campaigns
                        </td>,
                      ]
                    : cell;
                })}
              </tr>
            </tfoot>
          </table>
        </div>
        {/* scroll cues: a shade on the side that has more columns */}
        <div
          aria-hidden="true"
          data-scroll-shadow="right"
          className={cx(
            "pointer-events-none absolute inset-y-0 right-0 w-8 rounded-r-xl bg-gradient-to-l from-black/70 to-transparent transition-opacity",
            shadows.right ? "opacity-100" : "opacity-0",
          )}
        />
      </div>
      {q ? <p className="mt-2 text-xs text-zinc-400">The last row totals all {rows.length} campaigns, not only the matches.</p> : null}
    </div>
  );
}

/** Whether a horizontally scrolling box has more content to its right (re-measured on scroll and resize). */
function useScrollShadows() {
  const ref = useRef<HTMLDivElement>(null);
  const [right, setRight] = useState(false);
  const update = useCallback(() => {
    const el = ref.current;
    if (el) setRight(el.scrollLeft + el.clientWidth < el.scrollWidth - 1);
  }, []);
  useEffect(() => {
    update();
    window.addEventListener("resize", update);
    return () => window.removeEventListener("resize", update);
  }, [update]);
  return { ref, right, update };
}
