/**
 * Emulator insights throughput: measures insights reads per second over HTTP on this machine.
 * Run: npx tsx bench/emulator-insights.ts   → writes bench/results/emulator-insights.json
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import os from "node:os";
import { startEmulator } from "../emulator/meta-graph/index";

const here = dirname(fileURLToPath(import.meta.url));

/** Turns a date_preset into an equivalent-length time_range shifted back by a varying number of days, so that
 * every read is computed (the emulator caches recent result sets for paging). */
function shifted(params: Record<string, string>, i: number): Record<string, string> {
  const len = Number(/last_(\d+)d/.exec(params.date_preset ?? "")?.[1] ?? 7);
  const until = new Date(Date.UTC(2026, 10, 19) - (i % 300) * 86400000);
  const since = new Date(until.getTime() - (len - 1) * 86400000);
  const d = (x: Date) => x.toISOString().slice(0, 10);
  return { time_range: JSON.stringify({ since: d(since), until: d(until) }) };
}

async function main() {
  const t0 = performance.now();
  const em = await startEmulator({
    seed: "bench",
    now: "2026-11-20T20:00:00Z",
    requireAppsecretProof: false,
    limits: { accountScore: { max: 1e9 }, buc: { ads_insights: 1e9, ads_management: 1e9 }, app: { maxCalls: 1e9 }, burst: { perSecond: 0 } },
  });
  const startMs = performance.now() - t0;
  const { access_token } = await (await fetch(`${em.url}/__emulator/tokens`, { method: "POST", body: "{}" })).json();
  const accounts = ["act_101000000000001", "act_101000000000002", "act_101000000000003", "act_101000000000005"];

  const scenarios: Array<{ name: string; params: Record<string, string> }> = [
    { name: "account, last_30d, all_days", params: { date_preset: "last_30d", fields: "spend,impressions,clicks,reach,ctr,cpc,cpm" } },
    {
      name: "campaign level, last_7d, daily",
      params: {
        level: "campaign",
        date_preset: "last_7d",
        time_increment: "1",
        fields: "campaign_id,spend,impressions,clicks,reach,actions,action_values",
        limit: "500",
      },
    },
    {
      name: "campaign level, last_28d, daily, publisher_platform",
      params: {
        level: "campaign",
        date_preset: "last_28d",
        time_increment: "1",
        breakdowns: "publisher_platform",
        fields: "campaign_id,spend,impressions,reach,actions",
        limit: "500",
      },
    },
  ];
  const durationMs = Number(process.env.BENCH_MS ?? 3000);
  const concurrency = 8;
  const results: Array<Record<string, unknown>> = [];
  for (const s of scenarios) {
    let n = 0;
    let rows = 0;
    const end = performance.now() + durationMs;
    const worker = async (w: number) => {
      let i = w;
      while (performance.now() < end) {
        const act = accounts[i++ % accounts.length]!;
        const qs = new URLSearchParams({ ...s.params, ...shifted(s.params, i), access_token });
        const r = await fetch(`${em.url}/v26.0/${act}/insights?${qs}`);
        const body = await r.json();
        if (r.status !== 200) throw new Error(JSON.stringify(body));
        rows += body.data.length;
        n++;
      }
    };
    const t = performance.now();
    await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
    const secs = (performance.now() - t) / 1000;
    results.push({ scenario: s.name, requests: n, readsPerSecond: Math.round(n / secs), rowsPerRead: Math.round(rows / n) });
    console.log(`${s.name}: ${Math.round(n / secs)} reads/s (${Math.round(rows / n)} rows/read)`);
  }
  // in-process (no HTTP): the emulator's own cost per read
  const inProc: Array<Record<string, unknown>> = [];
  for (const s of scenarios) {
    let n = 0;
    const t = performance.now();
    while (performance.now() - t < durationMs / 2) {
      const r = await em.emulator.graph({
        method: "GET",
        version: "v26.0",
        path: [accounts[n % accounts.length]!, "insights"],
        params: { ...s.params, ...shifted(s.params, n + 1000), access_token },
        headers: {},
        baseUrl: em.url,
      });
      if (r.status !== 200) throw new Error(JSON.stringify(r.body));
      n++;
    }
    const rps = Math.round(n / ((performance.now() - t) / 1000));
    inProc.push({ scenario: s.name, readsPerSecond: rps });
    console.log(`in-process ${s.name}: ${rps} reads/s`);
  }
  await em.close();
  const out = {
    loadAverage1m: os.loadavg()[0],
    inProcess: inProc,
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    concurrency,
    durationMsPerScenario: durationMs,
    startupMs: Math.round(startMs * 10) / 10,
    results,
  };
  const file = join(here, "results", "emulator-insights.json");
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(out, null, 2) + "\n");
  console.log(`startup ${out.startupMs} ms; wrote ${file}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
