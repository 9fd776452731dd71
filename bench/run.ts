/**
 * `npm run bench`: runs every benchmark in one go on this machine, prints a table and writes
 * bench/results.json (figures, machine, date, commit). Each benchmark is its own script that writes
 * bench/results/<name>.json; this runner only orders them, bounds their time and gathers results.
 * Benchmarks compare side by side within one run (ratios), because this machine is shared and noisy.
 *
 * Options: --only name[,name]   run a subset;  BENCH_DATABASE_URL  PostgreSQL server to use
 * (default postgres://postgres@127.0.0.1:5432/postgres; each benchmark creates its own database).
 */
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
process.chdir(root);

/** In the order they run; minutes = the most each may take before it is stopped. */
const BENCHMARKS: { name: string; script: string; minutes: number; args?: string[] }[] = [
  { name: "bundle-size", script: "bench/bundle-size.ts", minutes: 2 },
  { name: "emulator-insights", script: "bench/emulator-insights.ts", minutes: 1 },
  { name: "sync-ingest", script: "bench/sync-ingest.ts", minutes: 2 },
  // 12 campaigns: with ads and the four audience breakdowns (issue 14) a 50-campaign 13-month backfill takes ~10 min here
  { name: "api-calls", script: "bench/api-calls.ts", minutes: 5, args: ["--campaigns", "12"] },
  { name: "dashboard", script: "bench/dashboard.ts", minutes: 3 },
  { name: "load-workspace", script: "bench/load-workspace.ts", minutes: 2 },
  // seeds ~4 M fact rows (about 1.5 min on the shared 2-core machine), then 120 views cold and warm
  { name: "drilldown", script: "bench/drilldown.ts", minutes: 6 },
  { name: "live-latency", script: "bench/live-latency.ts", minutes: 4 },
  { name: "sse-streams", script: "bench/sse-streams.ts", minutes: 1.5 },
  // worker processes against the emulator at 200 ms per Graph call: 6 phases of 30 s (1,2,3,3,2,1 workers)
  { name: "fleet", script: "bench/fleet.ts", minutes: 7 },
  // a 200-campaign account's backfill; stops itself after 11 min (the full backfill is projected past that)
  { name: "firstNumbers", script: "bench/first-numbers.ts", minutes: 13 },
];

const only = (() => {
  const i = process.argv.indexOf("--only");
  return i > 0 ? new Set(process.argv[i + 1].split(",")) : undefined;
})();

function runOne(script: string, minutes: number, args: string[] = []): Promise<{ code: number | null; ms: number; timedOut: boolean }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, LOG_LEVEL: "silent" },
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, minutes * 60_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, ms: Date.now() - t0, timedOut });
    });
  });
}

/** Numeric leaves of a result, two levels deep, for the printed table. */
function headline(obj: unknown, prefix = "", depth = 0, out: [string, number][] = []): [string, number][] {
  if (obj && typeof obj === "object" && !Array.isArray(obj) && depth < 3) {
    for (const [k, v] of Object.entries(obj)) {
      if (["date", "node", "cpus", "loadAverage1m", "commit"].includes(k)) continue;
      if (typeof v === "number") out.push([prefix + k, v]);
      else headline(v, `${prefix}${k}.`, depth + 1, out);
    }
  }
  return out;
}

async function main() {
  const commit = (() => {
    try {
      return execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
    } catch {
      return "unknown";
    }
  })();
  const results: Record<string, unknown> = {};
  const status: Record<string, string> = {};
  const started = Date.now();
  for (const b of BENCHMARKS) {
    if (only && !only.has(b.name)) {
      // --only: the other benchmarks keep their last recorded figures, marked as such
      const last = path.join("bench/results", `${b.name}.json`);
      if (fs.existsSync(last)) {
        results[b.name] = JSON.parse(fs.readFileSync(last, "utf8"));
        status[b.name] = `not run now (kept from ${new Date(fs.statSync(last).mtimeMs).toISOString()})`;
      }
      continue;
    }
    if (!fs.existsSync(b.script)) {
      status[b.name] = "missing";
      continue;
    }
    process.stderr.write(`\n== ${b.name} (${b.script}) ==\n`);
    const outFile = path.join("bench/results", `${b.name}.json`);
    const before = fs.existsSync(outFile) ? fs.statSync(outFile).mtimeMs : 0;
    const r = await runOne(b.script, b.minutes, b.args);
    const fresh = fs.existsSync(outFile) && fs.statSync(outFile).mtimeMs > before;
    status[b.name] = r.timedOut ? `timed out after ${b.minutes} min` : r.code === 0 && fresh ? `ok (${(r.ms / 1000).toFixed(1)} s)` : `failed (exit ${r.code})`;
    if (fresh) results[b.name] = JSON.parse(fs.readFileSync(outFile, "utf8"));
  }
  const summary = {
    date: new Date().toISOString(),
    commit,
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memoryGB: +(os.totalmem() / 2 ** 30).toFixed(1),
      node: process.version,
      loadAverage1m: os.loadavg()[0],
    },
    durationSeconds: Math.round((Date.now() - started) / 1000),
    status,
    results,
  };
  fs.writeFileSync("bench/results.json", JSON.stringify(summary, null, 2) + "\n");

  const rows: string[] = [];
  for (const [name, st] of Object.entries(status)) {
    rows.push(`${name.padEnd(20)} ${st}`);
    if (st.startsWith("not run now")) continue;
    for (const [k, v] of headline(results[name]).slice(0, 14)) rows.push(`  ${k.padEnd(52)} ${Number.isInteger(v) ? v : v.toFixed(3)}`);
  }
  process.stdout.write(
    `\nBenchmarks on ${summary.machine.cpus} cores (${summary.machine.cpuModel}), commit ${commit}, ${summary.durationSeconds} s\n${rows.join("\n")}\n\nWrote bench/results.json\n`,
  );
  if (Object.values(status).some((s) => !s.startsWith("ok") && !s.startsWith("not run now"))) process.exitCode = 1;
}

void main();
