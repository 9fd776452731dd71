/**
 * The scrape-time series of /metrics: read when Prometheus asks, from this process (live streams,
 * the Meta rate governor, the reporting cache) and from the database (queue depth and age, sync
 * staleness). Registered once per process by the runtime.
 */
import { sql } from "../db/connection";
import { processGovernor } from "../meta/graph";
import { cacheStats } from "../reporting/cache";
import { streamStats } from "../realtime/sse";
import { gaugeFrom, labelledGaugeFrom } from "./metrics";

let registered = false;

export function registerCollectors(): void {
  if (registered) return;
  registered = true;
  gaugeFrom("spendlane_sse_streams_open", "Live-update (SSE) streams open in this process", () => streamStats().open);
  labelledGaugeFrom(
    "spendlane_meta_governor_utilisation_percent",
    "Meta usage last seen by this process's rate governor (app, and the busiest ad account)",
    ["scope"],
    async () => {
      const u = processGovernor().utilisation();
      return [
        { labels: { scope: "app" }, value: u.app },
        { labels: { scope: "max_account" }, value: u.maxAccount },
      ];
    },
  );
  labelledGaugeFrom(
    "spendlane_report_cache_lookups",
    "Reporting cache lookups in this process by result (hit ratio = hit / (hit + miss))",
    ["result"],
    async () => {
      const s = cacheStats();
      return [
        { labels: { result: "hit" }, value: s.hits },
        { labels: { result: "miss" }, value: s.misses },
      ];
    },
  );
  labelledGaugeFrom("spendlane_queue_jobs", "Jobs waiting or running in the pg-boss queues, by queue and state", ["queue", "state"], async () => {
    const rows = await queueRows();
    return rows.map((r) => ({ labels: { queue: r.name, state: r.state }, value: Number(r.n) }));
  });
  labelledGaugeFrom("spendlane_queue_oldest_age_seconds", "Age of the oldest waiting job per queue", ["queue"], async () => {
    const rows = (await queueRows()).filter((r) => r.state !== "active");
    const byQueue = new Map<string, number>();
    for (const r of rows) byQueue.set(r.name, Math.max(byQueue.get(r.name) ?? 0, Number(r.age)));
    return [...byQueue].map(([queue, value]) => ({ labels: { queue }, value }));
  });
  labelledGaugeFrom(
    "spendlane_sync_seconds_since_success",
    "Seconds since each connected ad account's last successful sync (or its attachment): max and p95 over accounts",
    ["stat"],
    async () => {
      const [r] = await sql()<{ max: string | null; p95: string | null }[]>`
      select max(s) as max, percentile_cont(0.95) within group (order by s) as p95 from (
        select extract(epoch from now() - coalesce(a.last_synced_at, a.created_at)) as s
        from public.ad_accounts a where a.connection_id is not null
      ) t`;
      return [
        { labels: { stat: "max" }, value: Number(r?.max ?? 0) },
        { labels: { stat: "p95" }, value: Number(r?.p95 ?? 0) },
      ];
    },
  );
}

interface QueueRow {
  name: string;
  state: string;
  n: string;
  age: string;
}

// Both queue gauges are collected in one scrape; one query serves them.
let queueRead: { at: number; rows: Promise<QueueRow[]> } | undefined;
function queueRows(): Promise<QueueRow[]> {
  if (queueRead && Date.now() - queueRead.at < 1_000) return queueRead.rows;
  const rows = (async () => {
    const [t] = await sql()<{ t: string | null }[]>`select to_regclass('pgboss.job')::text as t`;
    if (!t?.t) return [];
    return sql()<QueueRow[]>`
      select name, state::text as state, count(*)::text as n, extract(epoch from now() - min(created_on))::text as age
      from pgboss.job where state in ('created', 'retry', 'active') group by name, state`;
  })();
  queueRead = { at: Date.now(), rows };
  return rows;
}
