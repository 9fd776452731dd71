/**
 * The sync concern's start-up hooks for app/.server/runtime.ts:
 * - demo mode: the built-in Meta emulator in-process (EMULATOR_PORT, default 4010, or a random port
 *   when taken) with its URL and app credentials put into the environment before it is parsed;
 * - demo mode: the demo workspaces connected to it and their backfills queued (in the background, so
 *   the server answers /login at once);
 * - the queue worker: always for `spendlane worker`, and in the web process on the embedded engine
 *   (or when RUN_WORKER=1), so `npm start` alone keeps data fresh.
 */
import { logger } from "../logger";
import { startWorker, stopWorker } from "./scheduler";

const log = logger.child({ module: "sync" });

export async function startDemoEmulator(): Promise<{ url: string; close: () => Promise<void> }> {
  // Imported lazily: only demo mode loads the emulator.
  const { startEmulator, ACCESS_TIER_LIMITS, DEFAULT_APP_ID, DEFAULT_APP_SECRET } = await import("../../../emulator/meta-graph/index");
  const wanted = Number(process.env.EMULATOR_PORT || 4010);
  // The demo plays an agency's production app, which has Meta's Full (standard) access tier.
  const limits = ACCESS_TIER_LIMITS.standard_access;
  let running;
  try {
    running = await startEmulator({ port: wanted, seed: "demo", limits });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
    log.warn({ port: wanted }, "emulator port taken; using a random port");
    running = await startEmulator({ port: 0, seed: "demo", limits });
  }
  process.env.META_GRAPH_URL = running.url;
  process.env.META_WEB_URL = running.url;
  process.env.META_APP_ID ??= DEFAULT_APP_ID;
  process.env.META_APP_SECRET ??= DEFAULT_APP_SECRET;
  log.info({ url: running.url }, "demo Meta emulator started");
  return { url: running.url, close: running.close };
}

export async function startSyncServices(opts: {
  role: "web" | "worker";
  engine: "postgres" | "pglite";
  runWorker?: boolean;
  emulatorUrl?: string;
}): Promise<{ banner: string[]; stop: (timeoutMs?: number) => Promise<void> }> {
  const banner: string[] = [];
  const worker = opts.role === "worker" || (opts.runWorker ?? opts.engine === "pglite");
  let connecting: Promise<unknown> | undefined;
  if (opts.emulatorUrl) {
    banner.push(`Meta emulator (demo data): ${opts.emulatorUrl}`);
    // In the background: connecting and queueing take a few seconds; the server serves meanwhile.
    connecting = (async () => {
      const { seedDemo } = await import("../demo/seed");
      const { connectDemo } = await import("../demo/connect");
      const seeded = await seedDemo();
      const { asService } = await import("../db/connection");
      const [owner] = await asService((tx) => tx<{ user_id: string }[]>`
        select user_id from public.agency_members where agency_id = ${seeded.agencyId} and role = 'owner' limit 1`);
      await connectDemo({ emulatorUrl: opts.emulatorUrl!, workspaceIds: seeded.workspaceIds, ownerUserId: owner?.user_id ?? null });
      // The worker starts after the demo tokens are fresh, so no job runs with a stale one.
      if (worker) await startWorker();
    })().catch((err) => log.error({ err }, "demo connection failed; the demo shows no data until the next start"));
  } else if (worker) {
    await startWorker();
  }
  if (worker) banner.push("Sync worker: running in this process");
  return {
    banner,
    async stop(timeoutMs?: number) {
      await connecting;
      await stopWorker(timeoutMs);
    },
  };
}
