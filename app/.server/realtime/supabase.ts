/**
 * Supabase Realtime (Broadcast from the database) as the second live-update transport (ADR 0050,
 * ADR 0110). The database side lives in migration 0110: `publishEvent` calls
 * private.broadcast_workspace_event, which forwards to realtime.send only where Supabase's realtime
 * schema exists. This module holds what the app process does about it.
 */
import type { Sql } from "../db/connection";

/**
 * Installs the realtime.messages select policy when the database is Supabase-shaped and reports
 * whether it is. Called at boot after migrations: Supabase's Realtime service creates its schema
 * itself, possibly after our migrations ran on a fresh project, so the migration alone is not enough.
 * False (and nothing done) on plain PostgreSQL and PGlite, or before migration 0110 is applied.
 */
export async function installRealtimePolicies(sql: Sql): Promise<boolean> {
  const [fn] = await sql<{ present: boolean }[]>`
    select to_regprocedure('private.install_realtime_policies()') is not null as present`;
  if (!fn?.present) return false;
  const [row] = await sql<{ installed: boolean }[]>`select private.install_realtime_policies() as installed`;
  return row?.installed === true;
}
