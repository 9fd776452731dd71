/**
 * Readiness (/readyz): may this process take traffic? Yes when the database answers, every migration
 * of this build is applied, the process is not shutting down, and (when this process runs a sync
 * worker) the worker reached the queue recently. Liveness (/healthz) needs none of that: it only
 * says the process serves HTTP, so a database outage never gets healthy processes restarted.
 */
import { sql } from "../db/connection";
import { pendingMigrations } from "../db/migrate";
import { workerHeartbeat } from "../sync/scheduler";
import { processLifecycle } from "./lifecycle";

export interface Readiness {
  ready: boolean;
  checks: { database: "ok" | "unreachable"; migrations: "ok" | "pending" | "unknown"; worker: "ok" | "stale" | "none"; shutdown: boolean };
  /** Names of pending migrations (file names only: nothing secret). */
  pending?: string[];
}

const DB_TIMEOUT_MS = 2_000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timed out")), ms).unref())]);
}

export async function readiness(): Promise<Readiness> {
  let database: Readiness["checks"]["database"] = "ok";
  let migrations: Readiness["checks"]["migrations"] = "unknown";
  let pending: string[] | undefined;
  try {
    pending = await withTimeout(pendingMigrations(sql()), DB_TIMEOUT_MS);
    migrations = pending.length ? "pending" : "ok";
  } catch {
    database = "unreachable";
  }
  const hb = workerHeartbeat();
  const worker = !hb.running ? "none" : hb.ageSeconds <= hb.staleAfterSeconds ? "ok" : "stale";
  const shutdown = processLifecycle()?.closing ?? false;
  const ready = database === "ok" && migrations === "ok" && worker !== "stale" && !shutdown;
  return { ready, checks: { database, migrations, worker, shutdown }, ...(pending?.length ? { pending } : {}) };
}
