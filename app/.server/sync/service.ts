/**
 * The Node wiring of the sync core: the shared pool, Graph clients from the environment with the
 * process-wide rate governor, and the Meta connections module for tokens and re-auth flags.
 * (The Deno edge function wires the same core with its own dependencies.)
 */
import { sql } from "../db/connection";
import { graphClientFromEnv } from "../meta/graph";
import { markNeedsReauth } from "../meta/connection-client";
import { getConnectionToken } from "../meta/token-store";
import { logger } from "../logger";
import { evaluateAfterSync } from "../alerts/evaluate";
import { env } from "../env";
import { runSync, type SyncDeps, type SyncRequest, type SyncResult } from "./runner";
import { META_CDN_HOSTS } from "./creatives";

export function nodeSyncDeps(overrides: Partial<SyncDeps> = {}): SyncDeps {
  return {
    sql: sql(),
    graphFor: (token) => graphClientFromEnv(token),
    getToken: (tx, connectionId) => getConnectionToken(tx, connectionId),
    markNeedsReauth: (tx, connectionId, reason) => markNeedsReauth(tx, connectionId, reason),
    log: logger.child({ module: "sync" }),
    // alerts of the workspace are evaluated after every committed run (ADR 0100)
    afterRun: (info) => evaluateAfterSync(info),
    leaseMs: env().SYNC_LEASE_SECONDS * 1000,
    // Meta's CDN, plus the Graph origin itself when that is the emulator (demo, tests)
    creativeImages: { allowedHosts: [...META_CDN_HOSTS, new URL(env().META_GRAPH_URL).host] },
    // the embedded engine serves pages over the same single connection (see SyncDeps.writeBatchRows)
    writeBatchRows: env().DATABASE_URL ? 5000 : 1000,
    ...overrides,
  };
}

/** Runs one sync in this process now (CLI, tests); the worker calls the same through the queue. */
export function syncNow(req: SyncRequest, overrides: Partial<SyncDeps> = {}): Promise<SyncResult> {
  return runSync(nodeSyncDeps(overrides), req);
}
