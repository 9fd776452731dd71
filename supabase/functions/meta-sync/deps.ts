/**
 * The Deno wiring of the sync core (the same planner/runner/upsert modules the Node worker runs):
 * a Graph client without the Node env module, tokens read from the vault (Supabase Vault when
 * present), and the needs-reauth flag. Kept free of pino, pg-boss and Remix.
 */
import postgres from "postgres";
import type { TransactionSql } from "postgres";
import { GraphClient } from "../../../app/.server/meta/graph.ts";
import { RateGovernor } from "../../../app/.server/meta/governor.ts";
import { readSecret } from "../../../app/.server/meta/vault.ts";
import type { SyncDeps } from "../../../app/.server/sync/runner.ts";
import { DEFAULT_META_API_VERSION } from "../../../app/.server/meta/versions.ts";

export interface FunctionConfig {
  databaseUrl: string;
  graphUrl: string;
  apiVersion: string;
  appSecret?: string;
}

/** The function's own environment schema: read once, with clear errors for what is missing. */
export function configFromEnv(get: (k: string) => string | undefined = (k) => Deno.env.get(k)): FunctionConfig {
  const databaseUrl = get("SUPABASE_DB_URL") ?? get("DATABASE_URL");
  if (!databaseUrl) throw new Error("meta-sync needs SUPABASE_DB_URL (or DATABASE_URL)");
  const apiVersion = get("META_API_VERSION") ?? DEFAULT_META_API_VERSION;
  if (!/^v\d+\.\d+$/.test(apiVersion)) throw new Error(`META_API_VERSION must look like ${DEFAULT_META_API_VERSION}`);
  return { databaseUrl, graphUrl: get("META_GRAPH_URL") ?? "https://graph.facebook.com", apiVersion, appSecret: get("META_APP_SECRET") };
}

export function connect(cfg: FunctionConfig) {
  // Supabase's pooler runs in transaction mode: no prepared statements across transactions.
  return postgres(cfg.databaseUrl, { max: 3, prepare: false, onnotice: () => {}, connection: { application_name: "spendlane-meta-sync" } });
}

async function getToken(tx: TransactionSql, connectionId: string): Promise<string> {
  const [c] = await tx<{ status: string; token_secret_id: string | null }[]>`
    select status, token_secret_id from public.meta_connections where id = ${connectionId}`;
  if (!c || c.status !== "active" || !c.token_secret_id) throw new Error("The Meta connection is not active");
  return readSecret(tx as never, c.token_secret_id);
}

async function markNeedsReauth(tx: TransactionSql, connectionId: string, reason: string): Promise<void> {
  const safe = reason.slice(0, 300);
  await tx`update public.meta_connections set status = 'needs_reauth', status_reason = ${safe}, updated_at = now()
    where id = ${connectionId} and status = 'active'`;
  await tx`update public.ad_accounts set sync_status = 'needs_reauth', sync_error = ${safe}
    where connection_id = ${connectionId} and sync_status <> 'needs_reauth'`;
}

export function denoSyncDeps(cfg: FunctionConfig, sql: ReturnType<typeof connect>, overrides: Partial<SyncDeps> = {}): SyncDeps {
  const governor = new RateGovernor();
  return {
    sql,
    graphFor: (token) => new GraphClient({ accessToken: token, appSecret: cfg.appSecret, graphUrl: cfg.graphUrl, version: cfg.apiVersion, governor }),
    getToken,
    markNeedsReauth,
    log: {
      info: (o, m) => console.log(JSON.stringify({ level: "info", msg: m, ...o })),
      warn: (o, m) => console.warn(JSON.stringify({ level: "warn", msg: m, ...o })),
    },
    // An edge invocation has a wall-clock limit: sit out short rate-limit waits only.
    maxRateLimitWaitMs: 30_000,
    ...overrides,
  };
}
