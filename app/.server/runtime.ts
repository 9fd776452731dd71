/**
 * Process start-up, shared by the web server, the worker and tests that need a whole runtime:
 * environment, database, demo emulator and data, background services. Each concern contributes a
 * start hook here; nothing else starts services.
 */
import type { Express } from "express";
import { loadEnv, type parseEnv } from "./env";
import { bootDatabase } from "./db/boot";
import { seedDemo, DEMO_LOGIN } from "./demo/seed";
import { logger } from "./logger";
import { configureBus, stopBus } from "./realtime/bus";
import { startWatchers, stopWatchers } from "./realtime/watchers";
import { connectDemoWorkspaces, startDemoEmulator } from "./demo/start";
import { startWorker, stopWorker } from "./sync/scheduler";
import { logVersionHealth } from "./meta/version-health";
import { registerReportWorker } from "./reports/jobs";
import { observeGraphCalls } from "./meta/graph";
import { recordMetaCall, startMetricsServer } from "./ops/metrics";
import { registerCollectors } from "./ops/collectors";

export interface Runtime {
  env: ReturnType<typeof parseEnv>;
  engine: "postgres" | "pglite";
  banner: string[];
  expressMounts: ((app: Express) => void)[];
  /** Stops background services and closes the database; `timeoutMs` bounds the wait for running jobs. */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Demo mode is explicit: SPENDLANE_DEMO=1 (which `npm start` sets by default on the embedded engine
 * without a Meta app, scripts/start.mjs). It is never inferred from a missing META_APP_ID: that turned
 * production deployments into demos with a public mail outbox (security review, finding 4).
 */
export function isDemo(raw: Record<string, string | undefined> = process.env): boolean {
  return ["1", "true", "yes"].includes((raw.SPENDLANE_DEMO ?? "").trim().toLowerCase());
}

export async function startRuntime(opts: { role: "web" | "worker" }): Promise<Runtime> {
  const stops: ((timeoutMs?: number) => Promise<void>)[] = [];
  const banner: string[] = [];
  const demo = isDemo();
  // The demo refreshes watched workspaces every 30 s (Meta's own cadence, 900 s, is the default).
  if (demo && !process.env.REFRESH_ACTIVE_SECONDS) process.env.REFRESH_ACTIVE_SECONDS = "30";
  // Demo: the built-in Meta emulator must be up (and its URL in the environment) before env is parsed.
  const emulator = demo && opts.role === "web" ? await startDemoEmulator() : undefined;
  if (emulator) stops.push(emulator.close);
  // Parsed once, here, after the emulator's URL is in place: env() answers with this from now on.
  const env = loadEnv();
  const db = await bootDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR });
  stops.push(() => db.close());
  logger.info({ engine: db.engine }, "database ready");
  // Meta API version health (ADR 0070): a warning from 60 days before expiry, an error after it.
  const versionWarning = logVersionHealth(env.META_API_VERSION, logger);
  if (versionWarning) banner.push(versionWarning);
  const seeded = emulator ? await seedDemo() : undefined;
  if (seeded) {
    banner.push(`Demo login: ${DEMO_LOGIN.email} / ${DEMO_LOGIN.password}`);
    logger.info({ created: seeded.created }, "demo data ready");
  }
  // Reports: their queues join whichever worker this process runs (below).
  registerReportWorker();
  // Sync: the queue worker, always for `spendlane worker` and in the web process on the embedded
  // engine (or RUN_WORKER=1), so `npm start` alone keeps data fresh.
  const worker = opts.role === "worker" || (env.RUN_WORKER ?? db.engine === "pglite");
  let connecting: Promise<void> | undefined;
  if (emulator && seeded) {
    banner.push(`Meta emulator (demo data): ${emulator.url}`);
    // Demo connections + backfills in the background (a few seconds; the server serves meanwhile).
    // The worker starts after the demo tokens are fresh, so no job runs with a stale one.
    connecting = connectDemoWorkspaces({ emulatorUrl: emulator.url, ...seeded })
      .then(() => (worker ? startWorker() : undefined))
      .catch((err) => logger.error({ err }, "the sync worker did not start"));
  } else if (worker) {
    await startWorker();
  }
  if (worker) banner.push("Sync worker: running in this process");
  stops.push(async (timeoutMs) => {
    await connecting;
    await stopWorker(timeoutMs);
  });
  if (opts.role === "web") {
    // Live updates: one LISTEN connection (or the PGlite poll) per process, started on the first
    // stream; watched workspaces are kept fresh every REFRESH_ACTIVE_SECONDS.
    configureBus({ url: db.url, mode: db.engine === "pglite" ? "poll" : "listen" });
    startWatchers({ refreshSeconds: env.REFRESH_ACTIVE_SECONDS });
    stops.push(async () => {
      stopWatchers();
      await stopBus();
    });
  }
  // Operations: Meta calls counted, scrape-time series registered, the internal metrics port.
  observeGraphCalls(recordMetaCall);
  registerCollectors();
  if (env.METRICS_PORT !== undefined) {
    const metricsServer = await startMetricsServer(env.METRICS_PORT, env.METRICS_HOST);
    stops.unshift(() => new Promise<void>((resolve) => metricsServer.close(() => resolve())));
    logger.info({ port: env.METRICS_PORT, host: env.METRICS_HOST }, "metrics listening");
  }
  return {
    env,
    engine: db.engine,
    banner,
    expressMounts: [],
    async stop(timeoutMs?: number) {
      const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
      for (const s of stops.reverse()) await s(deadline === undefined ? undefined : Math.max(1000, deadline - Date.now() - 500));
    },
  };
}
