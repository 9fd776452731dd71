import { Card, CardTitle } from "~/components/ui";
import { formatMetric, formatPercent } from "~/utils/format";
import type { RowMetrics } from "./campaign-table";

export interface BreakdownGroup {
  currency: string;
  totals: RowMetrics;
  rows: { key: Record<string, string>; metrics: RowMetrics }[];
}

const share = (v: number | null, total: number) => (total > 0 ? ((v ?? 0) / total) * 100 : 0);
const label = (s: string) => s.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
const GENDER_COLORS: Record<string, string> = { female: "bg-fuchsia-400", male: "bg-sky-400" };

/**
 * The four audience panels of a scope. Bars and tables are plain HTML (no chart library). Names of
 * platforms, positions and devices are shown as Meta sends them, so a new platform simply appears.
 */
export function BreakdownPanels({
  data,
  scopeTotal,
  csvHref,
}: {
  data: Record<string, BreakdownGroup[]>;
  scopeTotal: RowMetrics | null;
  csvHref: (kind: string) => string;
}) {
  const one = (k: string) => data[k]?.[0] ?? null;
  return (
    <section aria-labelledby="audience" className="space-y-3">
      <h3 id="audience" className="text-base font-semibold text-zinc-100">
        Audience
      </h3>
      <div className="grid min-w-0 gap-4 lg:grid-cols-2">
        <Panel title="Age × gender" csv={csvHref("age_gender")} kind="age_gender">
          <AgeGender g={one("age_gender")} scopeTotal={scopeTotal} />
        </Panel>
        <Panel title="Countries" csv={csvHref("country")} kind="country">
          <ShareTable g={one("country")} column="country" top={10} />
        </Panel>
        <Panel title="Devices" csv={csvHref("device")} kind="device">
          <ShareTable g={one("device")} column="device_platform" />
        </Panel>
        <Panel title="Placements" csv={csvHref("placement")} kind="placement">
          <ShareTable g={one("placement")} column="platform_position" group="publisher_platform" />
        </Panel>
      </div>
    </section>
  );
}

function Panel({ title, csv, kind, children }: { title: string; csv: string; kind: string; children: React.ReactNode }) {
  return (
    <Card className="min-w-0" data-breakdown={kind}>
      <div className="mb-3 flex items-baseline justify-between gap-2">
        <CardTitle>{title}</CardTitle>
        <a href={csv} download className="text-xs text-blue-400 hover:underline" data-export={kind}>
          CSV
        </a>
      </div>
      {children}
    </Card>
  );
}

function Empty() {
  return (
    <p className="text-sm text-zinc-500">
      No audience data for this range yet: breakdowns arrive after the headline numbers and are refreshed with the daily re-read.
    </p>
  );
}

/** Grouped bars: one group per age band, one bar per gender, by spend. */
function AgeGender({ g, scopeTotal }: { g: BreakdownGroup | null; scopeTotal: RowMetrics | null }) {
  if (!g || g.rows.length === 0) return <Empty />;
  const ages = [...new Set(g.rows.map((r) => r.key.age!))].sort((a, b) => (a === "Unknown" ? 1 : b === "Unknown" ? -1 : a.localeCompare(b)));
  const genders = [...new Set(g.rows.map((r) => r.key.gender!))].sort();
  const max = Math.max(...g.rows.map((r) => r.metrics.spend ?? 0), 0);
  const covered = scopeTotal?.impressions ? (g.totals.impressions ?? 0) / scopeTotal.impressions : null;
  return (
    <div>
      <ul className="space-y-2" aria-label="Spend by age and gender">
        {ages.map((age) => (
          <li key={age} className="grid grid-cols-[4.5rem_1fr] items-center gap-2 text-xs">
            <span className="text-zinc-400">{age}</span>
            <div className="space-y-0.5">
              {genders.map((gender) => {
                const r = g.rows.find((x) => x.key.age === age && x.key.gender === gender);
                const v = r?.metrics.spend ?? 0;
                return (
                  <div key={gender} className="flex items-center gap-2" data-bucket={`${age}/${gender}`} data-value={v}>
                    <div className="h-2 flex-1 overflow-hidden rounded-full bg-zinc-800">
                      <div className={`h-full rounded-full ${GENDER_COLORS[gender] ?? "bg-zinc-500"}`} style={{ width: `${max > 0 ? (v / max) * 100 : 0}%` }} />
                    </div>
                    <span className="w-20 shrink-0 text-right tabular-nums text-zinc-300">{formatMetric("spend", v, g.currency, { compact: true })}</span>
                  </div>
                );
              })}
            </div>
          </li>
        ))}
      </ul>
      <p className="mt-3 flex flex-wrap gap-3 text-xs text-zinc-500">
        {genders.map((x) => (
          <span key={x} className="inline-flex items-center gap-1">
            <span className={`inline-block h-2 w-2 rounded-full ${GENDER_COLORS[x] ?? "bg-zinc-500"}`} />
            {label(x)}
          </span>
        ))}
      </p>
      {covered != null && covered < 0.9995 ? (
        <p className="mt-2 text-xs text-zinc-500">Meta leaves out small audiences: these buckets cover {formatPercent(covered * 100)} of the impressions.</p>
      ) : null}
    </div>
  );
}

/** Share table: rows by spend, the top `top` and the rest as one row; optional grouping column. */
function ShareTable({ g, column, group, top }: { g: BreakdownGroup | null; column: string; group?: string; top?: number }) {
  if (!g || g.rows.length === 0) return <Empty />;
  const total = g.totals.spend ?? 0;
  const sorted = [...g.rows].sort((a, b) => (b.metrics.spend ?? 0) - (a.metrics.spend ?? 0));
  const shown = top && sorted.length > top + 1 ? sorted.slice(0, top) : sorted;
  const rest = sorted.slice(shown.length);
  const restSpend = rest.reduce((s, r) => s + (r.metrics.spend ?? 0), 0);
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-xs">
        <thead className="text-zinc-500">
          <tr>
            {group ? (
              <th scope="col" className="py-1 text-left font-medium">
                Platform
              </th>
            ) : null}
            <th scope="col" className="py-1 text-left font-medium">
              {label(column)}
            </th>
            <th scope="col" className="py-1 text-right font-medium">
              Spend
            </th>
            <th scope="col" className="py-1 text-right font-medium">
              Share
            </th>
            <th scope="col" className="hidden py-1 text-right font-medium sm:table-cell">
              CTR
            </th>
            <th scope="col" className="py-1 text-right font-medium">
              CPA
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-zinc-800/70">
          {shown.map((r) => (
            <tr key={Object.values(r.key).join("/")} data-bucket={Object.values(r.key).join("/")} data-value={r.metrics.spend ?? ""}>
              {group ? <td className="py-1 text-zinc-400">{label(r.key[group] ?? "")}</td> : null}
              <td className="py-1 text-zinc-200">{column === "country" ? r.key[column] : label(r.key[column] ?? "")}</td>
              <td className="py-1 text-right tabular-nums text-zinc-300">{formatMetric("spend", r.metrics.spend, g.currency)}</td>
              <td className="py-1 text-right tabular-nums text-zinc-400">{formatPercent(share(r.metrics.spend, total))}</td>
              <td className="hidden py-1 text-right tabular-nums text-zinc-400 sm:table-cell">{formatMetric("ctr", r.metrics.ctr, g.currency)}</td>
              <td className="py-1 text-right tabular-nums text-zinc-400">{formatMetric("cpa", r.metrics.cpa, g.currency)}</td>
            </tr>
          ))}
          {rest.length ? (
            <tr data-bucket="rest" data-value={restSpend}>
              {group ? <td /> : null}
              <td className="py-1 text-zinc-400">Other ({rest.length})</td>
              <td className="py-1 text-right tabular-nums text-zinc-300">{formatMetric("spend", restSpend, g.currency)}</td>
              <td className="py-1 text-right tabular-nums text-zinc-400">{formatPercent(share(restSpend, total))}</td>
              <td className="hidden sm:table-cell" />
              <td />
            </tr>
          ) : null}
        </tbody>
      </table>
    </div>
  );
}
