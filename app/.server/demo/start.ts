/**
 * Demo mode's start-up hooks for app/.server/runtime.ts:
 * - the built-in Meta emulator in-process (EMULATOR_PORT, default 4010, or a random port when taken)
 *   with its URL and app credentials put into the environment before it is parsed;
 * - the demo workspaces (seeded once by the runtime) connected to it and their backfills queued, in
 *   the background so the server answers /login at once.
 */
import { asService } from "../db/connection";
import { logger } from "../logger";
import { connectDemo } from "./connect";

const log = logger.child({ module: "demo" });
/** the demo's hand-written account mix (emulator/meta-graph/demo-world.ts) */
const DEMO_WORLD = { profile: "demo" } as const;

export async function startDemoEmulator(): Promise<{ url: string; close: () => Promise<void> }> {
  // Imported lazily: only demo mode loads the emulator.
  const { startEmulator, ACCESS_TIER_LIMITS, DEFAULT_APP_ID, DEFAULT_APP_SECRET } = await import("../../../emulator/meta-graph/index");
  const wanted = Number(process.env.EMULATOR_PORT || 4010);
  // The demo plays an agency's production app, which has Meta's Full (standard) access tier.
  const limits = ACCESS_TIER_LIMITS.standard_access;
  let running;
  try {
    running = await startEmulator({ port: wanted, seed: "demo", world: DEMO_WORLD, limits });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
    log.warn({ port: wanted }, "emulator port taken; using a random port");
    running = await startEmulator({ port: 0, seed: "demo", world: DEMO_WORLD, limits });
  }
  process.env.META_GRAPH_URL = running.url;
  process.env.META_WEB_URL = running.url;
  process.env.META_APP_ID ??= DEFAULT_APP_ID;
  process.env.META_APP_SECRET ??= DEFAULT_APP_SECRET;
  log.info({ url: running.url }, "demo Meta emulator started");
  return { url: running.url, close: running.close };
}

/**
 * Connects the seeded demo workspaces to the emulator with fresh tokens and queues their backfills.
 * Never throws: a failure is logged and the demo shows no data until the next start.
 */
export async function connectDemoWorkspaces(opts: { emulatorUrl: string; agencyId: string; workspaceIds: Record<string, string> }): Promise<void> {
  try {
    const [owner] = await asService(
      (tx) => tx<{ user_id: string }[]>`
      select user_id from public.agency_members where agency_id = ${opts.agencyId} and role = 'owner' limit 1`,
    );
    await connectDemo({ emulatorUrl: opts.emulatorUrl, workspaceIds: opts.workspaceIds, ownerUserId: owner?.user_id ?? null });
  } catch (err) {
    log.error({ err }, "demo connection failed; the demo shows no data until the next start");
  }
}
